"""Thin Celery tasks: take an id, call the service."""

import logging

from celery import shared_task
from django.utils import timezone

from .models import CustomerNotification
from .services import notifications

log = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_customer_notification(notification_id: int) -> bool:
    return notifications.deliver_customer_notification(notification_id)


def enqueue_customer_notification(notification_id: int) -> None:
    """Publish the send task and note when, so the sweep does not re-publish it at once.
    A broker error propagates; `on_commit(..., robust=True)` logs it and the sweep retries."""
    send_customer_notification.delay(notification_id)
    CustomerNotification.objects.filter(pk=notification_id).update(enqueued_at=timezone.now())


@shared_task(acks_late=True, reject_on_worker_lost=True)
def sweep_customer_notifications() -> int:
    return notifications.enqueue_due_notifications(enqueue_customer_notification)
