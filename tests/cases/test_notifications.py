"""The customer e-mail outbox: the row is the truth, the Celery task only a fast path. Transient
SMTP errors retry later, permanent ones fail, a second delivery never mails twice, and the
sweep picks up what the broker lost."""

import smtplib
from datetime import timedelta
from unittest.mock import patch

import pytest
import time_machine
from django.core import mail
from django.core.mail import BadHeaderError
from django.core.mail.backends import locmem
from django.utils import timezone

from cases.models import Channel, NotificationStatus, OutboundEmail
from cases.services import deliver_notification, register_ticket
from cases.services.notifications import REENQUEUE_AFTER
from cases.tasks import send_notification, sweep_customer_notifications
from tests.factories import CustomerFactory


def acknowledged_case(customer, **kwargs) -> OutboundEmail:
    """A web case with its confirmation queued. The on-commit hook never runs here (the test
    transaction is not committed): exactly what a lost task looks like."""
    kwargs.setdefault("subject", "Cannot log in")
    ticket = register_ticket(
        by=None,
        customer=customer,
        channel=Channel.WEB,
        description="The password reset e-mail never arrives.",
        acknowledge=True,
        **kwargs,
    )
    return OutboundEmail.objects.get(ticket=ticket)


def failing_send(error):
    return patch.object(locmem.EmailBackend, "send_messages", side_effect=error)


def test_registering_with_acknowledge_sends_the_confirmation_after_commit(
    customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notification = acknowledged_case(customer)
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert notification.attempts == 1
    assert notification.enqueued_at is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["X-Pulso-Ticket"] == notification.ticket.reference


def test_a_customer_without_email_gets_no_confirmation(db):
    phone_only = CustomerFactory(email="", name="Pedro Phone")
    ticket = register_ticket(
        by=None,
        customer=phone_only,
        channel=Channel.WEB,
        subject="Help",
        description="Call me back.",
        acknowledge=True,
    )
    assert not OutboundEmail.objects.filter(ticket=ticket).exists()


def test_a_transient_smtp_error_leaves_the_email_pending_for_a_later_try(customer):
    notification = acknowledged_case(customer)
    before = timezone.now()

    with failing_send(smtplib.SMTPServerDisconnected("Connection unexpectedly closed")):
        assert deliver_notification(notification.pk) is False

    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PENDING
    assert notification.attempts == 1
    assert notification.send_after > before + timedelta(seconds=30)
    assert notification.lease_until is None
    assert "SMTPServerDisconnected" in notification.last_error
    assert mail.outbox == []
    # Not due yet: a delivery now does nothing.
    assert deliver_notification(notification.pk) is False

    with time_machine.travel(notification.send_after + timedelta(seconds=1)):
        assert deliver_notification(notification.pk) is True
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert notification.attempts == 2
    assert notification.last_error == ""
    assert len(mail.outbox) == 1


def test_an_smtp_4xx_answer_is_retried_later(customer):
    notification = acknowledged_case(customer)
    with failing_send(smtplib.SMTPResponseException(451, b"Try again later")):
        deliver_notification(notification.pk)
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.PENDING
    assert notification.attempts == 1


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPRecipientsRefused({"lucia@example.com": (550, b"No such user")}),
        smtplib.SMTPResponseException(550, b"Mailbox unavailable"),
        BadHeaderError("Header values can't contain newlines"),
    ],
    ids=["recipients-refused", "550", "bad-header"],
)
def test_a_permanent_error_marks_the_email_failed(customer, error):
    notification = acknowledged_case(customer)
    with failing_send(error):
        assert deliver_notification(notification.pk) is False
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.FAILED
    assert notification.attempts == 1
    assert notification.last_error
    # A failed e-mail is never picked up again.
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        assert deliver_notification(notification.pk) is False
        assert sweep_customer_notifications() == 0
    assert mail.outbox == []


