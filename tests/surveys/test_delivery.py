"""Sending a survey: claimed by a conditional UPDATE so it is mailed once whatever the
broker does; transient SMTP errors retry later, permanent ones fail; the e-mail speaks the
customer's language and carries one-click links that open the invitation; one reminder;
expiry; the managers' alert about an unhappy customer, once."""

import email
import email.policy
import re
import smtplib
from datetime import timedelta
from unittest.mock import patch

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail import BadHeaderError
from django.core.mail.backends import locmem
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from cases.emails import MAX_ATTEMPTS, retry_delay
from cases.services.send_attempts import lease
from surveys import services
from surveys.errors import SurveyExpired
from surveys.models import FollowUp, InvitationStatus, SurveyInvitation
from surveys.services import (
    REENQUEUE_AFTER,
    deliver_invitation,
    invitation_for_token,
)
from surveys.tasks import (
    send_invitation,
    send_reminders_and_expire,
    sweep_follow_up_alerts,
    sweep_invitations,
)
from tests.factories import CustomerFactory, ManagerFactory, make_ticket
from tests.surveys.smtp import survey_links


def due(invitation: SurveyInvitation, after=timedelta(seconds=1)):
    """Travel to just after the invitation falls due (the clock stands still inside)."""
    return time_machine.travel(invitation.send_after + after, tick=False)


def refreshed(invitation: SurveyInvitation) -> SurveyInvitation:
    invitation.refresh_from_db()
    return invitation


def failing_smtp(error):
    """The SMTP backend raising `error`, as Django's raises what smtplib raises."""
    return patch.object(locmem.EmailBackend, "send_messages", side_effect=error)


@pytest.fixture
def sent_invitation(invitation) -> SurveyInvitation:
    with due(invitation):
        assert deliver_invitation(invitation.pk) is True
    return refreshed(invitation)


# --- once and only once -------------------------------------------------------------------------


def test_delivering_twice_sends_one_email(invitation, customer):
    with due(invitation):
        assert deliver_invitation(invitation.pk) is True
        assert deliver_invitation(invitation.pk) is False
        send_invitation.delay(invitation.pk)  # a duplicate task, run eagerly
    invitation = refreshed(invitation)
    assert invitation.status == InvitationStatus.SENT
    assert invitation.attempts == 1
    assert invitation.sent_at is not None
    assert invitation.lease_until is None
    assert [m.to for m in mail.outbox] == [[customer.email]]


def test_an_invitation_is_not_sent_before_it_is_due(invitation):
    with due(invitation, after=-timedelta(seconds=1)):
        assert deliver_invitation(invitation.pk) is False
    assert refreshed(invitation).status == InvitationStatus.PENDING
    assert mail.outbox == []


def test_while_one_sender_holds_the_lease_a_second_one_backs_off(invitation):
    seen = {}
    real_send = locmem.EmailBackend.send_messages

    def send_and_race(backend, messages):
        # Inside the first sender's SMTP talk: the row is claimed, a second task arrives.
        row = SurveyInvitation.objects.get(pk=invitation.pk)
        seen["status"], seen["lease_until"] = row.status, row.lease_until
        seen["second"] = deliver_invitation(invitation.pk)
        return real_send(backend, messages)

    with due(invitation), patch.object(locmem.EmailBackend, "send_messages", send_and_race):
        assert deliver_invitation(invitation.pk) is True
        now = timezone.now()
    assert seen == {
        "status": InvitationStatus.SENDING,
        "lease_until": now + lease(),
        "second": False,
    }
    assert len(mail.outbox) == 1
    assert refreshed(invitation).status == InvitationStatus.SENT


