"""What each ticket action does to a ticket, computed on the row in memory.

A service (tickets.py) locks the row, applies a step to it, then saves the columns the step
names and writes the events it lists. The history import (metrics/importing/bulk.py) applies
the same steps to tickets it then writes in bulk. So the lifecycle move, the counters (first
response, public agent replies, escalations, reopenings, support level), the resolution and
closing times, the version and the SLA clocks are computed in one place and stored two ways.

A step asks a `Staffing` what it must know about people and teams — who may be assigned,
who is in a team, who gets the next case automatically: the services answer from the
database, the import from what it has loaded. Steps check what the ticket row decides; the
caller has checked who acts (`require_staff`) and holds the row.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import lifecycle, sla
from ..errors import PermissionDenied, ValidationError
from ..lifecycle import Action, Transition
from ..models import (
    MAX_LEVEL,
    Category,
    Channel,
    Customer,
    EventKind,
    Priority,
    Reply,
    Status,
    Team,
    Ticket,
    User,
)

SUBJECT_MAX = 200
# A change to any of these re-picks the SLA policy and recomputes the due times.
SLA_INPUTS = {"team", "category", "priority", "channel"}
# Translated when refused only: a step runs for every event of a history import.
NO_SUBJECT = gettext_lazy("A subject is required.")
NO_DESCRIPTION = gettext_lazy("A description is required.")
NO_BODY = gettext_lazy("The message is empty.")
NO_REASON = gettext_lazy("Say why the ticket is escalated.")
NO_RESOLUTION = gettext_lazy("Describe how the case was resolved.")
_CHOICES: dict[type, frozenset[str]] = {}


class Staffing(Protocol):
    """What a step asks about people and teams."""

    def is_assignable(self, ticket: Ticket, user: User) -> bool:
        """`user` is an active member of staff of the ticket's team (any team without one)."""

    def is_member(self, team: Team, user_id: int) -> bool:
        """`user_id` is a member of `team`, whatever their state."""

    def default_team(self, category: Category | None) -> Team | None:
        """The team a ticket registered without one goes to."""

    def least_loaded(self, team: Team) -> User | None:
        """The active member of `team` with the fewest active tickets."""

    def automatic_assignee(self, team: Team | None) -> User | None:
        """Who gets the team's next case under its automatic assignment (None: by hand)."""


@dataclass
class Fact:
    """One TicketEvent to append."""

    kind: str
    actor: User | None
    at: datetime
    data: dict[str, Any]


@dataclass
class Message:
    """A reply or note to write: the services create the Reply, the import a row."""

    author: User | None
    body: str
    public: bool
    at: datetime


@dataclass
class Step:
    """What an action did to the ticket in memory: the columns to save (none: the ticket did
    not change), the events to append in order, and what the caller does afterwards."""

    fields: list[str] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    move: Transition | None = None
    message: Message | None = None  # written first; its id goes into the facts (`name_reply`)
    reply: Reply | None = None  # the services' row for `message`, once written
    reopened: bool = False  # the caller sends `ticket_reopened`
    handed_to: User | None = None  # an automatic assignee the escalation found
    team_changed: bool = False

    def name_reply(self, reply_id: int) -> None:
        """The reply has its id now: the events that point at it say which."""
        for fact in self.facts:
            if "reply_id" in fact.data:
                fact.data["reply_id"] = reply_id


# --- checks -----------------------------------------------------------------------------------


def require_staff(by: User | None) -> None:
    if by is None or not by.is_active or by.role is None:
        raise PermissionDenied(_("Only agents, managers and admins can work on tickets."))


def required_text(value: str, field_name: str, message: str | Promise) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(str(message), field=field_name)
    return value


def required_resolution(resolution: str) -> str:
    return required_text(resolution, "resolution", NO_RESOLUTION)


