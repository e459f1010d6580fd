"""IQS, the internal quality score (KPI.md "Macros, articles, quality"; docs/quality.md): the
mean review score of the reviews completed in the period (placed by `completed_at`), with
the number of reviews, for the desk, an agent or a team, by the database.

A review counts for the reviewed agent (`Review.agent`) and for the team of the reviewed
ticket (`ticket.team` now), not the agent's teams: an agent in two teams is read in each by
the tickets of that team. Filters are metrics' `Filters`: team and agent as above, the
ticket's channel, category, priority, customer and tags through the reviewed ticket.
`iqs_against_csat` sets each agent's IQS beside their CSAT % from the KPI engine itself."""

from typing import Literal, TypedDict

from django.conf import settings
from django.db.models import Avg, Count, QuerySet

from cases.models import User
from metrics.kpis import Filters, Grouping, Period, survey_kpis, two_decimals

from .models_reviews import Review, ReviewStatus

GroupBy = Literal["agent", "team"]
NO_FILTERS = Filters()


class Iqs(TypedDict):
    iqs: float | None
    reviews: int
    low_sample: bool


class AgentIqsCsat(TypedDict):
    agent: int
    name: str
    iqs: float | None
    reviews: int
    iqs_low_sample: bool
    csat: float | None
    csat_answers: int
    csat_low_sample: bool


def _low(count: int) -> bool:
    return count < settings.KPI_MIN_SAMPLE


def completed_in(period: Period, filters: Filters = NO_FILTERS) -> QuerySet[Review]:
    """Reviews completed in `[start, end)` that the filters keep."""
    through_ticket = Filters(
        channel=filters.channel,
        category=filters.category,
        priority=filters.priority,
        customer=filters.customer,
        tags=filters.tags,
        macro=filters.macro,
    ).tickets("ticket__")
    reviews = Review.objects.filter(
        through_ticket,
        status=ReviewStatus.COMPLETED,
        completed_at__gte=period.start,
        completed_at__lt=period.end,
    )
    if filters.team is not None:
        reviews = reviews.filter(ticket__team_id=filters.team)
    if filters.agent is not None:
        reviews = reviews.filter(agent_id=filters.agent)
    return reviews


def _figure(mean: object, count: int) -> Iqs:
    value = two_decimals(mean) if count and mean is not None else None  # type: ignore[arg-type]
    return {"iqs": value, "reviews": count, "low_sample": _low(count)}


def iqs(period: Period, filters: Filters = NO_FILTERS) -> Iqs:
    """The IQS over everything the filters keep (the desk's, without filters)."""
    row = completed_in(period, filters).aggregate(mean=Avg("score"), n=Count("pk"))
    return _figure(row["mean"], row["n"])


def iqs_by(period: Period, filters: Filters, by: GroupBy) -> dict[int | None, Iqs]:
    """The IQS per agent (the reviewed one) or per team (the reviewed ticket's)."""
    column = "agent_id" if by == "agent" else "ticket__team_id"
    rows = (
        completed_in(period, filters)
        .values(column)
        .annotate(mean=Avg("score"), n=Count("pk"))
        .order_by(column)
    )
    return {row[column]: _figure(row["mean"], row["n"]) for row in rows}


def iqs_against_csat(period: Period, filters: Filters = NO_FILTERS) -> list[AgentIqsCsat]:
    """Per agent with a completed review or a CSAT answer in the period: IQS and its reviews,
    CSAT % and its answers as `metrics.kpis.survey_kpis` gives them (answers attributed to
    the agent at resolution)."""
    by_agent = iqs_by(period, filters, "agent")
    surveys = survey_kpis(period, filters, Grouping(by="agent"))
    ids = {key for key in by_agent if key is not None} | {
        key for key in surveys if isinstance(key, int)
    }
    names = {user.pk: user.display_name for user in User.objects.filter(pk__in=ids)}
    rows: list[AgentIqsCsat] = []
    for pk in sorted(ids, key=lambda pk: (names.get(pk, "").casefold(), pk)):
        figure = by_agent.get(pk, {"iqs": None, "reviews": 0, "low_sample": _low(0)})
        csat = surveys.get(pk, {}).get("csat", {})
        answers = int(csat.get("responses") or 0)
        rows.append(
            {
                "agent": pk,
                "name": names.get(pk, str(pk)),
                "iqs": figure["iqs"],
                "reviews": figure["reviews"],
                "iqs_low_sample": figure["low_sample"],
                "csat": csat.get("percent"),
                "csat_answers": answers,
                "csat_low_sample": _low(answers),
            }
        )
    return rows