def test_a_sender_that_died_holding_the_lease_is_replaced_by_the_sweep_once_it_expires(
    invitation, customer
):
    # A worker claimed the row and died before sending.
    with due(invitation):
        claimed_at = timezone.now()
        SurveyInvitation.objects.filter(pk=invitation.pk).update(
            status=InvitationStatus.SENDING, lease_until=claimed_at + lease()
        )
    with time_machine.travel(claimed_at + lease() - timedelta(seconds=1), tick=False):
        assert sweep_invitations() == 0
        assert deliver_invitation(invitation.pk) is False
    assert mail.outbox == []
    with time_machine.travel(claimed_at + lease() + timedelta(seconds=1), tick=False):
        assert sweep_invitations() == 1
    assert refreshed(invitation).status == InvitationStatus.SENT
    assert [m.to for m in mail.outbox] == [[customer.email]]


def test_the_sweep_leaves_alone_an_invitation_enqueued_a_moment_ago(invitation):
    with due(invitation):
        SurveyInvitation.objects.filter(pk=invitation.pk).update(enqueued_at=timezone.now())
    with due(invitation, after=timedelta(minutes=1)):
        assert sweep_invitations() == 0
    with due(invitation, after=timedelta(minutes=3)):
        assert sweep_invitations() == 1
    assert len(mail.outbox) == 1


# --- SMTP errors --------------------------------------------------------------------------------

TRANSIENT = [
    smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
    smtplib.SMTPResponseException(421, b"4.3.2 Service not available, closing channel"),
    smtplib.SMTPResponseException(451, b"4.3.0 Requested action aborted: try again later"),
    smtplib.SMTPDataError(452, b"4.3.1 Insufficient system storage"),
    smtplib.SMTPRecipientsRefused({"lucia@example.com": (450, b"4.2.1 Mailbox busy")}),
    smtplib.SMTPConnectError(421, b"Too many connections"),
    ConnectionRefusedError(111, "Connection refused"),
    TimeoutError("timed out"),  # socket.timeout is this class since Python 3.10
]

PERMANENT = [
    smtplib.SMTPRecipientsRefused({"lucia@example.com": (550, b"5.1.1 No such user")}),
    smtplib.SMTPResponseException(554, b"5.7.1 Message rejected"),
    smtplib.SMTPDataError(552, b"5.3.4 Message too big"),
    smtplib.SMTPSenderRefused(553, b"5.7.1 Sender address rejected", "soporte@pulso.localhost"),
    smtplib.SMTPAuthenticationError(535, b"5.7.8 Authentication credentials invalid"),
    BadHeaderError("Header values can't contain newlines"),
]


@pytest.mark.parametrize("error", TRANSIENT, ids=lambda e: type(e).__name__)
def test_a_transient_smtp_error_puts_the_invitation_back_for_a_later_try(
    error, invitation, customer
):
    with due(invitation), failing_smtp(error):
        failed_at = timezone.now()
        assert deliver_invitation(invitation.pk) is False
    invitation = refreshed(invitation)
    assert invitation.status == InvitationStatus.PENDING
    assert invitation.attempts == 1
    assert invitation.lease_until is None
    assert invitation.send_after == failed_at + retry_delay(1)
    assert type(error).__name__ in invitation.last_error
    assert mail.outbox == []
    # Not before the back-off is over…
    with due(invitation, after=-timedelta(seconds=1)):
        assert sweep_invitations() == 0
    # …then the sweep finds it and the next try succeeds.
    with due(invitation):
        assert sweep_invitations() == 1
    invitation = refreshed(invitation)
    assert invitation.status == InvitationStatus.SENT
    assert invitation.attempts == 2
    assert invitation.last_error == ""
    assert [m.to for m in mail.outbox] == [[customer.email]]


@pytest.mark.parametrize("error", PERMANENT, ids=lambda e: type(e).__name__)
def test_a_permanent_smtp_error_fails_the_invitation_for_good(error, invitation):
    with due(invitation), failing_smtp(error):
        assert deliver_invitation(invitation.pk) is False
    invitation = refreshed(invitation)
    assert invitation.status == InvitationStatus.FAILED
    assert invitation.attempts == 1
    assert invitation.lease_until is None
    assert invitation.last_error.startswith(type(error).__name__)
    with due(invitation, after=timedelta(days=1)):
        assert sweep_invitations() == 0
        assert deliver_invitation(invitation.pk) is False
    assert mail.outbox == []
    assert refreshed(invitation).status == InvitationStatus.FAILED