def check_choice(value: str, choices: Any, field_name: str) -> None:
    if choices not in _CHOICES:
        _CHOICES[choices] = frozenset(choices.values)
    if value not in _CHOICES[choices]:
        raise ValidationError(
            _("“%(value)s” is not a valid %(field)s.") % {"value": value, "field": field_name},
            field=field_name,
        )


def check_assignee(ticket: Ticket, assignee: User, staffing: Staffing) -> None:
    if not assignee.is_active or assignee.role is None:
        raise ValidationError(_("Tickets can only be assigned to active agents."), field="assignee")
    if not staffing.is_assignable(ticket, assignee):
        raise ValidationError(
            _("%(agent)s is not a member of the team %(team)s.")
            % {"agent": assignee.display_name, "team": ticket.team},
            field="assignee",
        )


# --- the common tail of every change ----------------------------------------------------------


def sla_applied(ticket: Ticket, at: datetime) -> Fact:
    """The timeline's record of new SLA deadlines (the system's doing: no actor)."""
    policy = ticket.sla_policy
    # With a policy, both due times are set (sla.set_deadlines).
    first_due, resolution_due = (
        (ticket.first_response_due_at, ticket.resolution_due_at) if policy else (None, None)
    )
    return Fact(
        EventKind.SLA_APPLIED,
        None,
        at,
        {
            "policy": policy.name if policy else None,
            "first_response_due": first_due.isoformat() if first_due else None,
            "resolution_due": resolution_due.isoformat() if resolution_due else None,
        },
    )


def advance(ticket: Ticket, fields: list[str], at: datetime) -> Step:
    """A change of `fields` at `at`: the SLA clocks follow it (status: stop / restart the
    resolution clock; classification or team: new policy and due times, recorded in the
    timeline), the version goes up, `updated_at` moves on. The step names every column
    to save."""
    moved = False
    if "status" in fields:
        moved = sla.follow_status(ticket, at)
    if SLA_INPUTS.intersection(fields):
        moved = sla.set_deadlines(ticket) or moved
    ticket.version += 1
    ticket.updated_at = max(at, ticket.updated_at) if ticket.updated_at else at
    return Step(
        fields=[*fields, *sla.DEADLINE_FIELDS, "version", "updated_at"],
        facts=[sla_applied(ticket, at)] if moved else [],
    )


def _moved(move: Transition) -> dict[str, str]:
    return {"from": move.source, "to": move.target}


# --- register ---------------------------------------------------------------------------------


def open_ticket(
    *,
    by: User | None,
    customer: Customer,
    subject: str,
    description: str,
    channel: str,
    priority: str,
    category: Category | None,
    team: Team | None,
    assignee: User | None,
    auto_assign: bool,
    at: datetime,
    staffing: Staffing,
) -> tuple[Ticket, Step]:
    """A new ticket (unsaved) and the events of its creation."""
    subject = required_text(subject, "subject", NO_SUBJECT)[:SUBJECT_MAX]
    description = required_text(description, "description", NO_DESCRIPTION)
    check_choice(channel, Channel, "channel")
    check_choice(priority, Priority, "priority")
    if category is not None and not category.is_active:
        raise ValidationError(_("This category is no longer in use."), field="category")
    if team is not None and not team.is_active:
        raise ValidationError(_("This team is no longer active."), field="team")
    team = team or staffing.default_team(category)

    ticket = Ticket(
        subject=subject,
        description=description,
        customer=customer,
        channel=channel,
        priority=priority,
        category=category,
        team=team,
        level=team.level if team else 1,
        created_at=at,
        updated_at=at,
    )
    if assignee is not None:
        check_assignee(ticket, assignee, staffing)
        ticket.assignee = assignee
    elif auto_assign and team is not None:
        ticket.assignee = staffing.least_loaded(team)
    else:
        ticket.assignee = staffing.automatic_assignee(team)
    sla.set_deadlines(ticket)
    facts = [
        Fact(
            EventKind.CREATED,
            by,
            at,
            {
                "channel": channel,
                "priority": priority,
                "category": category.name if category else None,
                "team": team.name if team else None,
                "level": ticket.level,
            },
        )
    ]
    if ticket.assignee_id and (chosen := ticket.assignee) is not None:
        facts.append(
            Fact(
                EventKind.ASSIGNED,
                by,
                at,
                {
                    "assignee": chosen.display_name,
                    "assignee_id": ticket.assignee_id,
                    "previous": None,
                    "auto": assignee is None,
                },
            )
        )
    if ticket.sla_policy_id:
        facts.append(sla_applied(ticket, at))
    return ticket, Step(facts=facts)


