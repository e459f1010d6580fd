"""Celery tasks of insights: thin wrappers around the services."""

from __future__ import annotations

from celery import shared_task

from cases.models import Ticket
from insights.services import auto_apply
from insights.services.training import train_all, train_due


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)  # type: ignore[untyped-decorator]  # celery is untyped
def train_models(force: bool = False) -> list[int]:
    """The nightly training (beat): a kind whose data didn't change is left as it is.
    `force` (the admins' "Train now") learns every kind again all the same."""
    return [record.pk for record in train_all(force=force)]


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)  # type: ignore[untyped-decorator]  # celery is untyped
def train_models_when_due() -> list[int]:
    """Hourly (beat): the kinds due now — see `insights.services.training.kinds_due`."""
    return [record.pk for record in train_due()]


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)  # type: ignore[untyped-decorator]  # celery is untyped
def auto_apply_ticket(ticket_id: int) -> list[str]:
    """A new ticket read by the triage model; the admin's auto-apply rules applied to it.
    Idempotent: a retry applies nothing twice."""
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is None:
        return []
    return auto_apply.apply_rules(ticket)