def next_sweep_finds(invitation: SurveyInvitation):
    """Travel to when the sweep picks the invitation up again: due, and not enqueued within
    REENQUEUE_AFTER."""
    moment = invitation.send_after
    if invitation.enqueued_at:
        moment = max(moment, invitation.enqueued_at + REENQUEUE_AFTER)
    return time_machine.travel(moment + timedelta(seconds=1), tick=False)


def test_a_sweep_driven_retry_happens_when_its_back_off_is_over(invitation):
    with due(invitation), failing_smtp(smtplib.SMTPServerDisconnected("gone")):
        assert sweep_invitations() == 1
    invitation = refreshed(invitation)
    assert invitation.send_after - invitation.enqueued_at == retry_delay(1)  # 1 minute
    with due(invitation):
        assert sweep_invitations() == 1
    assert refreshed(invitation).status == InvitationStatus.SENT


def test_after_max_attempts_transient_failures_the_invitation_fails(invitation):
    error = smtplib.SMTPResponseException(421, b"4.3.2 Service not available")
    send_afters = []
    with failing_smtp(error):
        for attempt in range(1, MAX_ATTEMPTS + 1):
            with next_sweep_finds(invitation):
                assert sweep_invitations() == 1
            invitation = refreshed(invitation)
            assert invitation.attempts == attempt
            expected = InvitationStatus.FAILED if attempt == MAX_ATTEMPTS else "pending"
            assert invitation.status == expected
            send_afters.append(invitation.send_after)
    assert send_afters == sorted(send_afters)  # backing off, never sooner
    assert "421" in invitation.last_error
    with due(invitation, after=timedelta(days=1)):
        assert sweep_invitations() == 0
    assert mail.outbox == []


# --- the e-mail ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["es", "en"])
def test_the_email_speaks_the_customers_language_and_carries_one_click_links(
    language, ana, team_n1, resolve
):
    customer = CustomerFactory(name="Lucía Torres", language=language)
    ticket = resolve(
        make_ticket(
            by=ana, customer=customer, team=team_n1, assignee=ana, subject="Factura duplicada"
        )
    )
    invitation = SurveyInvitation.objects.get(ticket=ticket)
    with due(invitation):
        assert deliver_invitation(invitation.pk) is True
    [sent] = mail.outbox
    assert sent.to == [customer.email]
    with translation.override(language):
        subject = gettext("[%(reference)s] How did we do? One question about your case") % {
            "reference": ticket.reference
        }
        expires = formats.date_format(timezone.localtime(invitation.expires_at), "DATE_FORMAT")
    assert sent.subject == subject
    assert ticket.reference in sent.subject
    assert sent.extra_headers["X-Pulso-Ticket"] == ticket.reference
    # Text and HTML, both with the reference, the case's subject and the expiry date as the
    # customer's language writes it ("5 de enero de 2026" / "Jan. 5, 2026").
    [(html, mimetype)] = sent.alternatives
    assert mimetype == "text/html"
    assert f'<html lang="{language}">' in html
    parts = [p.get_content_type() for p in sent.message().walk()]
    assert parts == ["multipart/alternative", "text/plain", "text/html"]
    for body in (sent.body, html):
        assert ticket.reference in body
        assert "Factura duplicada" in body
        assert expires in body
        assert "Lucía Torres" in body
    # Five one-click CSAT links and the full survey, all with the one token that opens it.
    for body in (sent.body, html):
        links = survey_links(body)
        assert [m["csat"] for m in links] == ["1", "2", "3", "4", "5", None]
        assert {m["url"] for m in links} == {
            django_settings.SITE_URL + services.survey_path(invitation)
        }
        [token] = {m["token"] for m in links}
        assert invitation_for_token(token) == invitation


