"""Ticket services: register, classify, assign, reply, escalate and move through the lifecycle.

Common shape of every function that changes an existing ticket:
1. open a transaction and lock the ticket row (`select_for_update`);
2. refuse if the caller's `expected_version` is stale (ConflictError → 409);
3. ask the lifecycle table for the move (TransitionError → 409);
4. change the fields, bump `version`, save with `update_fields`;
5. append one TicketEvent per fact.
`at` lets the history import and the demo data replay the past; it defaults to now.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import lifecycle, sla
from ..errors import ConflictError, PermissionDenied, TransitionError, ValidationError
from ..lifecycle import Action
from ..models import (
    MAX_LEVEL,
    AssignmentMode,
    Category,
    Channel,
    Customer,
    EventKind,
    NotificationKind,
    Priority,
    Reply,
    Status,
    Team,
    Ticket,
    TicketEvent,
    User,
)
from ..selectors import assignable_agents, can_see_ticket, least_loaded_agent, next_agent_for
from ..signals import is_replaying, ticket_reopened, ticket_resolved
from .notifications import notify_assignee, notify_team_of_escalation, queue_email

SUBJECT_MAX = 200
UNSET = object()


# --- helpers ----------------------------------------------------------------------------------


def _now(at: datetime | None) -> datetime:
    return at or timezone.now()


def _require_staff(by) -> None:
    if by is None or not by.is_active or by.role is None:
        raise PermissionDenied(_("Only agents, managers and admins can work on tickets."))


def _lock(ticket: Ticket, by, expected_version: int | None) -> Ticket:
    """Lock the row and return a fresh copy. Precondition: inside a transaction."""
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if by is not None:
        _require_staff(by)
        # Replayed history is not bound by today's team memberships: the agent who set a
        # ticket pending after escalating it away did so, whatever teams they are in now.
        if not is_replaying() and not can_see_ticket(by, locked):
            raise PermissionDenied(_("You cannot work on this ticket."))
    if expected_version is not None and expected_version != locked.version:
        raise ConflictError(
            _("Someone else changed this ticket a moment ago. Reload it and try again."),
            status=locked.status,
        )
    return locked


# A change to any of these re-picks the SLA policy and recomputes the due times.
SLA_INPUTS = {"team", "category", "priority", "channel"}


def _save(ticket: Ticket, fields: Iterable[str], at: datetime) -> None:
    """Save a change; the SLA clocks follow it (status: stop / restart the resolution clock;
    classification or team: new policy and due times, recorded in the timeline)."""
    fields = [*fields]
    moved = False
    if "status" in fields:
        moved = sla.follow_status(ticket, at)
    if SLA_INPUTS.intersection(fields):
        moved = sla.set_deadlines(ticket) or moved
    ticket.version += 1
    ticket.updated_at = max(at, ticket.updated_at) if ticket.updated_at else at
    ticket.save(update_fields=[*fields, *sla.DEADLINE_FIELDS, "version", "updated_at"])
    if moved:
        _sla_event(ticket, at)


def _sla_event(ticket: Ticket, at: datetime) -> None:
    """The timeline's record of new SLA deadlines (the system's doing: no actor)."""
    policy = ticket.sla_policy
    _event(
        ticket,
        None,
        EventKind.SLA_APPLIED,
        at,
        policy=policy.name if policy else None,
        first_response_due=ticket.first_response_due_at.isoformat() if policy else None,
        resolution_due=ticket.resolution_due_at.isoformat() if policy else None,
    )


def _event(ticket: Ticket, by, kind: str, at: datetime, **data) -> TicketEvent:
    return TicketEvent.objects.create(ticket=ticket, actor=by, kind=kind, at=at, data=data)


def _required_text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(message, field=field)
    return value


def _check_choice(value: str, choices, field: str) -> None:
    if value not in choices.values:
        raise ValidationError(
            _("“%(value)s” is not a valid %(field)s.") % {"value": value, "field": field},
            field=field,
        )


def _check_assignee(ticket: Ticket, assignee: User) -> None:
    if not assignee.is_active or assignee.role is None:
        raise ValidationError(_("Tickets can only be assigned to active agents."), field="assignee")
    if not assignable_agents(ticket).filter(pk=assignee.pk).exists():
        raise ValidationError(
            _("%(agent)s is not a member of the team %(team)s.")
            % {"agent": assignee.display_name, "team": ticket.team},
            field="assignee",
        )


def _automatic_assignee(team: Team | None) -> User | None:
    """The team's automatic assignment (off, round robin, fewest open tickets) among its
    available members; the team row is locked so that two cases never take one turn."""
    if team is None or team.assignment == AssignmentMode.OFF:
        return None
    team = Team.objects.select_for_update().get(pk=team.pk)
    agent = next_agent_for(team)
    if agent is not None and team.assignment == AssignmentMode.ROUND_ROBIN:
        Team.objects.filter(pk=team.pk).update(last_assigned=agent)
    return agent


def _default_team(category: Category | None) -> Team | None:
    if category is not None and category.default_team_id and category.default_team.is_active:
        return category.default_team
    return Team.objects.filter(is_active=True).order_by("level", "name").first()


def record_ticket_event(
    *, ticket: Ticket, kind: str, actor: User | None = None, at: datetime | None = None, **data
) -> TicketEvent:
    """Append a fact another app learned about the ticket (a survey answer, a follow-up) to
    its timeline. The ticket itself does not change, so no lock and no new version."""
    if kind not in EventKind.values:
        raise ValidationError(_("Unknown event kind: %s") % kind, field="kind")
    return _event(ticket, actor, kind, _now(at), **data)


# --- register ---------------------------------------------------------------------------------


@transaction.atomic
def register_ticket(
    *,
    by: User | None,
    customer: Customer,
    subject: str,
    description: str,
    channel: str,
    priority: str = Priority.NORMAL,
    category: Category | None = None,
    team: Team | None = None,
    assignee: User | None = None,
    auto_assign: bool = False,
    acknowledge: bool = False,
    at: datetime | None = None,
) -> Ticket:
    """Open a case. `by` is the agent who registered it, or None when the customer did.
    `acknowledge` queues the confirmation e-mail with the customer's private link."""
    at = _now(at)
    if by is not None:
        _require_staff(by)
    subject = _required_text(subject, "subject", _("A subject is required."))[:SUBJECT_MAX]
    description = _required_text(description, "description", _("A description is required."))
    _check_choice(channel, Channel, "channel")
    _check_choice(priority, Priority, "priority")
    if category is not None and not category.is_active:
        raise ValidationError(_("This category is no longer in use."), field="category")
    if team is not None and not team.is_active:
        raise ValidationError(_("This team is no longer active."), field="team")
    team = team or _default_team(category)

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
        _check_assignee(ticket, assignee)
        ticket.assignee = assignee
    elif auto_assign and team is not None:
        ticket.assignee = least_loaded_agent(team)
    else:
        ticket.assignee = _automatic_assignee(team)
    sla.set_deadlines(ticket)
    ticket.save()
    _event(
        ticket,
        by,
        EventKind.CREATED,
        at,
        channel=channel,
        priority=priority,
        category=category.name if category else None,
        team=team.name if team else None,
        level=ticket.level,
    )
    if ticket.assignee_id:
        _event(
            ticket,
            by,
            EventKind.ASSIGNED,
            at,
            assignee=ticket.assignee.display_name,
            assignee_id=ticket.assignee_id,
            previous=None,
            auto=assignee is None,
        )
    if ticket.sla_policy_id:
        _sla_event(ticket, at)
    if acknowledge:
        queue_email(ticket=ticket, kind=NotificationKind.TICKET_RECEIVED, at=at)
    notify_assignee(ticket, by=by, at=at)
    return ticket


