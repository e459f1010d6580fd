from celery import shared_task

from . import digest


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_weekly_digests() -> int:
    return digest.send_weekly_digests()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def refresh_rollups() -> int:
    """Beat, every minute: the first build, then the pending changes (idempotent: a second
    worker waits on the same lock and finds nothing left)."""
    from . import rollups

    if not rollups.enabled():
        return 0
    if not rollups.is_built():
        rollups.rebuild()
        return -1
    return rollups.refresh()