# --- assign -----------------------------------------------------------------------------------


def assign(
    ticket: Ticket, *, by: User | None, assignee: User | None, at: datetime, staffing: Staffing
) -> Step:
    """Give the ticket to an active agent of its team, or take it away. An empty step when
    it already is theirs."""
    lifecycle.transition(Action.ASSIGN, ticket.status)
    if assignee is not None:
        check_assignee(ticket, assignee, staffing)
    if (assignee.pk if assignee else None) == ticket.assignee_id:
        return Step()
    previous = ticket.assignee.display_name if ticket.assignee is not None else None
    ticket.assignee = assignee
    step = advance(ticket, ["assignee"], at)
    step.facts.append(
        Fact(
            EventKind.ASSIGNED,
            by,
            at,
            {
                "assignee": assignee.display_name if assignee else None,
                "assignee_id": assignee.pk if assignee else None,
                "previous": previous,
                "auto": False,
            },
        )
    )
    return step


# --- conversation -----------------------------------------------------------------------------


def reply(ticket: Ticket, *, by: User, body: str, public: bool, at: datetime) -> Step:
    """An agent's public reply or internal note. The first public reply sets
    `first_response_at` and moves a new ticket to open."""
    body = required_text(body, "body", NO_BODY)
    move = lifecycle.transition(Action.REPLY if public else Action.NOTE, ticket.status)
    fields = []
    if public:
        ticket.public_agent_replies += 1
        fields.append("public_agent_replies")
        if ticket.first_response_at is None:
            ticket.first_response_at = at
            fields.append("first_response_at")
    if move.changes_status:
        ticket.status = move.target
        fields.append("status")
    step = advance(ticket, fields, at)
    step.move, step.message = move, Message(by, body, public, at)
    step.facts.append(
        Fact(
            EventKind.REPLIED if public else EventKind.NOTE,
            by,
            at,
            {"reply_id": None, **(_moved(move) if move.changes_status else {})},
        )
    )
    return step


def customer_reply(ticket: Ticket, *, body: str, at: datetime) -> Step:
    """The customer writes on their case: a pending ticket goes back to open, a resolved one
    is reopened."""
    body = required_text(body, "body", NO_BODY)
    move = lifecycle.transition(Action.CUSTOMER_REPLY, ticket.status)
    fields = []
    if move.source == Status.RESOLVED:
        ticket.reopen_count += 1
        fields.append("reopen_count")
    if move.changes_status:
        ticket.status = move.target
        fields.append("status")
    step = advance(ticket, fields, at)
    step.move, step.message = move, Message(None, body, True, at)
    step.facts.append(Fact(EventKind.CUSTOMER_REPLIED, None, at, {"reply_id": None}))
    if move.source == Status.RESOLVED:
        step.facts.append(
            Fact(EventKind.REOPENED, None, at, {**_moved(move), "via": "customer_reply"})
        )
        step.reopened = True
    elif move.changes_status:
        step.facts.append(Fact(EventKind.RESUMED, None, at, _moved(move)))
    return step


# --- escalation -------------------------------------------------------------------------------


