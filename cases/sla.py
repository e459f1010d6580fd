"""SLA clocks: which policy applies to a ticket, when its answers are due, and the stopped
clock while it waits on the customer.

Called by the ticket services inside their transaction (the ticket row is locked). Due times
count working time of the ticket's team calendar (cases/business_time.py) from the
ticket's creation; the resolution clock stands still while the ticket is pending or
resolved, and those working seconds push its due time back.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from .business_time import Schedule
from .models import SLAPolicy, Status, Team, Ticket

WARN_AT = 0.8  # the share of a target after which the assignee is warned
PAUSED = (Status.PENDING, Status.RESOLVED, Status.CLOSED)
DEADLINE_FIELDS = [
    "sla_policy",
    "first_response_due_at",
    "first_response_warn_at",
    "resolution_due_at",
    "resolution_warn_at",
    "sla_paused_at",
    "sla_paused_seconds",
]


# A policy with the ids of the categories and teams it narrows to (empty: any).
Candidate = tuple[SLAPolicy, set[int], set[int]]


@dataclass
class _Held:
    """The policies and calendars read once for a run of many tickets."""

    candidates: dict[str, list[Candidate]] = field(default_factory=dict)  # by priority
    schedules: dict[int | None, Schedule] = field(default_factory=dict)  # by team id


_held: ContextVar[_Held | None] = ContextVar("sla_rules_held", default=None)


@contextmanager
def rules_held() -> Iterator[None]:
    """Within it, each priority's policies and each team's calendar are read once and then
    kept, instead of once per ticket and change (the history import replays many tickets).
    Precondition: nobody changes policies or calendars meanwhile."""
    token = _held.set(_Held())
    try:
        yield
    finally:
        _held.reset(token)


def _read_candidates(priority: str) -> list[Candidate]:
    candidates = SLAPolicy.objects.filter(is_active=True, priority=priority)
    return [
        (policy, {c.pk for c in policy.categories.all()}, {t.pk for t in policy.teams.all()})
        for policy in candidates.prefetch_related("categories", "teams").order_by("pk")
    ]


def _candidates(priority: str) -> list[Candidate]:
    held = _held.get()
    if held is None:
        return _read_candidates(priority)
    if priority not in held.candidates:
        held.candidates[priority] = _read_candidates(priority)
    return held.candidates[priority]


def schedule_for(team: Team | None) -> Schedule:
    """The team's business calendar; around the clock without one."""
    held = _held.get()
    if held is None:
        return _read_schedule(team)
    key = team.pk if team is not None else None
    if key not in held.schedules:
        held.schedules[key] = _read_schedule(team)
    return held.schedules[key]


def _read_schedule(team: Team | None) -> Schedule:
    calendar = team.calendar if team is not None else None
    if calendar is None or calendar.always_open:
        return Schedule.around_the_clock()
    hours: dict[int, list] = {}
    for row in calendar.hours.all():
        hours.setdefault(row.weekday, []).append((row.opens, row.closes))
    return Schedule(
        zone=ZoneInfo(calendar.time_zone),
        hours={day: tuple(sorted(periods)) for day, periods in hours.items()},
        holidays=frozenset(calendar.holidays.values_list("day", flat=True)),
    )


def matching_policy(ticket: Ticket) -> SLAPolicy | None:
    """The most specific active policy for the ticket's priority: each of categories, teams
    and channels a policy narrows to must include the ticket's; more narrowings win; ties go
    to the older policy."""
    best, best_score = None, -1
    for policy, categories, teams in _candidates(ticket.priority):
        score = 0
        for allowed, value in (
            (categories, ticket.category_id),
            (teams, ticket.team_id),
            (set(policy.channels or []), ticket.channel),
        ):
            if allowed:
                if value not in allowed:
                    break
                score += 1
        else:
            if score > best_score:
                best, best_score = policy, score
    return best


def set_deadlines(ticket: Ticket) -> bool:
    """(Re)compute policy, due and warning times from the ticket's current classification
    and team. True when the policy or a due time changed (the caller records it)."""
    before = (ticket.sla_policy_id, ticket.first_response_due_at, ticket.resolution_due_at)
    policy = matching_policy(ticket)
    ticket.sla_policy = policy
    if policy is None:
        ticket.first_response_due_at = ticket.resolution_due_at = None
        ticket.first_response_warn_at = ticket.resolution_warn_at = None
    else:
        schedule = schedule_for(ticket.team)
        first, resolution = policy.first_response_minutes * 60, policy.resolution_minutes * 60
        paused = ticket.sla_paused_seconds
        ticket.first_response_due_at = schedule.add(ticket.created_at, first)
        ticket.first_response_warn_at = schedule.add(ticket.created_at, WARN_AT * first)
        ticket.resolution_due_at = schedule.add(ticket.created_at, resolution + paused)
        ticket.resolution_warn_at = schedule.add(ticket.created_at, WARN_AT * resolution + paused)
    return before != (ticket.sla_policy_id, ticket.first_response_due_at, ticket.resolution_due_at)


def follow_status(ticket: Ticket, at: datetime) -> bool:
    """Stop the resolution clock when the ticket waits (pending, resolved), restart it when
    it is worked on again, moving the due time by the working time it stood still. True when
    a due time moved."""
    if ticket.status in PAUSED:
        if ticket.sla_paused_at is None:
            ticket.sla_paused_at = at
        return False
    if ticket.sla_paused_at is None:
        return False
    schedule = schedule_for(ticket.team)
    ticket.sla_paused_seconds += schedule.between(ticket.sla_paused_at, at)
    ticket.sla_paused_at = None
    return set_deadlines(ticket)


def running_clocks(ticket: Ticket) -> list[tuple[str, datetime, datetime | None]]:
    """(clock, due, warn at) of each clock still running, the nearest first."""
    clocks = []
    if ticket.first_response_due_at and ticket.first_response_at is None and ticket.is_active:
        clocks.append(
            ("first_response", ticket.first_response_due_at, ticket.first_response_warn_at)
        )
    if ticket.resolution_due_at and ticket.status in (Status.NEW, Status.OPEN):
        clocks.append(("resolution", ticket.resolution_due_at, ticket.resolution_warn_at))
    return sorted(clocks, key=lambda clock: clock[1])
