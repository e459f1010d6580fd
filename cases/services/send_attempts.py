"""The send-attempt journal both outboxes keep (cases' e-mails, survey invitations).

A sender claims an outbox row for `OUTBOX_LEASE_SECONDS` and, in the same transaction, opens
an attempt naming its host, process and lease; that commits before the SMTP talk starts, and
the attempt is closed with the outcome afterwards. A sender that dies mid-send leaves its
attempt open: once the lease has run out, the next claim of the row (or the sweep) marks it
abandoned. The e-mail may have left before the death, so a row with two attempts that may
have delivered it is a possible duplicate, traceable to that attempt.

The lease must outlast any live send: settings refuse one shorter than Celery's hard time
limit plus a margin (the limit kills the sender before its lease runs out).
"""

import os
import socket
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from ..emails import describe_error
from ..models import AttemptOutcome, SendAttempt

AttemptT = TypeVar("AttemptT", bound=SendAttempt)


def lease() -> timedelta:
    """How long a claim keeps other senders off a row (OUTBOX_LEASE_SECONDS)."""
    return timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)


def this_sender() -> dict[str, str | int]:
    """Who is sending: enough to find the worker's log of a possible duplicate."""
    return {"hostname": socket.gethostname()[:255], "pid": os.getpid()}


def open_attempt(
    model: type[AttemptT], *, number: int, lease_until: datetime, **owner: object
) -> AttemptT:
    """Record that this process starts sending. Precondition: inside the claiming
    transaction, which commits before the SMTP talk starts."""
    return model.objects.create(
        number=number,
        started_at=timezone.now(),
        lease_until=lease_until,
        **this_sender(),
        **owner,
    )


def finish_attempt(attempt: SendAttempt, outcome: str, error: Exception | None = None) -> None:
    """Record how the attempt ended (sent, retry, failed). Unconditional: a sender whose
    attempt was wrongly taken for abandoned still tells what really happened."""
    type(attempt).objects.filter(pk=attempt.pk).update(
        outcome=outcome,
        finished_at=timezone.now(),
        error=describe_error(error) if error is not None else "",
    )


def abandon_open_attempts(attempts: QuerySet[SendAttempt]) -> int:
    """Mark abandoned the open attempts among `attempts`, whose sender has lost its lease:
    it died (a live one is killed by the task time limit before its lease ends). Callers
    pass an outbox row they just claimed (the claim proves the lease ran out) or attempts
    whose own lease has. The end stays empty — none was recorded."""
    return attempts.filter(outcome=AttemptOutcome.SENDING).update(outcome=AttemptOutcome.ABANDONED)