def escalate(
    ticket: Ticket,
    *,
    by: User | None,
    reason: str,
    team: Team | None,
    at: datetime,
    staffing: Staffing,
) -> Step:
    """One support level up (to 3 at most), maybe to another team; the assignee stays only
    if they belong to it, else the team's automatic assignment may hand it on."""
    lifecycle.transition(Action.ESCALATE, ticket.status)
    reason = required_text(reason, "reason", NO_REASON)
    if ticket.level >= MAX_LEVEL:
        raise ValidationError(
            _("The ticket is already at the highest support level (%d).") % MAX_LEVEL,
            field="level",
        )
    if team is not None and not team.is_active:
        raise ValidationError(_("This team is no longer active."), field="team")
    old_team = ticket.team
    from_level = ticket.level
    ticket.level += 1
    ticket.escalation_count += 1
    fields = ["level", "escalation_count"]
    handed_to = None
    if team is not None and team != old_team:
        ticket.team = team
        fields.append("team")
        if ticket.assignee_id and not staffing.is_member(team, ticket.assignee_id):
            ticket.assignee = None
            fields.append("assignee")
        if ticket.assignee_id is None:
            handed_to = staffing.automatic_assignee(team)
            if handed_to is not None:
                ticket.assignee = handed_to
                fields = [*dict.fromkeys([*fields, "assignee"])]
    step = advance(ticket, fields, at)
    step.facts.append(
        Fact(
            EventKind.ESCALATED,
            by,
            at,
            {
                "from_level": from_level,
                "to_level": ticket.level,
                "reason": reason,
                "from_team": old_team.name if old_team else None,
                "to_team": ticket.team.name if ticket.team else None,
                "unassigned": "assignee" in fields and handed_to is None,
            },
        )
    )
    if handed_to is not None:
        step.facts.append(
            Fact(
                EventKind.ASSIGNED,
                by,
                at,
                {
                    "assignee": handed_to.display_name,
                    "assignee_id": handed_to.pk,
                    "previous": None,
                    "auto": True,
                },
            )
        )
    step.handed_to, step.team_changed = handed_to, "team" in fields
    return step


# --- status changes ---------------------------------------------------------------------------


def _status(ticket: Ticket, action: str) -> Transition:
    move = lifecycle.transition(action, ticket.status)
    ticket.status = move.target
    return move


def set_pending(ticket: Ticket, *, by: User | None, at: datetime) -> Step:
    move = _status(ticket, Action.PENDING)
    step = advance(ticket, ["status"], at)
    step.move = move
    step.facts.append(Fact(EventKind.PENDING, by, at, _moved(move)))
    return step


def resume(ticket: Ticket, *, by: User | None, at: datetime) -> Step:
    move = _status(ticket, Action.RESUME)
    step = advance(ticket, ["status"], at)
    step.move = move
    step.facts.append(Fact(EventKind.RESUMED, by, at, _moved(move)))
    return step


def resolve(ticket: Ticket, *, by: User | None, resolution: str, at: datetime) -> Step:
    """Resolved with a resolution text: `resolved_at` is the latest resolution."""
    resolution = required_resolution(resolution)
    move = _status(ticket, Action.RESOLVE)
    ticket.resolved_at = at
    ticket.resolution = resolution
    step = advance(ticket, ["status", "resolved_at", "resolution"], at)
    step.move = move
    step.facts.append(Fact(EventKind.RESOLVED, by, at, {"resolution": resolution, **_moved(move)}))
    return step


def reopen(ticket: Ticket, *, by: User | None, reason: str, at: datetime) -> Step:
    move = _status(ticket, Action.REOPEN)
    ticket.reopen_count += 1
    step = advance(ticket, ["status", "reopen_count"], at)
    step.move, step.reopened = move, True
    step.facts.append(
        Fact(EventKind.REOPENED, by, at, {"reason": (reason or "").strip(), **_moved(move)})
    )
    return step


def close(ticket: Ticket, *, by: User | None, at: datetime) -> Step:
    move = _status(ticket, Action.CLOSE)
    ticket.closed_at = at
    step = advance(ticket, ["status", "closed_at"], at)
    step.move = move
    step.facts.append(Fact(EventKind.CLOSED, by, at, _moved(move)))
    return step
