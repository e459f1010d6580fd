"""Thin Celery tasks: take an id, call the service."""

import logging

from celery import shared_task
from django.utils import timezone

from . import services
from .emails import TRANSIENT_ERRORS
from .models import OutboundEmail
from .services import deadlines, mailbox, notifications

log = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_notification(notification_id: int) -> bool:
    """One outbox e-mail; retries live in the row (back-off, then the sweep)."""
    return notifications.deliver_notification(notification_id)


def enqueue_notification(notification_id: int) -> None:
    """Publish the send task and note when, so the sweep does not re-publish it at once.
    A broker error propagates; `on_commit(..., robust=True)` logs it and the sweep retries."""
    send_notification.delay(notification_id)
    OutboundEmail.objects.filter(pk=notification_id).update(enqueued_at=timezone.now())


def enqueue_sign_in_link(notification_id: int | None) -> None:
    """`enqueue_notification` for a portal sign-in e-mail — and, when the address asked for
    belongs to nobody (None), the same publish and the same UPDATE with nothing to send or
    mark: the request does the same work whether or not the address is known
    (services/portal.py). The worker's `deliver_notification(0)` claims no row."""
    send_notification.delay(notification_id or 0)
    OutboundEmail.objects.filter(pk=notification_id or 0).update(enqueued_at=timezone.now())


@shared_task(acks_late=True, reject_on_worker_lost=True)
def sweep_customer_notifications() -> int:
    return notifications.enqueue_due_notifications(enqueue_notification)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def check_sla() -> dict:
    """Beat, every minute: warn at 80 %, escalate and alert on a breach (idempotent)."""
    return dict(deadlines.check_deadlines(notify=enqueue_sla_alert))


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=60,
    max_retries=5,
)
def send_sla_alert(ticket_id: int, clock: str, stage: str, user_ids: list[int]) -> int:
    return deadlines.send_alert(ticket_id, clock, stage, user_ids)


def enqueue_sla_alert(ticket_id: int, clock: str, stage: str, user_ids: list[int]) -> None:
    send_sla_alert.delay(ticket_id, clock, stage, user_ids)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def close_resolved_tickets() -> int:
    """Beat, hourly: resolved tickets close after AUTO_CLOSE_DAYS without a customer reply."""
    return services.close_resolved_tickets()


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=80, time_limit=110)
def poll_mailbox() -> dict:
    """Beat, every IMAP_POLL_SECONDS: take in the support mailbox's new messages (no-op
    without IMAP_HOST). A run that fails leaves its messages unread for the next one."""
    if not mailbox.configured():
        return {}
    return dict(mailbox.poll())
