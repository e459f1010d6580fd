"""The problems' Celery task (docs/quality.md, "Problems"): the bulk answer, sent in the
background while its page polls. Thin: ids in, the service does the work. Idempotent (the
service skips every ticket already in the answer's results), so acks_late is safe.

Celery's autodiscovery reads `quality/tasks.py` only: that module imports this one."""

from datetime import timedelta

from celery import shared_task

from .selectors.problems import unfinished_bulk_answers
from .services.problems import run_bulk_answer

# Tickets per run: each run stays far inside CELERY_TASK_TIME_LIMIT; an unfinished answer
# queues the next run.
BATCH = 50
# An unfinished bulk answer untouched this long is queued again by the sweep.
STALLED_MINUTES = 5


@shared_task(acks_late=True, reject_on_worker_lost=True)  # type: ignore[untyped-decorator]  # celery is untyped
def send_bulk_answer(bulk_answer_id: int) -> bool:
    """True once every linked ticket has its line in the results."""
    bulk = run_bulk_answer(bulk_answer_id=bulk_answer_id, limit=BATCH)
    if bulk.finished_at is None:
        send_bulk_answer.delay(bulk_answer_id)
        return False
    return True


@shared_task(acks_late=True, reject_on_worker_lost=True)  # type: ignore[untyped-decorator]  # celery is untyped
def sweep_bulk_answers() -> int:
    """Beat, every few minutes: queue again the bulk answers left unfinished for a while (a
    publish lost to a broker outage, a worker gone). Safe: a run skips what is done."""
    stalled = unfinished_bulk_answers(older_than=timedelta(minutes=STALLED_MINUTES))
    for bulk_answer_id in stalled:
        send_bulk_answer.delay(bulk_answer_id)
    return len(stalled)
