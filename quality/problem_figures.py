"""A problem's figures (docs/quality.md, "Problems: figures"): its linked tickets per week, and
CSAT %, NPS and reopen rate of its linked tickets before and after the fix, each with its
sample. Formulas are metrics.kpis' (percent, NPS from exact shares, Wilson intervals).

- before: linked tickets (merged ones left out) resolved before `fixed_at`;
  after: those resolved on or after it; a ticket not resolved is in neither.
- CSAT % = 100 × answers 4–5 / CSAT answers, over every survey answer of the side's tickets;
  NPS = %promoters (9–10) − %detractors (0–6) of their NPS answers.
- reopen rate = 100 × tickets with reopen_count > 0 / the side's tickets.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncWeek

from cases.models import Status, Ticket
from metrics.definitions import zone
from metrics.kpis import Interval, percent, wilson
from surveys.models import SurveyResponse

from .models_problems import Problem, ProblemStatus

WEEKS_MAX = 104  # a problem's weekly table shows at most two years, the latest


def _tickets(problem: Problem) -> QuerySet[Ticket]:
    return Ticket.objects.filter(problem_links__problem=problem).exclude(status=Status.MERGED)


def weekly_counts(problem: Problem) -> list[tuple[date, int]]:
    """(Monday of the week in TIME_ZONE, linked tickets created that week), every week from
    the first to the last, empty weeks included."""
    rows = (
        Ticket.objects.filter(problem_links__problem=problem)
        .annotate(week=TruncWeek("created_at", tzinfo=zone()))
        .values("week")
        .annotate(n=Count("pk"))
        .order_by("week")
    )
    counts = {row["week"].date(): row["n"] for row in rows}
    if not counts:
        return []
    first, last = min(counts), max(counts)
    first = max(first, last - timedelta(weeks=WEEKS_MAX - 1))
    weeks, week = [], first
    while week <= last:
        weeks.append((week, counts.get(week, 0)))
        week += timedelta(weeks=1)
    return weeks


@dataclass(frozen=True)
class Side:
    """One side of the fix."""

    tickets: int
    csat: float | None
    csat_answers: int
    csat_interval: Interval | None
    nps: float | None
    nps_answers: int
    reopen_rate: float | None
    reopened: int
    reopen_interval: Interval | None
    min_sample: int

    @property
    def csat_low_sample(self) -> bool:
        return self.csat_answers < self.min_sample

    @property
    def nps_low_sample(self) -> bool:
        return self.nps_answers < self.min_sample

    @property
    def reopen_low_sample(self) -> bool:
        return self.tickets < self.min_sample

    def as_dict(self) -> dict[str, Any]:
        return {
            "tickets": self.tickets,
            "csat": {
                "percent": self.csat,
                "responses": self.csat_answers,
                "interval": self.csat_interval,
                "low_sample": self.csat_low_sample,
            },
            "nps": {
                "score": self.nps,
                "responses": self.nps_answers,
                "low_sample": self.nps_low_sample,
            },
            "reopen_rate": {
                "percent": self.reopen_rate,
                "reopened": self.reopened,
                "tickets": self.tickets,
                "interval": self.reopen_interval,
                "low_sample": self.reopen_low_sample,
            },
        }


def side_tickets(problem: Problem, side: str) -> QuerySet[Ticket]:
    """The tickets behind one side ("before" or "after"); none before the problem is fixed."""
    if problem.status != ProblemStatus.FIXED or problem.fixed_at is None:
        return Ticket.objects.none()
    tickets = _tickets(problem).filter(resolved_at__isnull=False)
    if side == "before":
        return tickets.filter(resolved_at__lt=problem.fixed_at)
    return tickets.filter(resolved_at__gte=problem.fixed_at)


def _side(problem: Problem, side: str) -> Side:
    tickets = side_tickets(problem, side)
    counts = tickets.aggregate(n=Count("pk"), reopened=Count("pk", filter=Q(reopen_count__gt=0)))
    answers = SurveyResponse.objects.filter(ticket__in=tickets.values("pk")).aggregate(
        csat_n=Count("csat"),
        satisfied=Count("pk", filter=Q(csat__gte=4)),
        nps_n=Count("nps"),
        promoters=Count("pk", filter=Q(nps__gte=9)),
        detractors=Count("pk", filter=Q(nps__lte=6)),
    )
    n, reopened = counts["n"], counts["reopened"]
    return Side(
        tickets=n,
        csat=percent(answers["satisfied"], answers["csat_n"]),
        csat_answers=answers["csat_n"],
        csat_interval=wilson(answers["satisfied"], answers["csat_n"]),
        nps=percent(answers["promoters"] - answers["detractors"], answers["nps_n"]),
        nps_answers=answers["nps_n"],
        reopen_rate=percent(reopened, n),
        reopened=reopened,
        reopen_interval=wilson(reopened, n),
        min_sample=int(settings.KPI_MIN_SAMPLE),
    )


def before_after(problem: Problem) -> dict[str, Side] | None:
    """{"before": Side, "after": Side}, or None while the problem is not fixed."""
    if problem.status != ProblemStatus.FIXED or problem.fixed_at is None:
        return None
    return {"before": _side(problem, "before"), "after": _side(problem, "after")}
