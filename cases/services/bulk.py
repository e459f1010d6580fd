"""Bulk work: one action over many tickets, each through its own service call — its own
transaction, its own version check — and an outcome per ticket. A refused ticket changes
nothing of itself and nothing of the others; nobody is told "done" for a ticket that was
refused (docs/workspace.md, "Bulk work")."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.utils.translation import gettext as _

from ..errors import CasesError, PermissionDenied, ValidationError
from ..models import Category, Macro, Team, Ticket, User
from ..selectors import macros_offered_to, tickets_visible_to
from .macros import apply_macro
from .merge import merge_tickets
from .tags import change_tags
from .tickets import assign_ticket, classify_ticket, resolve_ticket

# At most this many tickets in one bulk action (four pages of the queue).
BULK_MAX = 100


class BulkAction:
    ASSIGN = "assign"
    TEAM = "team"
    PRIORITY = "priority"
    CATEGORY = "category"
    ADD_TAGS = "add_tags"
    REMOVE_TAGS = "remove_tags"
    MACRO = "macro"
    RESOLVE = "resolve"
    MERGE = "merge"

    ALL = (ASSIGN, TEAM, PRIORITY, CATEGORY, ADD_TAGS, REMOVE_TAGS, MACRO, RESOLVE, MERGE)


@dataclass(frozen=True)
class BulkParams:
    """What the action needs; only the action's own fields are read."""

    assignee: User | None = None
    team: Team | None = None
    priority: str = ""
    category: Category | None = None
    tags: Sequence[str] = ()
    macro: Macro | None = None
    resolution: str = ""
    into: Ticket | None = None
    notify_customer: bool = False


@dataclass(frozen=True)
class BulkOutcome:
    ticket_id: int
    reference: str
    subject: str
    done: bool
    reason: str = ""  # why it was refused


Runner = Callable[[Ticket, User, int | None, BulkParams], Any]

T = TypeVar("T")


def _given(value: T | None, field: str) -> T:
    """What the action needs (the forms check it first; a direct call gets a clear error)."""
    if value is None:
        raise ValidationError(_("This action needs a %(field)s.") % {"field": field}, field=field)
    return value


_RUNNERS: dict[str, Runner] = {
    BulkAction.ASSIGN: lambda t, by, v, p: assign_ticket(
        ticket=t, by=by, assignee=p.assignee, expected_version=v
    ),
    BulkAction.TEAM: lambda t, by, v, p: classify_ticket(
        ticket=t, by=by, team=_given(p.team, "team"), expected_version=v
    ),
    BulkAction.PRIORITY: lambda t, by, v, p: classify_ticket(
        ticket=t, by=by, priority=p.priority, expected_version=v
    ),
    BulkAction.CATEGORY: lambda t, by, v, p: classify_ticket(
        ticket=t, by=by, category=p.category, expected_version=v
    ),
    BulkAction.ADD_TAGS: lambda t, by, v, p: change_tags(
        ticket=t, by=by, add=p.tags, expected_version=v
    ),
    BulkAction.REMOVE_TAGS: lambda t, by, v, p: change_tags(
        ticket=t, by=by, remove=p.tags, expected_version=v
    ),
    BulkAction.MACRO: lambda t, by, v, p: apply_macro(
        ticket=t, by=by, macro=_given(p.macro, "macro"), expected_version=v
    ),
    BulkAction.RESOLVE: lambda t, by, v, p: resolve_ticket(
        ticket=t, by=by, resolution=p.resolution, expected_version=v
    ),
    BulkAction.MERGE: lambda t, by, v, p: merge_tickets(
        source=t,
        target=_given(p.into, "into"),
        by=by,
        expected_version=v,
        notify_customer=p.notify_customer,
    ),
}


def run_bulk(
    *,
    action: str,
    by: User,
    versions: dict[int, int | None],
    params: BulkParams,
) -> list[BulkOutcome]:
    """Apply `action` to each ticket of `versions` ({ticket id: the version the agent saw, or
    None}), in the order given. A ticket the agent may not see is reported as not found,
    like one that does not exist."""
    run = _RUNNERS[action]
    macro = params.macro
    offered = macro is None or macros_offered_to(by).filter(pk=macro.pk).exists()
    if action == BulkAction.MACRO and not offered:
        raise PermissionDenied(_("This macro is not yours to use."))
    visible = tickets_visible_to(by).in_bulk(list(versions))
    outcomes = []
    for ticket_id, version in versions.items():
        ticket = visible.get(ticket_id)
        if ticket is None:
            outcomes.append(
                BulkOutcome(ticket_id, f"#{ticket_id}", "", False, _("No ticket you can see."))
            )
            continue
        if action == BulkAction.MERGE and params.into is not None and params.into.pk == ticket_id:
            # The target of "merge these into one" is one of the selection: it stays.
            outcomes.append(
                BulkOutcome(
                    ticket_id, ticket.reference, ticket.subject, True, _("Kept: the merge target.")
                )
            )
            continue
        try:
            run(ticket, by, version, params)
        except CasesError as refused:
            outcomes.append(
                BulkOutcome(ticket_id, ticket.reference, ticket.subject, False, refused.message)
            )
        else:
            outcomes.append(BulkOutcome(ticket_id, ticket.reference, ticket.subject, True))
    return outcomes
