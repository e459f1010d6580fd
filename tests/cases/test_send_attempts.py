"""Every try at sending a case e-mail is on record: opened and committed before the SMTP
talk, closed after it with the outcome; a sender that died leaves it open, and the next claim
after the lease (OUTBOX_LEASE_SECONDS) marks it abandoned — so a duplicate can be traced to
the death that caused it, in the admin's "possible duplicate" filter."""

import os
import smtplib
import socket
import threading
from datetime import timedelta
from unittest.mock import patch

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends import locmem
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from cases.models import AttemptOutcome, NotificationStatus, OutboundEmail, OutboundEmailAttempt
from cases.services import deliver_notification
from cases.services.send_attempts import lease
from cases.tasks import sweep_customer_notifications
from tests.cases.test_notifications import acknowledged_case, failing_send


class WorkerKilled(BaseException):
    """The worker process dies here (SIGKILL, OOM, a pulled plug): no line after it runs,
    not even an `except Exception`."""


def attempts_of(notification: OutboundEmail) -> list[OutboundEmailAttempt]:
    return list(OutboundEmailAttempt.objects.filter(email=notification).order_by("number"))


def die_while_sending(notification: OutboundEmail, *, after_delivery: bool = False):
    """Claim and start sending `notification` in a worker that dies mid-send — after the SMTP
    server said 250 when `after_delivery` (the recipient has it), before otherwise."""
    real_send = locmem.EmailBackend.send_messages

    def send_then_die(backend, messages):
        if after_delivery:
            real_send(backend, messages)
        raise WorkerKilled

    with (
        patch.object(locmem.EmailBackend, "send_messages", send_then_die),
        pytest.raises(WorkerKilled),
    ):
        deliver_notification(notification.pk)


def test_a_sent_email_has_one_attempt_that_says_who_sent_it_and_when(customer):
    notification = acknowledged_case(customer)
    with time_machine.travel(timezone.now(), tick=False):
        now = timezone.now()
        assert deliver_notification(notification.pk) is True
    [attempt] = attempts_of(notification)
    assert attempt.number == 1
    assert attempt.outcome == AttemptOutcome.SENT
    assert attempt.started_at == now
    assert attempt.finished_at == now
    assert attempt.lease_until == now + timedelta(seconds=300)
    assert (attempt.hostname, attempt.pid) == (socket.gethostname(), os.getpid())
    assert attempt.error == ""
    notification.refresh_from_db()
    assert notification.attempts == 1
    assert len(mail.outbox) == 1


def test_a_transient_failure_is_one_attempt_with_its_error_and_the_retry_another(customer):
    notification = acknowledged_case(customer)
    with failing_send(smtplib.SMTPResponseException(451, b"4.3.0 Try again later")):
        assert deliver_notification(notification.pk) is False
    [failed] = attempts_of(notification)
    assert failed.outcome == AttemptOutcome.RETRY
    assert failed.finished_at is not None
    assert "451" in failed.error and "Try again later" in failed.error

    notification.refresh_from_db()
    with time_machine.travel(notification.send_after + timedelta(seconds=1)):
        assert deliver_notification(notification.pk) is True
    first, second = attempts_of(notification)
    assert (first.number, first.outcome) == (1, AttemptOutcome.RETRY)
    assert (second.number, second.outcome, second.error) == (2, AttemptOutcome.SENT, "")
    notification.refresh_from_db()
    assert notification.attempts == 2
    assert len(mail.outbox) == 1


def test_a_permanent_failure_is_recorded_as_failed_for_good(customer):
    notification = acknowledged_case(customer)
    refused = smtplib.SMTPRecipientsRefused({customer.email: (550, b"5.1.1 No such user")})
    with failing_send(refused):
        assert deliver_notification(notification.pk) is False
    [attempt] = attempts_of(notification)
    assert attempt.outcome == AttemptOutcome.FAILED
    assert attempt.error.startswith("SMTPRecipientsRefused")


def test_a_sender_that_died_leaves_an_open_attempt_the_next_claim_marks_abandoned(customer):
    notification = acknowledged_case(customer)
    with time_machine.travel(timezone.now(), tick=False):
        died_at = timezone.now()
        die_while_sending(notification, after_delivery=True)
    [open_attempt] = attempts_of(notification)
    assert open_attempt.outcome == AttemptOutcome.SENDING
    assert open_attempt.finished_at is None
    assert open_attempt.lease_until == died_at + lease()

    # While the dead sender's lease lasts, nobody touches the e-mail.
    with time_machine.travel(died_at + lease() - timedelta(seconds=1), tick=False):
        assert deliver_notification(notification.pk) is False
        assert sweep_customer_notifications() == 0
    assert [a.outcome for a in attempts_of(notification)] == [AttemptOutcome.SENDING]

    with time_machine.travel(died_at + lease() + timedelta(seconds=1), tick=False):
        assert deliver_notification(notification.pk) is True
    abandoned, sent = attempts_of(notification)
    assert (abandoned.number, abandoned.outcome) == (1, AttemptOutcome.ABANDONED)
    assert abandoned.finished_at is None  # no end was ever recorded
    assert (sent.number, sent.outcome) == (2, AttemptOutcome.SENT)
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert notification.attempts == 2
    # The customer got it twice: the one duplicate, attributable to attempt 1.
    assert len(mail.outbox) == 2
    flagged = OutboundEmail.objects.annotate(dup=OutboundEmailAttempt.possible_duplicate())
    assert flagged.get(pk=notification.pk).dup is True


