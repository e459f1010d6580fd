from celery import shared_task

from . import digest


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_weekly_digests() -> int:
    return digest.send_weekly_digests()
