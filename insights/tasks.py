"""Celery tasks of insights: thin wrappers around the services."""

from __future__ import annotations

from celery import shared_task

from insights.services.training import train_all, train_due


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)  # type: ignore[untyped-decorator]  # celery is untyped
def train_models() -> list[int]:
    """The nightly training (beat): a kind whose data didn't change is left as it is."""
    return [record.pk for record in train_all()]


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)  # type: ignore[untyped-decorator]  # celery is untyped
def train_models_when_due() -> list[int]:
    """Hourly (beat): the kinds due now — see `insights.services.training.kinds_due`."""
    return [record.pk for record in train_due()]
