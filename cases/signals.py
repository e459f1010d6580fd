"""The signals `cases` sends, both *inside* the transaction that makes the change, after the
ticket and its event are written: a receiver that writes rows commits or rolls back with the
change. Receivers must not do slow I/O; they queue it with `transaction.on_commit`.

- `ticket_resolved(sender=Ticket, ticket, by, at, event, replay)` — sent by `resolve_ticket`.
  `event` is the `resolved` TicketEvent (one per resolution); `replay` is True while history
  is being replayed (demo data, imports): receivers must cause no side effects then.
  The surveys app connects to it to write the survey invitation.
- `ticket_reopened(sender=Ticket, ticket, by, at, replay)` — sent when a resolved ticket goes
  back to open (an agent reopens it or the customer replies). The surveys app withdraws an
  unanswered survey.
- `ticket_merged(sender=Ticket, source, target, by, at, replay)` — sent by `merge_tickets`
  once the source is merged. The surveys app withdraws the source's unanswered survey.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.dispatch import Signal

ticket_resolved = Signal()
ticket_reopened = Signal()
ticket_merged = Signal()

_replaying: ContextVar[bool] = ContextVar("replaying_history", default=False)


@contextmanager
def replaying_history() -> Iterator[None]:
    """Mark work that replays the past (demo data, history import): services behave as usual,
    but the signals tell receivers not to send e-mails or surveys."""
    token = _replaying.set(True)
    try:
        yield
    finally:
        _replaying.reset(token)


def is_replaying() -> bool:
    return _replaying.get()
