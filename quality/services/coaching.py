"""Coaching's writes: sessions with an agent and the goals they work towards. Managers and
admins write them; each service runs in one transaction, checks everything before writing and
refuses with a `QualityError` naming the fields that are wrong — nothing partially written."""

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import Ticket, User, format_reference, parse_reference
from cases.selectors import can_see_ticket
from metrics.forms import MAX_DATE, MIN_DATE

from ..errors import QualityError
from ..goals import target_error
from ..models_coaching import CoachingGoal, CoachingSession, GoalComparison, GoalKpi
from ..models_reviews import Review
from ..selectors.coaching import coached_agents, discussable_reviews
from ._checks import require_manager

NOTES_MAX_LENGTH = 20_000
MAX_TICKETS = 50


COACHES_ONLY = gettext_lazy("Only managers and admins write coaching sessions and goals.")


def require_coach(by: User) -> None:
    """Managers and admins write coaching records (the pages ask before showing a form, the
    API's permission says COACHES_ONLY before reading a body)."""
    require_manager(by, str(COACHES_ONLY))


def _require_agent(agent: User) -> None:
    if not coached_agents().filter(pk=agent.pk).exists():
        raise QualityError(_("Coaching records are kept for active agents only."), field="agent")


_SEPARATORS = re.compile(r"[\s,;]+")


def split_references(text: str) -> list[str]:
    """`"PUL-000123, PUL-7 #9"` → the references typed, in order, without repeats."""
    seen: list[str] = []
    for part in _SEPARATORS.split(text or ""):
        if part and part not in seen:
            seen.append(part)
    return seen


def resolve_tickets(*, by: User, agent: User, references: Sequence[str]) -> list[Ticket]:
    """The tickets named by `references` (`PUL-000123`, `123`, `#123`). Each must exist, be
    visible to `by`, and be the agent's: assigned to them or one they can see. Raises
    QualityError on the field "tickets" listing those that are not."""
    if len(references) > MAX_TICKETS:
        raise QualityError(
            _("Discuss at most %(n)s tickets in one session.") % {"n": MAX_TICKETS},
            field="tickets",
        )
    wanted: dict[str, int | None] = {
        ref: parse_reference(ref.removeprefix("#")) for ref in references
    }
    found = Ticket.objects.in_bulk([pk for pk in wanted.values() if pk is not None])
    tickets, missing = [], []
    for ref, pk in wanted.items():
        ticket = found.get(pk) if pk is not None else None
        seen_by_both = (
            ticket is not None
            and can_see_ticket(by, ticket)
            and (ticket.assignee_id == agent.pk or can_see_ticket(agent, ticket))
        )
        if ticket is None or not seen_by_both:
            missing.append(ref)
        elif ticket not in tickets:
            tickets.append(ticket)
    if missing:
        raise QualityError(
            _("No ticket of %(agent)s has the reference %(refs)s.")
            % {"agent": agent.display_name, "refs": ", ".join(missing)},
            field="tickets",
        )
    return tickets


def _reviews(agent: User, review_ids: Sequence[int]) -> list[Review]:
    reviews = list(discussable_reviews(agent).filter(pk__in=review_ids))
    if len(reviews) != len(set(review_ids)):
        raise QualityError(
            _("Choose among %(agent)s's completed reviews.") % {"agent": agent}, field="reviews"
        )
    return reviews


def _out_of_range(day: date | None) -> bool:
    """Outside the dates the whole app takes (the dashboard's MIN_DATE to MAX_DATE): a goal
    due in the year 9999 has no period the KPI engine could read."""
    return day is not None and not MIN_DATE <= day <= MAX_DATE


def _date_range_error() -> str:
    return _("Choose a date from %(min)s to %(max)s.") % {
        "min": MIN_DATE.isoformat(),
        "max": MAX_DATE.isoformat(),
    }


def _session_errors(held_on: date | None, notes: str) -> dict[str, str]:
    errors = {}
    if held_on is None:
        errors["held_on"] = _("Give the session's date.")
    elif _out_of_range(held_on):
        errors["held_on"] = _date_range_error()
    if not (notes or "").strip():
        errors["notes"] = _("Write what was discussed.")
    elif len(notes) > NOTES_MAX_LENGTH:
        errors["notes"] = _("Notes are at most %(n)s characters.") % {"n": NOTES_MAX_LENGTH}
    return errors


def _checked_session(
    *,
    by: User,
    agent: User,
    held_on: date | None,
    notes: str,
    ticket_references: Sequence[str],
    review_ids: Sequence[int],
) -> tuple[list[Ticket], list[Review]]:
    """Every field checked before anything is written; all the errors at once."""
    errors = _session_errors(held_on, notes)
    tickets: list[Ticket] = []
    reviews: list[Review] = []
    try:
        tickets = resolve_tickets(by=by, agent=agent, references=ticket_references)
    except QualityError as error:
        errors |= error.errors
    try:
        reviews = _reviews(agent, review_ids)
    except QualityError as error:
        errors |= error.errors
    if errors:
        raise QualityError(errors=errors)
    return tickets, reviews


