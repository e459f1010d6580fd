"""Customer e-mails through an outbox (RELIABILITY.md): the row is written with the change
that causes it, a Celery task claims and sends it, a periodic sweep re-enqueues what the
broker lost. A retry never mails twice: the claim is a conditional UPDATE."""

import hashlib
import logging
import secrets
import smtplib
from datetime import timedelta

from django.core.mail import BadHeaderError
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from ..emails import (
    MAX_ATTEMPTS,
    TRANSIENT_ERRORS,
    describe_error,
    is_transient,
    retry_delay,
    send_templated_email,
)
from ..models import (
    CustomerNotification,
    NotificationKind,
    NotificationStatus,
    Ticket,
    TicketAccessToken,
)

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
REENQUEUE_AFTER = timedelta(minutes=2)
_TEMPLATES = {NotificationKind.TICKET_RECEIVED: "ticket-received"}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_access_token(ticket: Ticket) -> str:
    """A new private link token for the ticket's customer (256 bits); only its hash is kept."""
    token = secrets.token_urlsafe(32)
    TicketAccessToken.objects.create(ticket=ticket, token_hash=hash_token(token))
    return token


def ticket_for_access_token(token: str) -> Ticket | None:
    """The ticket a customer link opens, or None — for a malformed token as for an unknown
    one, so the answer leaks nothing."""
    if not token or len(token) > 100:
        return None
    access = (
        TicketAccessToken.objects.select_related("ticket", "ticket__customer")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if access is None:
        return None
    TicketAccessToken.objects.filter(pk=access.pk).update(last_used_at=timezone.now())
    return access.ticket


def _claim(notification_id: int) -> bool:
    now = timezone.now()
    claimable = Q(status=NotificationStatus.PENDING, send_after__lte=now) | Q(
        status=NotificationStatus.SENDING, lease_until__lt=now
    )
    return bool(
        CustomerNotification.objects.filter(claimable, pk=notification_id).update(
            status=NotificationStatus.SENDING, lease_until=now + LEASE
        )
    )


def deliver_customer_notification(notification_id: int) -> bool:
    """Send one outbox e-mail if nobody else is sending it. True when this call sent it."""
    if not _claim(notification_id):
        return False
    notification = CustomerNotification.objects.select_related("ticket", "ticket__customer").get(
        pk=notification_id
    )
    ticket, customer = notification.ticket, notification.ticket.customer
    attempts = notification.attempts + 1
    token = None
    try:
        token = issue_access_token(ticket)
        send_templated_email(
            name=_TEMPLATES[notification.kind],
            to=customer.email,
            language=customer.language,
            context={
                "ticket": ticket,
                "customer": customer,
                "link": reverse("portal:ticket", kwargs={"token": token}),
            },
            headers={"X-Pulso-Ticket": ticket.reference, "Auto-Submitted": "auto-generated"},
        )
    except Exception as error:
        if token is not None:  # a link nobody received must not stay valid
            TicketAccessToken.objects.filter(token_hash=hash_token(token)).delete()
        transient = is_transient(error) and attempts < MAX_ATTEMPTS
        if not transient and not isinstance(
            error, (smtplib.SMTPException, BadHeaderError, *TRANSIENT_ERRORS)
        ):
            log.exception("Unexpected error sending notification %s", notification_id)
        CustomerNotification.objects.filter(pk=notification_id).update(
            status=NotificationStatus.PENDING if transient else NotificationStatus.FAILED,
            attempts=attempts,
            # Back off in the row, not in a Celery countdown: the sweep picks it up when due.
            send_after=timezone.now() + retry_delay(attempts),
            lease_until=None,
            last_error=describe_error(error),
        )
        return False
    CustomerNotification.objects.filter(pk=notification_id).update(
        status=NotificationStatus.SENT,
        sent_at=timezone.now(),
        attempts=attempts,
        lease_until=None,
        last_error="",
    )
    return True


def enqueue_due_notifications(enqueue) -> int:
    """Hand every due, not recently enqueued notification to `enqueue(id)` — the safety net
    for tasks a broker outage lost. Returns how many were handed over."""
    now = timezone.now()
    due = CustomerNotification.objects.filter(
        Q(status=NotificationStatus.PENDING, send_after__lte=now)
        & (
            Q(enqueued_at__isnull=True)
            | Q(enqueued_at__lt=now - REENQUEUE_AFTER)
            # enqueued before a failed try moved send_after on: that enqueue is used up
            | Q(enqueued_at__lt=F("send_after"))
        )
        | Q(status=NotificationStatus.SENDING, lease_until__lt=now)
    ).values_list("pk", flat=True)[:500]
    count = 0
    for pk in list(due):
        enqueue(pk)
        count += 1
    return count