def test_without_the_csat_question_the_email_has_only_the_full_survey_link(
    settings, ana, team_n1, customer, resolve
):
    settings.SURVEY_QUESTIONS = ["ces", "nps"]
    ticket = resolve(make_ticket(by=ana, customer=customer, team=team_n1, assignee=ana))
    invitation = SurveyInvitation.objects.get(ticket=ticket)
    with due(invitation):
        deliver_invitation(invitation.pk)
    [sent] = mail.outbox
    assert [m["csat"] for m in survey_links(sent.body)] == [None]


@pytest.mark.parametrize(
    "subject",
    [
        "Printer\r\nBcc: evil@example.com",
        "Printer%0d%0aBcc: evil@example.com",
        "Printer\u2028Bcc: evil@example.com\u2029X-Injected: yes",
        "Printer\nSubject: You won\n\nX-Injected: yes",
    ],
)
def test_a_hostile_subject_injects_no_header(subject, ana, team_n1, resolve):
    customer = CustomerFactory(name="Eve\r\nBcc: evil@example.com")
    ticket = resolve(make_ticket(by=ana, customer=customer, team=team_n1, subject=subject))
    invitation = SurveyInvitation.objects.get(ticket=ticket)
    with due(invitation):
        assert deliver_invitation(invitation.pk) is True
    [sent] = mail.outbox
    assert sent.recipients() == [customer.email]
    # What would cross the wire, parsed back by a mail reader.
    wire = email.message_from_bytes(sent.message().as_bytes(), policy=email.policy.default)
    assert wire["Bcc"] is None
    assert wire["X-Injected"] is None
    assert len(wire.get_all("Subject")) == 1
    assert not re.search(r"[\r\n\u2028\u2029]", str(wire["Subject"]))
    assert wire["To"] == customer.email


# --- reminder and expiry ------------------------------------------------------------------------


def test_one_reminder_goes_out_after_the_reminder_days_if_unanswered(sent_invitation, customer):
    sent_at = sent_invitation.sent_at
    with time_machine.travel(sent_at + timedelta(days=3) - timedelta(minutes=1), tick=False):
        assert services.send_due_reminders() == 0
    with time_machine.travel(sent_at + timedelta(days=3, minutes=1), tick=False):
        assert send_reminders_and_expire() == {"reminded": 1, "expired": 0}
        assert services.send_due_reminders() == 0
    with time_machine.travel(sent_at + timedelta(days=10), tick=False):
        assert services.send_due_reminders() == 0
    invitation = refreshed(sent_invitation)
    assert invitation.reminder_sent_at == sent_at + timedelta(days=3, minutes=1)
    assert invitation.status == InvitationStatus.SENT
    invitation_mail, reminder = mail.outbox
    assert reminder.to == [customer.email]
    assert invitation.ticket.reference in reminder.subject
    assert reminder.subject != invitation_mail.subject
    [token] = {m["token"] for m in survey_links(reminder.body)}
    assert invitation_for_token(token) == invitation


def test_the_reminder_days_follow_the_setting(settings, sent_invitation):
    settings.SURVEY_REMINDER_DAYS = 1
    with time_machine.travel(sent_invitation.sent_at + timedelta(days=1, minutes=1)):
        assert services.send_due_reminders() == 1
    settings.SURVEY_REMINDER_DAYS = 0  # off
    SurveyInvitation.objects.update(reminder_sent_at=None)
    with time_machine.travel(sent_invitation.sent_at + timedelta(days=5)):
        assert services.send_due_reminders() == 0


def test_no_reminder_for_an_answered_survey(sent_invitation):
    services.answer_survey(invitation=sent_invitation, csat=5)
    with time_machine.travel(sent_invitation.sent_at + timedelta(days=4)):
        assert services.send_due_reminders() == 0
    assert len(mail.outbox) == 1


def test_no_reminder_for_an_expired_survey(settings, sent_invitation):
    settings.SURVEY_EXPIRY_DAYS = 2  # expires before the reminder would be due
    SurveyInvitation.objects.update(expires_at=sent_invitation.resolved_at + timedelta(days=2))
    with time_machine.travel(sent_invitation.sent_at + timedelta(days=4)):
        assert services.send_due_reminders() == 0
        assert send_reminders_and_expire() == {"reminded": 0, "expired": 1}
        assert services.send_due_reminders() == 0
    assert len(mail.outbox) == 1


