"""Every try at sending a survey e-mail (the invitation, its reminder) is on record, opened and
committed before the SMTP talk and closed after it. A sender that dies mid-send — simulated,
and a real process SIGKILLed while the SMTP server holds its message — leaves an open attempt
that the next claim after the lease marks abandoned; the invitation then shows both attempts
and is flagged as a possible duplicate in the admin, for managers too."""

import asyncio
import os
import signal
import smtplib
import socket
import subprocess
import sys
import threading
from datetime import timedelta
from unittest.mock import patch

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail.backends import locmem
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cases.models import AttemptOutcome
from cases.services.send_attempts import lease
from surveys import services
from surveys.models import InvitationStatus, SurveyInvitation, SurveyInvitationAttempt
from surveys.services import deliver_invitation
from surveys.tasks import send_reminders_and_expire, sweep_invitations
from tests.factories import CustomerFactory, make_ticket
from tests.surveys.smtp import (
    BASE_DIR,
    SURVEY_MAILS,
    LoopbackSMTP,
    _Controller,
    database_url,
    point_django_at,
    smtp_environment,
    wait_until,
)


class WorkerKilled(BaseException):
    """The worker process dies here: no line after it runs, not even an `except Exception`."""


def attempts_of(invitation: SurveyInvitation) -> list[SurveyInvitationAttempt]:
    return list(invitation.send_attempts.order_by("started_at", "id"))


def outcomes(invitation: SurveyInvitation) -> list[tuple[str, int, str]]:
    return [(a.mail, a.number, a.outcome) for a in attempts_of(invitation)]


def refreshed(invitation: SurveyInvitation) -> SurveyInvitation:
    invitation.refresh_from_db()
    return invitation


def flagged(invitation: SurveyInvitation) -> bool:
    return (
        SurveyInvitation.objects.annotate(dup=SurveyInvitationAttempt.possible_duplicate())
        .get(pk=invitation.pk)
        .dup
    )


def die_mid_send(call, *, after_delivery: bool):
    """Run `call()` in a worker that dies during the SMTP talk — after the server took the
    message when `after_delivery` (the customer has it), before otherwise."""
    real_send = locmem.EmailBackend.send_messages

    def send_then_die(backend, messages):
        if after_delivery:
            real_send(backend, messages)
        raise WorkerKilled

    with (
        patch.object(locmem.EmailBackend, "send_messages", send_then_die),
        pytest.raises(WorkerKilled),
    ):
        call()


def test_a_sent_invitation_has_one_attempt(invitation):
    with time_machine.travel(invitation.send_after + timedelta(seconds=1), tick=False):
        now = timezone.now()
        assert deliver_invitation(invitation.pk) is True
    [attempt] = attempts_of(invitation)
    assert (attempt.mail, attempt.number, attempt.outcome) == ("invitation", 1, "sent")
    assert attempt.started_at == attempt.finished_at == now
    assert attempt.lease_until == now + lease()
    assert (attempt.hostname, attempt.pid) == (socket.gethostname(), os.getpid())
    assert refreshed(invitation).attempts == 1
    assert not flagged(invitation)


def test_a_transient_failure_is_an_attempt_with_its_error_and_the_retry_another(invitation):
    with (
        time_machine.travel(invitation.send_after + timedelta(seconds=1), tick=False),
        patch.object(
            locmem.EmailBackend,
            "send_messages",
            side_effect=smtplib.SMTPResponseException(421, b"4.3.2 Service not available"),
        ),
    ):
        assert deliver_invitation(invitation.pk) is False
    [failed] = attempts_of(invitation)
    assert failed.outcome == AttemptOutcome.RETRY
    assert failed.error == "SMTPResponseException: (421, b'4.3.2 Service not available')"
    with time_machine.travel(refreshed(invitation).send_after + timedelta(seconds=1), tick=False):
        assert sweep_invitations() == 1
    assert outcomes(invitation) == [("invitation", 1, "retry"), ("invitation", 2, "sent")]
    assert refreshed(invitation).attempts == 2
    assert not flagged(invitation)
    assert len(mail.outbox) == 1


