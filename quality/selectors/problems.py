"""Read-only queries for problems (docs/quality.md, "Problems"). Every staff member sees every
problem (a problem names a cause, not a customer); the tickets listed under one are only
those the reader can see (`tickets_visible_to`)."""

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from cases.models import Status, Ticket, User
from cases.selectors import tickets_visible_to
from metrics.kpis import DIMENSIONS, Period
from surveys.models import FollowUp, SurveyResponse
from surveys.selectors import follow_ups_visible_to

from ..models_problems import Problem, ProblemBulkAnswer, ProblemStatus
from ..permissions import AnyUser, is_staff_member


def _viewer(user: AnyUser) -> User | AnonymousUser:
    """The reader as the cases selectors type it (anyone else sees nothing there)."""
    return user if isinstance(user, User) else AnonymousUser()


# A low score (docs/quality.md): CSAT 1–2 or NPS 0–6 (a detractor).
LOW_CSAT = 2
LOW_NPS = 6


def problems_visible_to(user: AnyUser) -> QuerySet[Problem]:
    if not is_staff_member(user):
        return Problem.objects.none()
    return Problem.objects.select_related("owner", "created_by")


def problem_list(user: AnyUser, status: str = "") -> QuerySet[Problem]:
    """Problems with their linked tickets counted, most linked first."""
    problems = problems_visible_to(user).annotate(linked=Count("links", distinct=True))
    if status == "open":
        problems = problems.exclude(status=ProblemStatus.FIXED)
    elif status:
        problems = problems.filter(status=status)
    return problems.order_by("-linked", "-created_at", "-id")


def open_problems(user: AnyUser) -> QuerySet[Problem]:
    """Problems one may still link tickets to with a purpose: not fixed."""
    return problem_list(user, "open")


def problems_of_ticket(user: AnyUser, ticket: Ticket) -> QuerySet[Problem]:
    return problems_visible_to(user).filter(links__ticket=ticket).order_by("-links__linked_at")


def linked_tickets(problem: Problem, user: AnyUser) -> QuerySet[Ticket]:
    """The problem's tickets `user` may see (the others are only counted)."""
    return (
        tickets_visible_to(_viewer(user))
        .filter(problem_links__problem=problem)
        .order_by("-created_at")
    )


def hidden_ticket_count(problem: Problem, user: AnyUser) -> int:
    return problem.links.count() - linked_tickets(problem, user).count()


def visible_tickets(user: AnyUser, ids: Sequence[int]) -> tuple[list[Ticket], list[int]]:
    """(the tickets of `ids` the user can see, in order; the ids they cannot)."""
    found = tickets_visible_to(_viewer(user)).in_bulk(list(ids))
    return [found[i] for i in ids if i in found], [i for i in ids if i not in found]


def follow_ups_for(user: AnyUser, ids: Sequence[int]) -> list[FollowUp]:
    found = follow_ups_visible_to(user).in_bulk(list(ids))
    return [found[i] for i in ids if i in found]


def bulk_answers_of(problem: Problem) -> QuerySet[ProblemBulkAnswer]:
    return problem.bulk_answers.select_related("by")


def unfinished_bulk_answers(older_than: timedelta) -> list[int]:
    """Bulk answers started more than `older_than` ago and not finished (for the sweep)."""
    since = timezone.now() - older_than
    rows = ProblemBulkAnswer.objects.filter(finished_at__isnull=True, at__lt=since)
    return list(rows.order_by("at").values_list("pk", flat=True)[:100])


def low_score_ticket_ids(dimension: str, value: str, period: Period, limit: int) -> list[int]:
    """Tickets of one dashboard segment whose survey answer in the period was low (CSAT 1–2
    or NPS 0–6), newest answer first: what a driver row of the dashboard points at. The
    segment is read as metrics.kpis.DIMENSIONS reads it on survey answers."""
    column = DIMENSIONS[dimension][1]
    segment = Q(**{f"{column}__isnull": True}) if value in ("", "none") else Q(**{column: value})
    ids = (
        SurveyResponse.objects.filter(
            segment,
            Q(csat__lte=LOW_CSAT) | Q(nps__lte=LOW_NPS),
            answered_at__gte=period.start,
            answered_at__lt=period.end,
        )
        .exclude(ticket__status=Status.MERGED)
        .order_by("-answered_at")
        .values_list("ticket_id", flat=True)
    )
    return list(dict.fromkeys(ids))[:limit]


def dashboard_problems(start: datetime, end: datetime, limit: int = 10) -> list[Problem]:
    """Problems not fixed, ranked by their linked tickets created in [start, end) (then by
    all their linked tickets); those with none in the period are left out."""
    in_period = Q(links__ticket__created_at__gte=start, links__ticket__created_at__lt=end)
    problems = (
        Problem.objects.exclude(status=ProblemStatus.FIXED)
        .select_related("owner")
        .annotate(
            in_period=Count("links", filter=in_period, distinct=True),
            linked=Count("links", distinct=True),
        )
        .filter(in_period__gt=0)
        .order_by("-in_period", "-linked", "-created_at", "-id")
    )
    return list(problems[:limit])
