"""Publishing a Celery task after a commit, without letting a sick broker slow requests down.

Every e-mail and survey has a row in an outbox that a periodic sweep re-enqueues, so the
publish right after the commit is only the fast path. A request may end with several of them
(a resolution: the survey and the resolution e-mail). A Redis that accepts connections but
never answers costs each publish ~2 s (docs/reliability.md's timeouts); after one failure, the
others of this process skip the fast path for BROKER_RETRY_AFTER seconds and leave the work to
the sweep — so a request pays for one failed publish at most, never one per e-mail.
"""

import logging
import threading
import time
from collections.abc import Callable

from django.db import transaction

log = logging.getLogger(__name__)

BROKER_RETRY_AFTER = 10.0  # seconds

_lock = threading.Lock()
_broker_failed_at: float | None = None


def publish_on_commit(enqueue: Callable[..., None], *args) -> None:
    """Call `enqueue(*args)` once the current transaction commits (at once outside one).
    A broker error is logged by Django (`robust=True`): the committed change stands, and the
    outbox sweep publishes later."""
    transaction.on_commit(lambda: _fast_path(enqueue, *args), robust=True)


def _fast_path(enqueue: Callable[..., None], *args) -> None:
    global _broker_failed_at
    with _lock:
        failed_at = _broker_failed_at
    if failed_at is not None and time.monotonic() - failed_at < BROKER_RETRY_AFTER:
        log.info("Broker failed moments ago: %s%r left to the outbox sweep", enqueue.__name__, args)
        return
    try:
        enqueue(*args)
    except Exception:
        with _lock:
            _broker_failed_at = time.monotonic()
        raise
    with _lock:
        _broker_failed_at = None


def reset() -> None:
    """Forget an earlier broker failure (tests; a worker that knows the broker is back)."""
    global _broker_failed_at
    with _lock:
        _broker_failed_at = None