def test_a_worker_that_died_mid_send_is_traced_the_next_claim_abandons_it_and_sends(
    invitation, customer
):
    died_at = invitation.send_after + timedelta(seconds=1)
    with time_machine.travel(died_at, tick=False):
        die_mid_send(lambda: deliver_invitation(invitation.pk), after_delivery=True)
    assert outcomes(invitation) == [("invitation", 1, "sending")]
    assert refreshed(invitation).status == InvitationStatus.SENDING

    with time_machine.travel(died_at + lease() - timedelta(seconds=1), tick=False):
        assert deliver_invitation(invitation.pk) is False  # the lease still holds
    with time_machine.travel(died_at + lease() + timedelta(seconds=1), tick=False):
        assert deliver_invitation(invitation.pk) is True

    assert outcomes(invitation) == [("invitation", 1, "abandoned"), ("invitation", 2, "sent")]
    abandoned = attempts_of(invitation)[0]
    assert abandoned.finished_at is None
    assert abandoned.lease_until == died_at + lease()
    invitation = refreshed(invitation)
    assert (invitation.status, invitation.attempts) == (InvitationStatus.SENT, 2)
    assert [m.to for m in mail.outbox] == [[customer.email], [customer.email]]
    assert flagged(invitation)


def test_the_lease_setting_decides_when_a_dead_sender_is_replaced(settings, invitation):
    settings.OUTBOX_LEASE_SECONDS = 140
    died_at = invitation.send_after + timedelta(seconds=1)
    with time_machine.travel(died_at, tick=False):
        die_mid_send(lambda: deliver_invitation(invitation.pk), after_delivery=False)
    assert refreshed(invitation).lease_until == died_at + timedelta(seconds=140)
    with time_machine.travel(died_at + timedelta(seconds=139), tick=False):
        assert sweep_invitations() == 0
        assert deliver_invitation(invitation.pk) is False
    assert outcomes(invitation) == [("invitation", 1, "sending")]
    with time_machine.travel(died_at + timedelta(seconds=141), tick=False):
        assert sweep_invitations() == 1
    assert outcomes(invitation) == [("invitation", 1, "abandoned"), ("invitation", 2, "sent")]
    assert len(mail.outbox) == 1  # died before the server took it: flagged all the same
    assert flagged(invitation)


def test_the_follow_up_alert_lease_follows_the_setting_too(settings, sent_invitation, marta):
    settings.OUTBOX_LEASE_SECONDS = 140
    services.answer_survey(invitation=sent_invitation, nps=1)
    follow_up = sent_invitation.ticket.follow_ups.get()
    with time_machine.travel(timezone.now(), tick=False):
        now = timezone.now()
        with (
            patch.object(services, "managers_to_alert", side_effect=WorkerKilled),
            pytest.raises(WorkerKilled),
        ):
            services.deliver_follow_up_alert(follow_up.pk)
    follow_up.refresh_from_db()
    assert (follow_up.alert_status, follow_up.alert_lease_until) == (
        "sending",
        now + timedelta(seconds=140),
    )


# --- reminders ----------------------------------------------------------------------------------


@pytest.fixture
def sent_invitation(invitation) -> SurveyInvitation:
    with time_machine.travel(invitation.send_after + timedelta(seconds=1), tick=False):
        assert deliver_invitation(invitation.pk) is True
    return refreshed(invitation)


def reminder_day(invitation: SurveyInvitation) -> time_machine.travel:
    assert invitation.sent_at is not None, "a reminder follows an invitation that was sent"
    due = invitation.sent_at + timedelta(days=django_settings.SURVEY_REMINDER_DAYS, minutes=1)
    return time_machine.travel(due, tick=False)