def test_the_sweep_marks_a_dead_senders_attempt_abandoned_and_sends_again(customer):
    notification = acknowledged_case(customer)
    with time_machine.travel(timezone.now(), tick=False):
        died_at = timezone.now()
        die_while_sending(notification)
    with time_machine.travel(died_at + lease() + timedelta(seconds=1), tick=False):
        assert sweep_customer_notifications() == 1
    assert [a.outcome for a in attempts_of(notification)] == [
        AttemptOutcome.ABANDONED,
        AttemptOutcome.SENT,
    ]
    assert len(mail.outbox) == 1


def test_a_dead_sender_is_replaced_when_the_configured_lease_ends(settings, customer):
    settings.OUTBOX_LEASE_SECONDS = 150
    notification = acknowledged_case(customer)
    with time_machine.travel(timezone.now(), tick=False):
        died_at = timezone.now()
        die_while_sending(notification)
    notification.refresh_from_db()
    assert notification.lease_until == died_at + timedelta(seconds=150)
    assert attempts_of(notification)[0].lease_until == died_at + timedelta(seconds=150)
    with time_machine.travel(died_at + timedelta(seconds=149), tick=False):
        assert deliver_notification(notification.pk) is False
        assert sweep_customer_notifications() == 0
    with time_machine.travel(died_at + timedelta(seconds=151), tick=False):
        assert deliver_notification(notification.pk) is True
    assert len(mail.outbox) == 1


def test_an_email_sent_once_is_not_a_possible_duplicate(customer):
    notification = acknowledged_case(customer)
    with failing_send(smtplib.SMTPServerDisconnected("gone")):
        deliver_notification(notification.pk)
    notification.refresh_from_db()
    with time_machine.travel(notification.send_after + timedelta(seconds=1)):
        deliver_notification(notification.pk)
    flagged = OutboundEmail.objects.annotate(dup=OutboundEmailAttempt.possible_duplicate())
    assert flagged.get(pk=notification.pk).dup is False


def test_the_admin_shows_the_attempts_and_flags_the_possible_duplicate(client, adrian, customer):
    suspect = acknowledged_case(customer, subject="Twice?")
    clean = acknowledged_case(customer, subject="Once")
    with time_machine.travel(timezone.now(), tick=False):
        died_at = timezone.now()
        die_while_sending(suspect, after_delivery=True)
        assert deliver_notification(clean.pk) is True
    with time_machine.travel(died_at + lease() + timedelta(seconds=1), tick=False):
        assert deliver_notification(suspect.pk) is True
    client.force_login(adrian)

    changelist = reverse("admin:cases_outboundemail_changelist")
    duplicates = client.get(changelist, {"possible_duplicate": "yes"})
    assert duplicates.status_code == 200
    assert [row.pk for row in duplicates.context["cl"].result_list] == [suspect.pk]
    others = client.get(changelist, {"possible_duplicate": "no"})
    assert [row.pk for row in others.context["cl"].result_list] == [clean.pk]
    everything = client.get(changelist)
    assert "Possible duplicate" in everything.content.decode()

    page = client.get(reverse("admin:cases_outboundemail_change", args=[suspect.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Abandoned (the sender died)" in html
    assert "Sent" in html
    assert f"{socket.gethostname()}:{os.getpid()}" in html
    [formset] = page.context["inline_admin_formsets"]
    assert [f.original.outcome for f in formset] == ["abandoned", "sent"]
    assert not formset.has_add_permission and not formset.has_delete_permission
    assert page.context["adminform"].form.instance.possible_duplicate is True


def test_the_attempts_cannot_be_changed_through_the_admin(client, adrian, customer):
    notification = acknowledged_case(customer)
    die_while_sending(notification)
    client.force_login(adrian)
    url = reverse("admin:cases_outboundemail_change", args=[notification.pk])
    [attempt] = attempts_of(notification)
    response = client.post(
        url,
        {
            "send_attempts-TOTAL_FORMS": "1",
            "send_attempts-INITIAL_FORMS": "1",
            "send_attempts-0-id": attempt.pk,
            "send_attempts-0-outcome": "sent",
            "send_attempts-0-DELETE": "on",
        },
    )
    assert response.status_code == 403
    attempt.refresh_from_db()
    assert attempt.outcome == AttemptOutcome.SENDING


def test_an_agent_sees_no_attempts(client, ana, customer):
    notification = acknowledged_case(customer)
    deliver_notification(notification.pk)
    client.force_login(ana)
    page = client.get(reverse("admin:cases_outboundemail_change", args=[notification.pk]))
    assert page.status_code in (302, 403)
    assert b"sender host" not in page.content


# --- the attempt is committed before the SMTP talk ----------------------------------------------


def read_from_another_connection(query):
    """Run `query()` in a thread with its own database connection: it sees only what was
    committed, as another worker (or a crash's aftermath) would."""
    result = {}

    def run():
        try:
            result["rows"] = query()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    return result["rows"]


@pytest.mark.django_db(transaction=True)
def test_the_attempt_is_committed_before_the_smtp_talk_starts(customer, team_n1):
    seen = []
    real_send = locmem.EmailBackend.send_messages

    def look_then_send(backend, messages):
        seen.extend(
            read_from_another_connection(
                lambda: list(OutboundEmailAttempt.objects.values_list("outcome", "hostname", "pid"))
            )
        )
        return real_send(backend, messages)

    # Committed for real: the confirmation's task runs (eagerly) right after the commit.
    with patch.object(locmem.EmailBackend, "send_messages", look_then_send):
        notification = acknowledged_case(customer)
    assert seen == [(AttemptOutcome.SENDING, socket.gethostname(), os.getpid())]
    assert [a.outcome for a in attempts_of(notification)] == [AttemptOutcome.SENT]
    assert len(mail.outbox) == 1