# --- classify and assign ----------------------------------------------------------------------


@transaction.atomic
def classify_ticket(
    *,
    ticket: Ticket,
    by: User,
    subject=UNSET,
    category=UNSET,
    priority=UNSET,
    channel=UNSET,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Change subject, category, priority or channel. Records only what really changed."""
    at = _now(at)
    ticket = _lock(ticket, by, expected_version)
    lifecycle.transition(Action.CLASSIFY, ticket.status)
    changes: dict[str, list] = {}
    if subject is not UNSET:
        subject = _required_text(subject, "subject", _("A subject is required."))[:SUBJECT_MAX]
        if subject != ticket.subject:
            changes["subject"] = [ticket.subject, subject]
            ticket.subject = subject
    if category is not UNSET and category != ticket.category:
        if category is not None and not category.is_active:
            raise ValidationError(_("This category is no longer in use."), field="category")
        changes["category"] = [
            ticket.category.name if ticket.category else None,
            category.name if category else None,
        ]
        ticket.category = category
    if priority is not UNSET and priority != ticket.priority:
        _check_choice(priority, Priority, "priority")
        changes["priority"] = [ticket.priority, priority]
        ticket.priority = priority
    if channel is not UNSET and channel != ticket.channel:
        _check_choice(channel, Channel, "channel")
        changes["channel"] = [ticket.channel, channel]
        ticket.channel = channel
    if changes:
        _save(ticket, changes.keys(), at)
        _event(ticket, by, EventKind.CLASSIFIED, at, changes=changes)
    return ticket


@transaction.atomic
def assign_ticket(
    *,
    ticket: Ticket,
    by: User,
    assignee: User | None,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Give the ticket to an active agent of its team, or take it away (`assignee=None`)."""
    at = _now(at)
    ticket = _lock(ticket, by, expected_version)
    lifecycle.transition(Action.ASSIGN, ticket.status)
    if assignee is not None:
        _check_assignee(ticket, assignee)
    if (assignee.pk if assignee else None) == ticket.assignee_id:
        return ticket
    previous = ticket.assignee.display_name if ticket.assignee_id else None
    ticket.assignee = assignee
    _save(ticket, ["assignee"], at)
    _event(
        ticket,
        by,
        EventKind.ASSIGNED,
        at,
        assignee=assignee.display_name if assignee else None,
        assignee_id=assignee.pk if assignee else None,
        previous=previous,
        auto=False,
    )
    notify_assignee(ticket, by=by, at=at)
    return ticket


@transaction.atomic
def auto_assign_ticket(
    *, ticket: Ticket, by: User, expected_version: int | None = None, at: datetime | None = None
) -> Ticket:
    """Assign to the least-loaded active member of the ticket's team."""
    at = _now(at)
    ticket = _lock(ticket, by, expected_version)
    lifecycle.transition(Action.ASSIGN, ticket.status)
    if ticket.team is None:
        raise ValidationError(_("The ticket has no team to pick an agent from."), field="team")
    agent = least_loaded_agent(ticket.team)
    if agent is None:
        raise ValidationError(_("The team %s has no active agents.") % ticket.team, field="team")
    if agent.pk == ticket.assignee_id:
        return ticket
    previous = ticket.assignee.display_name if ticket.assignee_id else None
    ticket.assignee = agent
    _save(ticket, ["assignee"], at)
    _event(
        ticket,
        by,
        EventKind.ASSIGNED,
        at,
        assignee=agent.display_name,
        assignee_id=agent.pk,
        previous=previous,
        auto=True,
    )
    notify_assignee(ticket, by=by, at=at)
    return ticket


# --- conversation -----------------------------------------------------------------------------


@transaction.atomic
def add_reply(
    *,
    ticket: Ticket,
    by: User,
    body: str,
    public: bool = True,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Reply:
    """An agent's public reply or internal note. The first public reply sets
    `first_response_at` and moves a new ticket to open."""
    at = _now(at)
    ticket = _lock(ticket, by, expected_version)
    body = _required_text(body, "body", _("The message is empty."))
    move = lifecycle.transition(Action.REPLY if public else Action.NOTE, ticket.status)
    reply = Reply.objects.create(ticket=ticket, author=by, body=body, public=public, created_at=at)
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
    _save(ticket, fields, at)
    _event(
        ticket,
        by,
        EventKind.REPLIED if public else EventKind.NOTE,
        at,
        reply_id=reply.pk,
        **({"from": move.source, "to": move.target} if move.changes_status else {}),
    )
    if public:
        queue_email(ticket=ticket, kind=NotificationKind.AGENT_REPLY, reply=reply, at=at)
    return reply


@transaction.atomic
def add_customer_reply(*, ticket: Ticket, body: str, at: datetime | None = None) -> Reply:
    """The customer writes on their case. On a pending ticket it goes back to open; on a
    resolved one it reopens the ticket."""
    at = _now(at)
    ticket = _lock(ticket, None, None)
    body = _required_text(body, "body", _("The message is empty."))
    move = lifecycle.transition(Action.CUSTOMER_REPLY, ticket.status)
    reply = Reply.objects.create(ticket=ticket, author=None, body=body, public=True, created_at=at)
    fields = []
    if move.source == Status.RESOLVED:
        ticket.reopen_count += 1
        fields.append("reopen_count")
    if move.changes_status:
        ticket.status = move.target
        fields.append("status")
    _save(ticket, fields, at)
    _event(ticket, None, EventKind.CUSTOMER_REPLIED, at, reply_id=reply.pk)
    if move.source == Status.RESOLVED:
        _event(
            ticket,
            None,
            EventKind.REOPENED,
            at,
            **{"from": move.source, "to": move.target},
            via="customer_reply",
        )
        ticket_reopened.send(sender=Ticket, ticket=ticket, by=None, at=at, replay=is_replaying())
    elif move.changes_status:
        _event(ticket, None, EventKind.RESUMED, at, **{"from": move.source, "to": move.target})
    return reply


# --- escalation -------------------------------------------------------------------------------


@transaction.atomic
def escalate_ticket(
    *,
    ticket: Ticket,
    by: User,
    reason: str,
    team: Team | None = None,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Raise the support level by one (up to 3), optionally handing the ticket to another
    team. The assignee stays only if they belong to the new team."""
    at = _now(at)
    ticket = _lock(ticket, by, expected_version)
    lifecycle.transition(Action.ESCALATE, ticket.status)
    reason = _required_text(reason, "reason", _("Say why the ticket is escalated."))
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
        if ticket.assignee_id and not team.members.filter(pk=ticket.assignee_id).exists():
            ticket.assignee = None
            fields.append("assignee")
        if ticket.assignee_id is None:
            handed_to = _automatic_assignee(team)
            if handed_to is not None:
                ticket.assignee = handed_to
                fields = [*dict.fromkeys([*fields, "assignee"])]
    _save(ticket, fields, at)
    _event(
        ticket,
        by,
        EventKind.ESCALATED,
        at,
        from_level=from_level,
        to_level=ticket.level,
        reason=reason,
        from_team=old_team.name if old_team else None,
        to_team=ticket.team.name if ticket.team else None,
        unassigned="assignee" in fields and handed_to is None,
    )
    if handed_to is not None:
        _event(
            ticket,
            by,
            EventKind.ASSIGNED,
            at,
            assignee=handed_to.display_name,
            assignee_id=handed_to.pk,
            previous=None,
            auto=True,
        )
        notify_assignee(ticket, by=by, at=at)
    if "team" in fields:
        notify_team_of_escalation(ticket, by=by, at=at)
    return ticket


# --- status changes ---------------------------------------------------------------------------


def _change_status(
    ticket: Ticket, by, action: str, expected_version: int | None
) -> tuple[Ticket, lifecycle.Transition]:
    ticket = _lock(ticket, by, expected_version)
    move = lifecycle.transition(action, ticket.status)
    ticket.status = move.target
    return ticket, move


@transaction.atomic
def set_pending(
    *, ticket: Ticket, by: User, expected_version: int | None = None, at: datetime | None = None
) -> Ticket:
    """Waiting on the customer."""
    at = _now(at)
    ticket, move = _change_status(ticket, by, Action.PENDING, expected_version)
    _save(ticket, ["status"], at)
    _event(ticket, by, EventKind.PENDING, at, **{"from": move.source, "to": move.target})
    return ticket


@transaction.atomic
def resume_ticket(
    *, ticket: Ticket, by: User, expected_version: int | None = None, at: datetime | None = None
) -> Ticket:
    """Pending → open without waiting for the customer."""
    at = _now(at)
    ticket, move = _change_status(ticket, by, Action.RESUME, expected_version)
    _save(ticket, ["status"], at)
    _event(ticket, by, EventKind.RESUMED, at, **{"from": move.source, "to": move.target})
    return ticket


@transaction.atomic
def resolve_ticket(
    *,
    ticket: Ticket,
    by: User,
    resolution: str,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Resolve with a resolution text. Sends `ticket_resolved` inside this transaction."""
    at = _now(at)
    resolution = _required_text(resolution, "resolution", _("Describe how the case was resolved."))
    ticket, move = _change_status(ticket, by, Action.RESOLVE, expected_version)
    ticket.resolved_at = at
    ticket.resolution = resolution
    _save(ticket, ["status", "resolved_at", "resolution"], at)
    event = _event(
        ticket,
        by,
        EventKind.RESOLVED,
        at,
        resolution=resolution,
        **{"from": move.source, "to": move.target},
    )
    ticket_resolved.send(
        sender=Ticket, ticket=ticket, by=by, at=at, event=event, replay=is_replaying()
    )
    queue_email(ticket=ticket, kind=NotificationKind.TICKET_RESOLVED, at=at)
    return ticket


@transaction.atomic
def reopen_ticket(
    *,
    ticket: Ticket,
    by: User | None,
    reason: str = "",
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Resolved → open. `by=None` when the customer reopens from their link."""
    at = _now(at)
    ticket, move = _change_status(ticket, by, Action.REOPEN, expected_version)
    ticket.reopen_count += 1
    _save(ticket, ["status", "reopen_count"], at)
    _event(
        ticket,
        by,
        EventKind.REOPENED,
        at,
        reason=(reason or "").strip(),
        **{"from": move.source, "to": move.target},
    )
    ticket_reopened.send(sender=Ticket, ticket=ticket, by=by, at=at, replay=is_replaying())
    return ticket


@transaction.atomic
def close_ticket(
    *,
    ticket: Ticket,
    by: User | None,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Resolved → closed. Closed is final."""
    at = _now(at)
    ticket, move = _change_status(ticket, by, Action.CLOSE, expected_version)
    ticket.closed_at = at
    _save(ticket, ["status", "closed_at"], at)
    _event(ticket, by, EventKind.CLOSED, at, **{"from": move.source, "to": move.target})
    return ticket


def close_resolved_tickets(now: datetime | None = None, days: int | None = None) -> int:
    """Close tickets resolved at least `days` (AUTO_CLOSE_DAYS) ago. A customer reply would
    have reopened the ticket, so a still-resolved ticket had none. One transaction per
    ticket; a ticket someone reopens meanwhile is refused by the lifecycle and left open."""
    now = now or timezone.now()
    days = settings.AUTO_CLOSE_DAYS if days is None else days
    due = Ticket.objects.filter(
        status=Status.RESOLVED, resolved_at__lte=now - timedelta(days=days)
    ).values_list("pk", flat=True)
    closed = 0
    for pk in list(due[:5000]):
        try:
            close_ticket(ticket=Ticket(pk=pk), by=None, at=now)
        except TransitionError:
            continue
        closed += 1
    return closed