def test_a_reminder_records_its_own_attempt(sent_invitation):
    with reminder_day(sent_invitation):
        assert send_reminders_and_expire()["reminded"] == 1
    assert outcomes(sent_invitation) == [("invitation", 1, "sent"), ("reminder", 1, "sent")]
    assert not flagged(sent_invitation)  # an invitation and its reminder are two e-mails


def test_a_reminder_that_failed_for_now_is_recorded_and_tried_again(sent_invitation):
    with reminder_day(sent_invitation):
        with patch.object(
            locmem.EmailBackend, "send_messages", side_effect=smtplib.SMTPServerDisconnected("x")
        ):
            assert services.send_due_reminders() == 0
        assert services.send_due_reminders() == 1
    assert outcomes(sent_invitation) == [
        ("invitation", 1, "sent"),
        ("reminder", 1, "retry"),
        ("reminder", 2, "sent"),
    ]


def test_a_reminder_whose_sender_died_is_marked_abandoned_by_the_sweep(sent_invitation):
    with reminder_day(sent_invitation):
        started = timezone.now()
        die_mid_send(services.send_due_reminders, after_delivery=True)
    assert outcomes(sent_invitation)[-1] == ("reminder", 1, "sending")
    with time_machine.travel(started + lease() - timedelta(seconds=1), tick=False):
        sweep_invitations()
    assert outcomes(sent_invitation)[-1] == ("reminder", 1, "sending")
    with time_machine.travel(started + lease() + timedelta(seconds=1), tick=False):
        sweep_invitations()
        assert services.send_due_reminders() == 0  # a lost reminder is not sent again
    assert outcomes(sent_invitation) == [("invitation", 1, "sent"), ("reminder", 1, "abandoned")]
    assert not flagged(sent_invitation)  # the customer got each e-mail once at most


# --- the admin ----------------------------------------------------------------------------------


def test_the_admin_shows_the_attempts_and_flags_the_possible_duplicate_to_managers(
    client, marta, invitation, ana, team_n1, resolve
):
    other = CustomerFactory()  # a customer is surveyed once a week at most
    clean = SurveyInvitation.objects.get(
        ticket=resolve(make_ticket(by=ana, customer=other, team=team_n1, subject="Once"))
    )
    died_at = invitation.send_after + timedelta(seconds=1)
    with time_machine.travel(died_at, tick=False):
        die_mid_send(lambda: deliver_invitation(invitation.pk), after_delivery=True)
    with time_machine.travel(died_at + lease() + timedelta(seconds=1), tick=False):
        assert deliver_invitation(invitation.pk) is True
        assert deliver_invitation(clean.pk) is True
    marta.is_staff = True
    marta.save(update_fields=["is_staff"])
    client.force_login(marta)

    changelist = reverse("admin:surveys_surveyinvitation_changelist")
    duplicates = client.get(changelist, {"possible_duplicate": "yes"})
    assert duplicates.status_code == 200
    assert [row.pk for row in duplicates.context["cl"].result_list] == [invitation.pk]
    others = client.get(changelist, {"possible_duplicate": "no"})
    assert [row.pk for row in others.context["cl"].result_list] == [clean.pk]

    page = client.get(reverse("admin:surveys_surveyinvitation_change", args=[invitation.pk]))
    assert page.status_code == 200
    [formset] = page.context["inline_admin_formsets"]
    assert [(f.original.number, f.original.outcome) for f in formset] == [
        (1, "abandoned"),
        (2, "sent"),
    ]
    html = page.content.decode()
    assert "Abandoned (the sender died)" in html
    assert f"{socket.gethostname()}:{os.getpid()}" in html
    assert b'name="_save"' not in page.content


# --- a real process killed in the middle of the SMTP talk ---------------------------------------