def test_no_reminder_for_a_survey_that_was_never_sent(invitation):
    with time_machine.travel(invitation.send_after + timedelta(days=4)):
        with failing_smtp(smtplib.SMTPRecipientsRefused({"x": (550, b"No such user")})):
            assert sweep_invitations() == 1
        assert refreshed(invitation).status == InvitationStatus.FAILED
        assert services.send_due_reminders() == 0
    assert mail.outbox == []


def test_a_reminder_that_hit_a_transient_error_is_tried_again_but_still_sent_once(
    sent_invitation,
):
    with time_machine.travel(sent_invitation.sent_at + timedelta(days=3, minutes=1)):
        with failing_smtp(smtplib.SMTPServerDisconnected("gone")):
            assert services.send_due_reminders() == 0
        assert refreshed(sent_invitation).reminder_sent_at is None
        assert services.send_due_reminders() == 1
        assert services.send_due_reminders() == 0
    assert len(mail.outbox) == 2


def test_an_invitation_expires_after_the_expiry_days(sent_invitation):
    expires_at = sent_invitation.resolved_at + timedelta(days=30)
    assert sent_invitation.expires_at == expires_at
    with time_machine.travel(expires_at - timedelta(minutes=1), tick=False):
        assert services.expire_invitations() == 0
    with time_machine.travel(expires_at + timedelta(minutes=1), tick=False):
        assert services.expire_invitations() == 1
        assert services.expire_invitations() == 0
        invitation = refreshed(sent_invitation)
        assert invitation.status == InvitationStatus.EXPIRED
        assert invitation.is_expired
        with pytest.raises(SurveyExpired):
            services.answer_survey(invitation=invitation, csat=5)


def test_an_unsent_invitation_past_its_expiry_is_never_sent(invitation):
    with time_machine.travel(invitation.expires_at + timedelta(minutes=1)):
        assert deliver_invitation(invitation.pk) is False
    assert refreshed(invitation).status == InvitationStatus.EXPIRED
    assert mail.outbox == []


def test_an_answered_invitation_does_not_expire(sent_invitation):
    services.answer_survey(invitation=sent_invitation, nps=9)
    with time_machine.travel(sent_invitation.expires_at + timedelta(days=1)):
        assert services.expire_invitations() == 0
    assert refreshed(sent_invitation).status == InvitationStatus.ANSWERED


# --- the managers' alert ------------------------------------------------------------------------


@pytest.fixture
def mario(team_n1):
    """A manager who is a member of Soporte N1."""
    return ManagerFactory(username="mario", first_name="Mario", language="en", teams=[team_n1])


def answer_unhappily(invitation, capture, **scores) -> FollowUp:
    with capture(execute=True):
        response = services.answer_survey(invitation=invitation, **scores)
    return FollowUp.objects.get(response=response)


def test_a_detractor_alerts_the_managers_of_the_team_once(
    sent_invitation, marta, mario, django_capture_on_commit_callbacks
):
    follow_up = answer_unhappily(sent_invitation, django_capture_on_commit_callbacks, nps=3)
    assert follow_up.reasons == ["detractor"]
    alert = mail.outbox[-1]
    assert len(mail.outbox) == 2  # the survey, then the alert
    assert alert.to == [mario.email]
    assert sent_invitation.ticket.reference in alert.subject
    assert "NPS: 3/10" in alert.body
    follow_up.refresh_from_db()
    assert follow_up.alert_status == "sent"
    assert follow_up.alert_sent_at is not None
    # A duplicate task, and later the sweep, send nothing more.
    assert services.deliver_follow_up_alert(follow_up.pk) is False
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert sweep_follow_up_alerts() == 0
    assert len(mail.outbox) == 2


