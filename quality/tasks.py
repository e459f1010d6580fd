"""Quality's Celery tasks: thin wrappers around the services."""

from celery import shared_task
from django.utils import timezone

from . import tasks_problems  # noqa: F401  # the worker learns the bulk answer's tasks here
from .services import sampling


@shared_task(acks_late=True, reject_on_worker_lost=True)  # type: ignore[untyped-decorator]  # celery is untyped
def sample_last_week() -> int:
    """Beat, on Mondays: every active sampling rule over the previous week (Monday–Sunday in
    TIME_ZONE). Idempotent (one SamplingRun per rule and week): a rerun assigns nothing.
    Returns the number of reviews assigned."""
    results = sampling.sample_last_week(timezone.localdate())
    return sum(result.assigned for result in results.values())
