"""Ticket services: register, classify, assign, reply, escalate and move through the lifecycle.

Common shape of every function that changes an existing ticket:
1. open a transaction and lock the ticket row (`select_for_update`);
2. refuse if the caller's `expected_version` is stale (ConflictError → 409);
3. apply the action's step (steps.py): the lifecycle table's move (TransitionError → 409),
   the changed fields, the bumped `version`, the SLA clocks, the events;
4. save with `update_fields` and append one TicketEvent per fact.
`at` lets the history import and the demo data replay the past; it defaults to now.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from enum import Enum

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import lifecycle
from ..errors import ConflictError, PermissionDenied, TransitionError, ValidationError
from ..lifecycle import Action
from ..models import (
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
from ..selectors import (
    assignable_agents,
    can_see_ticket,
    least_loaded_agent,
    merged_target,
    next_agent_for,
)
from ..signals import is_replaying, ticket_registered, ticket_reopened, ticket_resolved
from . import steps
from .attachments import (
    Upload,
    check_customer_files,
    check_reply_files,
    files_forgotten_on_rollback,
    store_reply_files,
)
from .notifications import notify_assignee, notify_team_of_escalation, queue_email
from .steps import SUBJECT_MAX, Step


class _Unset(Enum):
    """The type of UNSET: an argument not given (None is a value: no category)."""

    UNSET = "unset"


UNSET = _Unset.UNSET


# --- helpers ----------------------------------------------------------------------------------


def _now(at: datetime | None) -> datetime:
    return at or timezone.now()


_require_staff = steps.require_staff
_required_text = steps.required_text
_check_choice = steps.check_choice


def _lock(ticket: Ticket, by: User | None, expected_version: int | None) -> Ticket:
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


def _store(ticket: Ticket, step: Step) -> list[TicketEvent]:
    """Write what a step did: its reply, the ticket's changed columns, its events in order."""
    if step.message is not None:
        message = step.message
        step.reply = Reply.objects.create(
            ticket=ticket,
            author=message.author,
            body=message.body,
            public=message.public,
            created_at=message.at,
        )
        step.name_reply(step.reply.pk)
    if step.fields:
        ticket.save(update_fields=step.fields)
    return [_event(ticket, fact.actor, fact.kind, fact.at, **fact.data) for fact in step.facts]


def _save(ticket: Ticket, fields: Iterable[str], at: datetime) -> None:
    """Save a change; the SLA clocks follow it (steps.advance)."""
    _store(ticket, steps.advance(ticket, [*fields], at))


def _event(ticket: Ticket, by: User | None, kind: str, at: datetime, **data: object) -> TicketEvent:
    return TicketEvent.objects.create(ticket=ticket, actor=by, kind=kind, at=at, data=data)


class DatabaseStaffing:
    """The steps' questions about people and teams, answered by the database (steps.Staffing)."""

    def is_assignable(self, ticket: Ticket, user: User) -> bool:
        return assignable_agents(ticket).filter(pk=user.pk).exists()

    def is_member(self, team: Team, user_id: int) -> bool:
        return team.members.filter(pk=user_id).exists()

    def default_team(self, category: Category | None) -> Team | None:
        return _default_team(category)

    def least_loaded(self, team: Team) -> User | None:
        return least_loaded_agent(team)

    def automatic_assignee(self, team: Team | None) -> User | None:
        return _automatic_assignee(team)


DATABASE = DatabaseStaffing()


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
    if (
        category is not None
        and category.default_team is not None  # (no query when it has none)
        and category.default_team.is_active
    ):
        return category.default_team
    return Team.objects.filter(is_active=True).order_by("level", "name").first()