def test_with_no_manager_in_the_team_every_manager_is_alerted(
    sent_invitation, marta, django_capture_on_commit_callbacks
):
    nora = ManagerFactory(username="nora", first_name="Nora")
    answer_unhappily(sent_invitation, django_capture_on_commit_callbacks, csat=1)
    alerts = mail.outbox[1:]
    assert sorted(m.to[0] for m in alerts) == sorted([marta.email, nora.email])
    assert all(len(m.to) == 1 for m in alerts)


def test_an_unhappy_csat_opens_a_follow_up_too(
    sent_invitation, marta, django_capture_on_commit_callbacks
):
    follow_up = answer_unhappily(sent_invitation, django_capture_on_commit_callbacks, csat=2, nps=2)
    assert follow_up.reasons == ["detractor", "unhappy_csat"]
    assert len(mail.outbox) == 2


def test_a_happy_customer_alerts_nobody(sent_invitation, marta, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_survey(invitation=sent_invitation, csat=5, ces=2, nps=9)
    assert not FollowUp.objects.exists()
    assert len(mail.outbox) == 1


def test_a_lost_alert_task_is_sent_by_the_sweep(sent_invitation, marta):
    # No on-commit here: exactly what a broker outage at answer time looks like.
    response = services.answer_survey(invitation=sent_invitation, nps=0)
    follow_up = FollowUp.objects.get(response=response)
    assert len(mail.outbox) == 1
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        assert sweep_follow_up_alerts() == 1
        assert sweep_follow_up_alerts() == 0
    follow_up.refresh_from_db()
    assert follow_up.alert_status == "sent"
    assert [m.to for m in mail.outbox[1:]] == [[marta.email]]


def test_the_alert_subject_is_safe_from_a_hostile_ticket_subject(
    ana, team_n1, marta, resolve, django_capture_on_commit_callbacks
):
    customer = CustomerFactory()
    ticket = resolve(
        make_ticket(by=ana, customer=customer, team=team_n1, subject="X\r\nBcc: evil@example.com")
    )
    invitation = SurveyInvitation.objects.get(ticket=ticket)
    with due(invitation):
        deliver_invitation(invitation.pk)
    answer_unhappily(refreshed(invitation), django_capture_on_commit_callbacks, nps=1)
    alert = mail.outbox[-1]
    wire = email.message_from_bytes(alert.message().as_bytes(), policy=email.policy.default)
    assert wire["Bcc"] is None
    assert alert.recipients() == [marta.email]


def test_a_transient_failure_for_one_manager_does_not_alert_the_others_twice(
    sent_invitation, marta, django_capture_on_commit_callbacks
):
    nora = ManagerFactory(username="nora", first_name="Nora")
    real_send = locmem.EmailBackend.send_messages
    calls = []

    def second_one_fails(backend, messages):
        calls.append(messages[0].to)
        if len(calls) == 2:
            raise smtplib.SMTPServerDisconnected("gone")
        return real_send(backend, messages)

    with patch.object(locmem.EmailBackend, "send_messages", second_one_fails):
        follow_up = answer_unhappily(sent_invitation, django_capture_on_commit_callbacks, nps=2)
    follow_up.refresh_from_db()
    assert follow_up.alert_status == "pending"
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        assert sweep_follow_up_alerts() == 1
    alerts = [m.to[0] for m in mail.outbox[1:]]
    assert sorted(alerts) == sorted([marta.email, nora.email])


def test_a_reopening_during_the_smtp_talk_expires_rather_than_cancels(invitation, ana):
    from cases.services import reopen_ticket

    real_send = locmem.EmailBackend.send_messages

    def reopen_meanwhile(backend, messages):
        reopen_ticket(ticket=invitation.ticket, by=ana, reason="Still broken.")
        return real_send(backend, messages)

    with due(invitation), patch.object(locmem.EmailBackend, "send_messages", reopen_meanwhile):
        deliver_invitation(invitation.pk)
    assert len(mail.outbox) == 1  # the customer has the link
    invitation = refreshed(invitation)
    assert invitation.status == InvitationStatus.EXPIRED
    with pytest.raises(SurveyExpired):
        services.answer_survey(invitation=invitation, csat=4)
