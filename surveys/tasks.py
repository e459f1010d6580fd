"""Thin Celery tasks around surveys.services. Arguments are ids only (no personal data in
the broker); delays live in the rows (`send_after`), never in countdowns."""

from celery import shared_task
from django.utils import timezone

from . import services
from .models import SurveyInvitation


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_invitation(invitation_id: int) -> bool:
    return services.deliver_invitation(invitation_id)


def enqueue_invitation(invitation_id: int) -> None:
    """Publish, then note when, so the sweep leaves it alone for a while. A broker error
    propagates: `on_commit(..., robust=True)` logs it and the sweep tries again later."""
    send_invitation.delay(invitation_id)
    SurveyInvitation.objects.filter(pk=invitation_id).update(enqueued_at=timezone.now())


@shared_task(acks_late=True, reject_on_worker_lost=True)
def sweep_invitations() -> int:
    return services.enqueue_due_invitations(enqueue_invitation)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_reminders_and_expire() -> dict:
    return {
        "reminded": services.send_due_reminders(),
        "expired": services.expire_invitations(),
    }


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_follow_up_alert(follow_up_id: int) -> bool:
    return services.deliver_follow_up_alert(follow_up_id)


def enqueue_follow_up_alert(follow_up_id: int) -> None:
    send_follow_up_alert.delay(follow_up_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def sweep_follow_up_alerts() -> int:
    return services.enqueue_due_follow_up_alerts(enqueue_follow_up_alert)