def record_ticket_event(
    *,
    ticket: Ticket,
    kind: str,
    actor: User | None = None,
    at: datetime | None = None,
    **data: object,
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
    ticket, step = steps.open_ticket(
        by=by,
        customer=customer,
        subject=subject,
        description=description,
        channel=channel,
        priority=priority,
        category=category,
        team=team,
        assignee=assignee,
        auto_assign=auto_assign,
        at=at,
        staffing=DATABASE,
    )
    ticket.save()
    _store(ticket, step)
    if acknowledge:
        queue_email(ticket=ticket, kind=NotificationKind.TICKET_RECEIVED, at=at)
    notify_assignee(ticket, by=by, at=at)
    ticket_registered.send(sender=Ticket, ticket=ticket, by=by, at=at, replay=is_replaying())
    return ticket


# --- classify and assign ----------------------------------------------------------------------


@transaction.atomic
def classify_ticket(
    *,
    ticket: Ticket,
    by: User | None,
    subject: str | _Unset = UNSET,
    category: Category | None | _Unset = UNSET,
    priority: str | _Unset = UNSET,
    channel: str | _Unset = UNSET,
    team: Team | _Unset = UNSET,
    expected_version: int | None = None,
    at: datetime | None = None,
    source: dict[str, object] | None = None,
) -> Ticket:
    """Change subject, category, priority, channel or team. Records only what really
    changed. A move to another team (a transfer, not an escalation: the level stays) keeps
    the assignee only if they are in it; else the team's automatic assignment may hand the
    ticket on, or it waits unassigned in the team's queue.

    `source` says where the change came from when an app above cases proposed it (insights'
    triage suggestions: `{"suggested": {"confidence": 0.93, "automatic": False}}`); its keys
    are added to the CLASSIFIED event's data beside `changes`, and the timeline shows them.
    `by=None` (the desk on its own, like the SLA's escalations) is allowed only with a
    source, so that every change without an agent says why it happened."""
    if by is None and not source:
        raise ValueError("classify_ticket(by=None) needs the `source` of the change")
    if source and "changes" in source:
        raise ValueError("`source` may not replace the event's `changes`")
    at = _now(at)
    ticket = _lock(ticket, by, expected_version)
    lifecycle.transition(Action.CLASSIFY, ticket.status)
    changes: dict[str, list[str | None]] = {}  # field: [before, after]
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
    handed_to = None
    if team is not UNSET and team != ticket.team:
        handed_to = _transfer(ticket, team, changes)
    if changes:
        _save(ticket, changes.keys(), at)
        _event(ticket, by, EventKind.CLASSIFIED, at, **(source or {}), changes=changes)
    if handed_to is not None:
        notify_assignee(ticket, by=by, at=at)
    return ticket


def _transfer(ticket: Ticket, team: Team, changes: dict[str, list[str | None]]) -> User | None:
    """Move the ticket to `team` (recorded in `changes`); the automatic assignee it was
    handed to, if any."""
    if not team.is_active:
        raise ValidationError(_("This team is no longer active."), field="team")
    changes["team"] = [ticket.team.name if ticket.team else None, team.name]
    ticket.team = team
    if ticket.assignee_id is None or DATABASE.is_member(team, ticket.assignee_id):
        return None
    previous = ticket.assignee
    ticket.assignee = DATABASE.automatic_assignee(team)
    changes["assignee"] = [
        previous.display_name if previous else None,
        ticket.assignee.display_name if ticket.assignee else None,
    ]
    return ticket.assignee


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
    step = steps.assign(ticket, by=by, assignee=assignee, at=at, staffing=DATABASE)
    if not step.fields:  # already theirs
        return ticket
    _store(ticket, step)
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
    previous = ticket.assignee.display_name if ticket.assignee is not None else None
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


def add_reply(
    *,
    ticket: Ticket,
    by: User,
    body: str,
    public: bool = True,
    files: Sequence[Upload] = (),
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Reply:
    """An agent's public reply or internal note. The first public reply sets
    `first_response_at` and moves a new ticket to open. `files` go with it (attachments.py):
    checked before anything is written, stored with the reply, e-mailed with a public one;
    a refused reply leaves none behind."""
    check_reply_files(files)
    with files_forgotten_on_rollback(), transaction.atomic():
        at = _now(at)
        ticket = _lock(ticket, by, expected_version)
        step = steps.reply(ticket, by=by, body=body, public=public, at=at)
        _store(ticket, step)
        assert step.reply is not None, "_store wrote the step's message"
        store_reply_files(reply=step.reply, files=files)
        if public:
            queue_email(ticket=ticket, kind=NotificationKind.AGENT_REPLY, reply=step.reply, at=at)
        return step.reply


def add_customer_reply(
    *, ticket: Ticket, body: str, files: Sequence[Upload] = (), at: datetime | None = None
) -> Reply:
    """The customer writes on their case. On a pending ticket it goes back to open; on a
    resolved one it reopens the ticket. On a merged one it goes to the ticket it was merged
    into. `files` are what they uploaded on the portal (attachments.py, the inbound e-mail
    limits): checked before anything is written, stored with the reply; a refused reply
    leaves none behind."""
    check_customer_files(files)
    with files_forgotten_on_rollback(), transaction.atomic():
        at = _now(at)
        ticket = _lock(merged_target(ticket), None, None)
        step = steps.customer_reply(ticket, body=body, at=at)
        _store(ticket, step)
        assert step.reply is not None, "_store wrote the step's message"
        store_reply_files(reply=step.reply, files=files)
        if step.reopened:
            ticket_reopened.send(
                sender=Ticket, ticket=ticket, by=None, at=at, replay=is_replaying()
            )
        return step.reply


# --- escalation -------------------------------------------------------------------------------


@transaction.atomic
def escalate_ticket(
    *,
    ticket: Ticket,
    by: User | None,  # None: the SLA breach check
    reason: str,
    team: Team | None = None,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Raise the support level by one (up to 3), optionally handing the ticket to another
    team. The assignee stays only if they belong to the new team."""
    at = _now(at)
    ticket = _lock(ticket, by, expected_version)
    step = steps.escalate(ticket, by=by, reason=reason, team=team, at=at, staffing=DATABASE)
    _store(ticket, step)
    if step.handed_to is not None:
        notify_assignee(ticket, by=by, at=at)
    if step.team_changed:
        notify_team_of_escalation(ticket, by=by, at=at)
    return ticket


# --- status changes ---------------------------------------------------------------------------


@transaction.atomic
def set_pending(
    *, ticket: Ticket, by: User, expected_version: int | None = None, at: datetime | None = None
) -> Ticket:
    """Waiting on the customer."""
    at = _now(at)
    ticket = _lock(ticket, by, expected_version)
    _store(ticket, steps.set_pending(ticket, by=by, at=at))
    return ticket


@transaction.atomic
def resume_ticket(
    *, ticket: Ticket, by: User, expected_version: int | None = None, at: datetime | None = None
) -> Ticket:
    """Pending → open without waiting for the customer."""
    at = _now(at)
    ticket = _lock(ticket, by, expected_version)
    _store(ticket, steps.resume(ticket, by=by, at=at))
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
    resolution = steps.required_resolution(resolution)
    ticket = _lock(ticket, by, expected_version)
    events = _store(ticket, steps.resolve(ticket, by=by, resolution=resolution, at=at))
    event = next(e for e in events if e.kind == EventKind.RESOLVED)
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
    ticket = _lock(ticket, by, expected_version)
    _store(ticket, steps.reopen(ticket, by=by, reason=reason, at=at))
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
    ticket = _lock(ticket, by, expected_version)
    _store(ticket, steps.close(ticket, by=by, at=at))
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