@transaction.atomic
def record_session(
    *,
    by: User,
    agent: User,
    held_on: date | None,
    notes: str,
    ticket_references: Sequence[str] = (),
    review_ids: Sequence[int] = (),
) -> CoachingSession:
    """A coaching session `by` held with `agent`, with the tickets and reviews discussed."""
    require_coach(by)
    _require_agent(agent)
    tickets, reviews = _checked_session(
        by=by,
        agent=agent,
        held_on=held_on,
        notes=notes,
        ticket_references=ticket_references,
        review_ids=review_ids,
    )
    assert held_on is not None  # checked above
    session = CoachingSession.objects.create(agent=agent, coach=by, held_on=held_on, notes=notes)
    session.tickets.set(tickets)
    session.reviews.set(reviews)
    return session


@transaction.atomic
def update_session(
    *,
    session: CoachingSession,
    by: User,
    held_on: date | None,
    notes: str,
    ticket_references: Sequence[str],
    review_ids: Sequence[int],
) -> CoachingSession:
    """Correct a session's date, notes, tickets and reviews (the coach stays who wrote it)."""
    require_coach(by)
    session = CoachingSession.objects.select_for_update().select_related("agent").get(pk=session.pk)
    tickets, reviews = _checked_session(
        by=by,
        agent=session.agent,
        held_on=held_on,
        notes=notes,
        ticket_references=ticket_references,
        review_ids=review_ids,
    )
    assert held_on is not None  # checked above
    session.held_on = held_on
    session.notes = notes
    session.save(update_fields=["held_on", "notes"])
    session.tickets.set(tickets)
    session.reviews.set(reviews)
    return session


def session_references(session: CoachingSession) -> list[str]:
    """The references of the tickets a session discussed, as a form shows them."""
    return [format_reference(ticket.pk) for ticket in session.tickets.all()]


# --- goals ------------------------------------------------------------------------------------


def _goal_errors(
    *,
    kpi: str,
    comparison: str,
    target: Decimal | None,
    starts_on: date | None,
    due_on: date | None,
    note: str,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if kpi not in GoalKpi.values:
        errors["kpi"] = _("Choose one of the KPIs offered.")
    if comparison not in GoalComparison.values:
        errors["comparison"] = _("Choose “at least” or “at most”.")
    if target is None:
        errors["target"] = _("Give a target.")
    else:
        try:
            finite = target.is_finite() and abs(target) < Decimal("1e8")
            target = target.quantize(Decimal("0.01")) if finite else None
        except InvalidOperation:
            target = None
        if target is None:
            errors["target"] = _("Give a number with at most two decimals.")
        elif kpi in GoalKpi.values:
            problem = target_error(kpi, target)
            if problem:
                errors["target"] = problem
    if starts_on is None:
        errors["starts_on"] = _("Give the date the goal starts.")
    elif _out_of_range(starts_on):
        errors["starts_on"] = _date_range_error()
    if due_on is None:
        errors["due_on"] = _("Give the date the goal is due.")
    elif _out_of_range(due_on):
        errors["due_on"] = _date_range_error()
    elif starts_on is not None and due_on < starts_on:
        errors["due_on"] = _("The due date cannot be before the start date.")
    if len(note or "") > 255:
        errors["note"] = _("The note is at most 255 characters.")
    return errors


@transaction.atomic
def set_goal(
    *,
    by: User,
    agent: User,
    kpi: str,
    comparison: str,
    target: Decimal | None,
    starts_on: date | None,
    due_on: date | None,
    note: str = "",
) -> CoachingGoal:
    """A goal for `agent`: `kpi` `comparison` `target` between `starts_on` and `due_on`."""
    require_coach(by)
    _require_agent(agent)
    fields = {
        "kpi": kpi,
        "comparison": comparison,
        "target": target,
        "starts_on": starts_on,
        "due_on": due_on,
        "note": note or "",
    }
    errors = _goal_errors(**fields)  # type: ignore[arg-type]  # the same names and types
    if errors:
        raise QualityError(errors=errors)
    return CoachingGoal.objects.create(agent=agent, created_by=by, **fields)


@transaction.atomic
def update_goal(
    *,
    goal: CoachingGoal,
    by: User,
    kpi: str,
    comparison: str,
    target: Decimal | None,
    starts_on: date | None,
    due_on: date | None,
    note: str = "",
) -> CoachingGoal:
    """Change a goal (its agent and who set it stay)."""
    require_coach(by)
    goal = CoachingGoal.objects.select_for_update().get(pk=goal.pk)
    fields = {
        "kpi": kpi,
        "comparison": comparison,
        "target": target,
        "starts_on": starts_on,
        "due_on": due_on,
        "note": note or "",
    }
    errors = _goal_errors(**fields)  # type: ignore[arg-type]  # the same names and types
    if errors:
        raise QualityError(errors=errors)
    for name, value in fields.items():
        setattr(goal, name, value)
    goal.save(update_fields=list(fields))
    return goal


@transaction.atomic
def delete_goal(*, goal: CoachingGoal, by: User) -> None:
    require_coach(by)
    CoachingGoal.objects.select_for_update().filter(pk=goal.pk).delete()
