"""The lifecycle: the one table of what each action does to a ticket's status.

`new → open ⇄ pending → resolved → closed`, plus `resolved → open` (reopen), and `merged`, the
end of a duplicate folded into another ticket from any status short of closed. Services, the
web buttons and the API actions all consult `TRANSITIONS`; nothing else decides.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .errors import TransitionError
from .models import Status

NEW, OPEN, PENDING = Status.NEW, Status.OPEN, Status.PENDING
RESOLVED, CLOSED, MERGED = Status.RESOLVED, Status.CLOSED, Status.MERGED

# The status graph. Every status change an action makes must be an edge here.
STATUS_EDGES: frozenset[tuple[str, str]] = frozenset(
    {
        (NEW, OPEN),
        (OPEN, PENDING),
        (PENDING, OPEN),
        (OPEN, RESOLVED),
        (PENDING, RESOLVED),
        (RESOLVED, OPEN),
        (RESOLVED, CLOSED),
        # Terminal: nothing leaves `merged` (a merged ticket is never reopened; its target is).
        (NEW, MERGED),
        (OPEN, MERGED),
        (PENDING, MERGED),
        (RESOLVED, MERGED),
    }
)


class Action:
    CLASSIFY = "classify"
    TAG = "tag"
    ASSIGN = "assign"
    REPLY = "reply"  # public reply by an agent
    NOTE = "note"  # internal note
    CUSTOMER_REPLY = "customer_reply"
    FOLLOWER_REPLY = "follower_reply"  # someone in copy: recorded, never moves the status
    ESCALATE = "escalate"
    PENDING = "pending"
    RESUME = "resume"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    CLOSE = "close"
    MERGE = "merge"  # the duplicate's move; the target only takes in messages


# action → {current status: status afterwards}. A status missing from an action's map means
# the action is refused in that status.
TRANSITIONS: dict[str, dict[str, str]] = {
    Action.CLASSIFY: {NEW: NEW, OPEN: OPEN, PENDING: PENDING, RESOLVED: RESOLVED},
    Action.TAG: {NEW: NEW, OPEN: OPEN, PENDING: PENDING, RESOLVED: RESOLVED},
    Action.ASSIGN: {NEW: NEW, OPEN: OPEN, PENDING: PENDING, RESOLVED: RESOLVED},
    Action.REPLY: {NEW: OPEN, OPEN: OPEN, PENDING: PENDING},
    Action.NOTE: {NEW: NEW, OPEN: OPEN, PENDING: PENDING, RESOLVED: RESOLVED},
    Action.CUSTOMER_REPLY: {NEW: NEW, OPEN: OPEN, PENDING: OPEN, RESOLVED: OPEN},
    Action.FOLLOWER_REPLY: {NEW: NEW, OPEN: OPEN, PENDING: PENDING, RESOLVED: RESOLVED},
    Action.ESCALATE: {NEW: NEW, OPEN: OPEN, PENDING: PENDING},
    Action.PENDING: {OPEN: PENDING},
    Action.RESUME: {PENDING: OPEN},
    Action.RESOLVE: {OPEN: RESOLVED, PENDING: RESOLVED},
    Action.REOPEN: {RESOLVED: OPEN},
    Action.CLOSE: {RESOLVED: CLOSED},
    Action.MERGE: {NEW: MERGED, OPEN: MERGED, PENDING: MERGED, RESOLVED: MERGED},
}


@dataclass(frozen=True)
class Transition:
    action: str
    source: str
    target: str

    @property
    def changes_status(self) -> bool:
        return self.source != self.target


def _check_table() -> None:
    for action, moves in TRANSITIONS.items():
        for source, target in moves.items():
            if source != target and (source, target) not in STATUS_EDGES:
                raise AssertionError(f"{action}: {source}→{target} is not in the status graph")


_check_table()


def is_allowed(action: str, status: str) -> bool:
    return status in TRANSITIONS[action]


def allowed_actions(status: str) -> list[str]:
    return [action for action, moves in TRANSITIONS.items() if status in moves]


def transition(action: str, status: str) -> Transition:
    """The move `action` makes from `status`; TransitionError if the lifecycle refuses it."""
    moves = TRANSITIONS[action]
    if status not in moves:
        raise TransitionError(
            _("A %(status)s ticket cannot be %(action)s: the lifecycle does not allow it.")
            % {"status": Status(status).label.lower(), "action": _past(action)},
            status=status,
        )
    return Transition(action=action, source=status, target=moves[status])


_PAST = {
    Action.CLASSIFY: _("classified"),
    Action.TAG: _("tagged"),
    Action.ASSIGN: _("assigned"),
    Action.REPLY: _("replied to"),
    Action.NOTE: _("annotated"),
    Action.CUSTOMER_REPLY: _("replied to"),
    Action.FOLLOWER_REPLY: _("replied to"),
    Action.ESCALATE: _("escalated"),
    Action.PENDING: _("set pending"),
    Action.RESUME: _("set back to open"),
    Action.RESOLVE: _("resolved"),
    Action.REOPEN: _("reopened"),
    Action.CLOSE: _("closed"),
    Action.MERGE: _("merged"),
}


def _past(action: str) -> str:
    return str(_PAST[action])