def test_delivering_the_same_email_twice_sends_it_once(customer):
    notification = acknowledged_case(customer)
    assert deliver_notification(notification.pk) is True
    assert deliver_notification(notification.pk) is False
    send_notification.delay(notification.pk)
    assert len(mail.outbox) == 1


def test_a_second_worker_cannot_claim_an_email_that_is_being_sent(customer):
    notification = acknowledged_case(customer)
    raced = []
    original = locmem.EmailBackend.send_messages

    def send_while_another_worker_tries(self, messages):
        raced.append(deliver_notification(notification.pk))
        return original(self, messages)

    with patch.object(locmem.EmailBackend, "send_messages", send_while_another_worker_tries):
        assert deliver_notification(notification.pk) is True

    assert raced == [False]
    assert len(mail.outbox) == 1


def test_an_email_whose_sender_died_is_sent_once_its_lease_expires(customer):
    notification = acknowledged_case(customer)
    # A worker claimed it and was killed before sending.
    OutboundEmail.objects.filter(pk=notification.pk).update(
        status=NotificationStatus.SENDING, lease_until=timezone.now() + timedelta(minutes=5)
    )
    assert deliver_notification(notification.pk) is False
    assert sweep_customer_notifications() == 0

    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert sweep_customer_notifications() == 1
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert len(mail.outbox) == 1


def test_the_sweep_re_enqueues_a_pending_email_whose_task_was_lost(customer):
    notification = acknowledged_case(customer)
    assert notification.enqueued_at is None

    assert sweep_customer_notifications() == 1

    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert notification.enqueued_at is not None
    assert len(mail.outbox) == 1
    assert sweep_customer_notifications() == 0
    assert len(mail.outbox) == 1


def test_the_sweep_leaves_a_recently_enqueued_email_to_its_task(customer):
    notification = acknowledged_case(customer)
    OutboundEmail.objects.filter(pk=notification.pk).update(enqueued_at=timezone.now())

    assert sweep_customer_notifications() == 0
    assert mail.outbox == []

    with time_machine.travel(timezone.now() + REENQUEUE_AFTER + timedelta(seconds=1)):
        assert sweep_customer_notifications() == 1
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("breaker", ["\r\n", "%0d%0a", "\u2028", "\n\nX-Evil: 1"])
def test_line_breaks_in_the_subject_or_name_stay_out_of_the_headers(db, breaker):
    customer = CustomerFactory(
        name=f"Eve{breaker}Bcc: evil@example.com", email="eve@example.com", language="en"
    )
    notification = acknowledged_case(customer, subject=f"Hi{breaker}Bcc: evil@example.com")

    assert deliver_notification(notification.pk) is True

    (message,) = mail.outbox
    assert message.to == ["eve@example.com"]
    assert message.bcc == []
    headers = message.message()
    assert "Bcc" not in headers
    assert "X-Evil" not in headers
    subject = str(headers["Subject"])
    assert not any(char in subject for char in "\r\n\u2028")
    assert subject.startswith(f"[{notification.ticket.reference}] We received your case: Hi")


def test_the_confirmation_is_written_in_the_customers_language(db):
    english = CustomerFactory(name="John Smith", email="john@example.com", language="en")
    notification = acknowledged_case(english)
    deliver_notification(notification.pk)
    (message,) = mail.outbox
    assert message.subject.startswith(f"[{notification.ticket.reference}] We received your case")
    assert "Hello John Smith," in message.body
    assert "do not share it" in message.body


def test_the_html_email_escapes_the_subject_and_name(db):
    customer = CustomerFactory(name="<b>Mallory</b>", email="m@example.com", language="en")
    notification = acknowledged_case(customer, subject="<img src=x onerror=alert(1)>")
    deliver_notification(notification.pk)
    html = mail.outbox[0].alternatives[0][0]
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;b&gt;Mallory&lt;/b&gt;" in html
    # The plain-text part is not HTML: it shows the text as typed.
    assert "<img src=x onerror=alert(1)>" in mail.outbox[0].body