class HoldingSMTP(LoopbackSMTP):
    """An SMTP server that takes the message and then holds its answer to DATA until told:
    the sender is caught between the message crossing the wire and its 250."""

    def __init__(self):
        super().__init__(kinds=SURVEY_MAILS)
        self.holding = threading.Event()
        self.release = threading.Event()
        self._controller = _Controller(_HoldingHandler(self), hostname=self.host, port=0)

    def stop(self) -> None:
        self.release.set()
        super().stop()


class _HoldingHandler:
    def __init__(self, server: HoldingSMTP):
        self.server = server

    async def handle_DATA(self, smtp, session, envelope):  # aiosmtpd's hook name
        self.server.holding.set()
        while not self.server.release.is_set():
            await asyncio.sleep(0.05)
        return "451 Too late"


@pytest.mark.django_db(transaction=True)
def test_a_sender_process_killed_mid_smtp_leaves_its_attempt_and_the_next_claim_traces_it(
    settings, ana, team_n1, customer, resolve, tmp_path
):
    try:
        db_url = database_url(connection)
    except ValueError as error:
        pytest.skip(f"a sender subprocess cannot share this test database: {error}")
    invitation = SurveyInvitation.objects.get(
        ticket=resolve(make_ticket(by=ana, customer=customer, team=team_n1, assignee=ana))
    )
    SurveyInvitation.objects.filter(pk=invitation.pk).update(
        send_after=timezone.now() - timedelta(seconds=1)
    )
    log = tmp_path / "sender.log"
    with HoldingSMTP() as held, open(log, "wb") as output:
        sender = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "shell",
                "-c",
                "from surveys.services import deliver_invitation; "
                f"deliver_invitation({invitation.pk})",
            ],
            cwd=BASE_DIR,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DATABASE_URL": db_url,
                "VAR_DIR": str(django_settings.VAR_DIR),
                **smtp_environment(held),
            },
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            reached = held.holding.wait(60)
        finally:
            os.killpg(sender.pid, signal.SIGKILL)
            sender.wait(10)
        assert reached, f"the sender never reached DATA: {log.read_text()}"
        died_at = timezone.now()

    [attempt] = attempts_of(invitation)
    assert (attempt.outcome, attempt.finished_at) == (AttemptOutcome.SENDING, None)
    assert (attempt.hostname, attempt.pid) == (socket.gethostname(), sender.pid)
    assert refreshed(invitation).status == InvitationStatus.SENDING

    with LoopbackSMTP(kinds=SURVEY_MAILS) as smtp:
        point_django_at(settings, smtp)
        with time_machine.travel(died_at + lease() + timedelta(seconds=1), tick=False):
            assert sweep_invitations() == 1
        assert wait_until(lambda: smtp.count() == 1, timeout=10)

    abandoned, sent = attempts_of(invitation)
    assert (abandoned.outcome, abandoned.pid) == (AttemptOutcome.ABANDONED, sender.pid)
    assert (sent.outcome, sent.pid) == (AttemptOutcome.SENT, os.getpid())
    assert refreshed(invitation).attempts == 2
    assert flagged(invitation)


# --- the lease setting is checked at start ------------------------------------------------------


def start_settings(lease_seconds: str) -> subprocess.CompletedProcess:
    """Import the production settings in a fresh interpreter, as every process does at start."""
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=BASE_DIR,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "VAR_DIR": str(django_settings.VAR_DIR),
            "OUTBOX_LEASE_SECONDS": lease_seconds,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("lease_seconds", ["60", "120", "129"])
def test_a_lease_a_live_send_could_outlast_is_refused_at_start(lease_seconds):
    started = start_settings(lease_seconds)
    assert started.returncode != 0
    assert "ImproperlyConfigured" in started.stderr
    assert f"OUTBOX_LEASE_SECONDS={lease_seconds} is too short" in started.stderr
    assert "Use at least 130" in started.stderr


def test_a_lease_longer_than_the_task_time_limit_is_accepted():
    started = start_settings("130")
    assert started.returncode == 0, started.stderr
