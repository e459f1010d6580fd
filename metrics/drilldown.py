"""The tickets behind every number (docs/kpis.md, "The tickets behind every number").

`drill_url` gives, for a figure of the dashboards, the link to the list it was computed
from — the agent queue (`cases:queue`) for ticket KPIs, the survey responses list
(`surveys:response_list`) for survey KPIs — with the dashboard's filters and the figure's
period, so that the list's count is the figure's sample. The lists take hidden drill-down
parameters for this (cases/filters.py `TicketFilter`, surveys/filters.py `ResponseFilter`);
tests/metrics/test_drilldown.py checks every card and table row on the demo desk.

No `queue` parameter is given: the queue then opens the viewer's widest own scope — every
ticket for a manager, their own (`mine`) for an agent, whose dashboard is filtered on them
as assignee — and `tickets_visible_to` still decides what anyone sees.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, TypeAlias

from django.urls import reverse
from django.utils.http import urlencode

from .definitions import local_midnight, zone
from .kpis import BACKLOG_BUCKETS, Filters, GroupKey, Period, next_bucket

# (dimension, key): a dimension of the explanation or a breakdown ("team", "agent",
# "channel", "category", "priority", "tag") with the key `kpis.breakdown` gives (None: no
# team, unassigned, no category), or ("driver:<name>", value) for a row of a driver table.
Segment: TypeAlias = tuple[str, GroupKey]
# Which part of the sample (`part=`): True for the KPI's natural numerator (see `PARTS`), a
# name of `PARTS[kpi]`, or a score of the KPI's question (a bar of a card's distribution).
Part: TypeAlias = bool | str | int
Query: TypeAlias = dict[str, str | list[str]]
ListName = Literal["tickets", "responses"]


@dataclass(frozen=True)
class Source:
    """Where a KPI's sample is listed: which list, which timestamp places it in the period
    (`created`, `resolved`, `answered`, or `open` for the backlog at the period's end), and
    the subset of that list it counts (a queue `facet` or a survey `question`)."""

    list: ListName
    placed_by: Literal["created", "resolved", "answered", "open"]
    subset: str | None = None


SOURCES: dict[str, Source] = {
    # Survey KPIs: answers placed by answered_at; the sample is the question's answers.
    "csat": Source("responses", "answered", "csat"),
    "csat_average": Source("responses", "answered", "csat"),
    "nps": Source("responses", "answered", "nps"),
    "ces": Source("responses", "answered", "ces"),
    "ces_percent_easy": Source("responses", "answered", "ces"),
    # The response rate's denominator is the invitations sent, which no list shows: its
    # link lists the answers of the period (its numerator), like `responses`.
    "response_rate": Source("responses", "answered"),
    "responses": Source("responses", "answered"),
    # Created family: tickets created in the period, merged ones left out.
    "volume": Source("tickets", "created"),
    "escalation_rate": Source("tickets", "created"),
    "sla_first_response": Source("tickets", "created", "sla_first"),
    "sla_resolution": Source("tickets", "created", "sla_resolution"),
    "sla_breached": Source("tickets", "created", "sla_breached"),
    "frt": Source("tickets", "created", "responded"),
    "frt_median": Source("tickets", "created", "responded"),
    "frt_p90": Source("tickets", "created", "responded"),
    # Resolved family: now resolved or closed, the latest resolution in the period.
    "resolved": Source("tickets", "resolved"),
    "art": Source("tickets", "resolved"),
    "art_median": Source("tickets", "resolved"),
    "art_p90": Source("tickets", "resolved"),
    "fcr": Source("tickets", "resolved"),
    "reopen_rate": Source("tickets", "resolved"),
    # The backlog at the period's end.
    "backlog": Source("tickets", "open"),
}
# Customer KPIs: no list of customers filters by activity and churn dates.
UNLISTED = ("churn_rate", "retention_rate")

# The subsets a figure can offer beside its sample: {kpi: {part: (parameter, value)}}, the
# first one being `part=True`'s. Averages and percentiles have none (a score of their
# question still can: `part=<score>`); counts give their sample again.
PARTS: dict[str, dict[str, tuple[str, str]]] = {
    "csat": {"satisfied": ("group", "satisfied"), "unhappy": ("group", "unhappy")},
    "nps": {
        "promoters": ("group", "promoter"),
        "passives": ("group", "passive"),
        "detractors": ("group", "detractor"),
    },
    "ces_percent_easy": {"easy": ("group", "easy")},
    "escalation_rate": {"escalated": ("facet", "escalated")},
    "sla_first_response": {
        "met": ("facet", "sla_first_met"),
        "breached": ("facet", "sla_first_breached"),
    },
    "sla_resolution": {
        "met": ("facet", "sla_resolution_met"),
        "breached": ("facet", "sla_resolution_breached"),
    },
    "fcr": {"first_contact": ("facet", "first_contact")},
    "reopen_rate": {"reopened": ("facet", "reopened")},
    # Not a subset of the sample but the card's other line: the tickets created in the period
    # still without a first response.
    "frt": {"awaiting": ("facet", "awaiting_first_response")},
    "frt_median": {"awaiting": ("facet", "awaiting_first_response")},
    "frt_p90": {"awaiting": ("facet", "awaiting_first_response")},
}
COUNTS = ("volume", "resolved", "responses", "response_rate", "backlog", "sla_breached")
SCORES = {"csat": range(1, 6), "nps": range(0, 11), "ces": range(1, 8)}

# A dimension → the list's parameter for a value, and its `without` value for None.
TICKET_DIMENSIONS = {
    "team": ("team", "team"),
    "agent": ("assignee", "assignee"),
    "channel": ("channel", None),
    "category": ("category", "category"),
    "priority": ("priority", None),
}
RESPONSE_DIMENSIONS = {
    "team": ("team", "team"),
    "agent": ("agent", "agent"),
    "channel": ("channel", None),
    "category": ("category", "category"),
    "priority": ("priority", None),
}
# A driver of metrics/definitions.py → the responses list's parameter for its value.
DRIVER_PARAMETERS = {
    "frt": "frt",
    "escalated": "escalated",
    "reopened": "reopened",
    "public_replies": "public_replies",
    "channel": "channel",
    "category": "category_name",  # drivers name categories (two of one name count together)
}
DRIVER_PREFIX = "driver:"
BACKLOG_AGES = tuple(name for name, *_bounds in BACKLOG_BUCKETS)


def _moment(value: datetime) -> str:
    """A date when `value` is a midnight in TIME_ZONE (as the lists read a date), else the
    exact moment."""
    local = value.astimezone(zone())
    if local == local_midnight(local.date()):
        return local.date().isoformat()
    return local.isoformat()


def _filters_query(
    filters: Filters, dimensions: Mapping[str, tuple[str, str | None]], *, responses: bool
) -> Query | None:
    """The dashboard's filters as the list's parameters; None when one cannot be (a macro
    on the responses list)."""
    query: Query = {}
    if filters.macro is not None:
        if responses:
            return None  # the macro table's answers are those of its resolved tickets
        query["macro"] = str(filters.macro)
    for name, (parameter, _without) in dimensions.items():
        value = getattr(filters, name)
        if value not in (None, ""):
            query[parameter] = str(value)
    if filters.customer is not None:
        query["customer"] = str(filters.customer)
    if filters.tags:
        query["tag"] = list(filters.tags)
    return query


def _segment_query(
    query: Query, segment: Segment, dimensions: Mapping[str, tuple[str, str | None]]
) -> bool:
    """Narrow `query` to one segment (it replaces a filter on the same dimension). False
    when the list cannot express it."""
    by, key = segment
    if by == "tag":
        if key is None:
            return False  # "no tag": the lists have no such filter
        tags = query.get("tag") or []
        query["tag"] = [*tags, str(key)] if isinstance(tags, list) else [tags, str(key)]
        return True
    if by not in dimensions:
        raise ValueError(f"unknown dimension {by!r}")
    parameter, without = dimensions[by]
    query.pop(parameter, None)
    if key is not None:
        query[parameter] = str(key)
        return True
    if without is None:
        return False
    withouts = query.setdefault("without", [])
    assert isinstance(withouts, list)
    withouts.append(without)
    return True


def _driver_query(query: Query, driver: str, value: GroupKey) -> bool:
    if driver not in DRIVER_PARAMETERS:
        raise ValueError(f"unknown driver {driver!r}")
    parameter = DRIVER_PARAMETERS[driver]
    if value is None:
        if driver != "category":
            return False
        query.pop("category", None)
        withouts = query.setdefault("without", [])
        assert isinstance(withouts, list)
        withouts.append("category")
        return True
    query[parameter] = str(value)
    return True


def _part_query(kpi: str, source: Source, part: Part) -> tuple[str, str] | None | Literal[False]:
    """The (parameter, value) of a part; None: the sample itself; False: none to offer."""
    if part is False:
        return None
    if isinstance(part, int) and not isinstance(part, bool):
        question = source.subset if source.list == "responses" else None
        if question is None or part not in SCORES[question]:
            return False
        return (question, str(part))
    parts = PARTS.get(kpi)
    if parts is None:
        return None if kpi in COUNTS and part is True else False
    name = next(iter(parts)) if part is True else part
    return parts.get(str(name), False)


def drill_query(
    kpi: str,
    period: Period,
    filters: Filters,
    *,
    segment: Segment | None = None,
    part: Part = False,
    age: str | None = None,
) -> tuple[ListName, Query] | None:
    """(which list, its query parameters) of `drill_url`'s list; None where none can say it."""
    if kpi in UNLISTED:
        return None
    if kpi not in SOURCES:
        raise ValueError(f"no drill-down for {kpi!r}")
    source = SOURCES[kpi]
    if age is not None and (kpi != "backlog" or age not in BACKLOG_AGES):
        raise ValueError(f"an age ({age!r}) is one of {BACKLOG_AGES}, for the backlog")
    responses = source.list == "responses"
    dimensions = RESPONSE_DIMENSIONS if responses else TICKET_DIMENSIONS
    query = _filters_query(filters, dimensions, responses=responses)
    if query is None:
        return None
    if source.placed_by == "answered":
        query |= {"answered_from": _moment(period.start), "answered_until": _moment(period.end)}
    elif source.placed_by == "created":
        query |= {"created_from": _moment(period.start), "created_before": _moment(period.end)}
    elif source.placed_by == "resolved":
        query |= {"resolved_from": _moment(period.start), "resolved_before": _moment(period.end)}
    else:
        query["open_at"] = _moment(period.end)
        if age is not None:
            query["age"] = age
    if source.subset is not None:
        query["question" if responses else "facet"] = source.subset
    if segment is not None:
        by, key = segment
        if by.startswith(DRIVER_PREFIX):
            if not responses:
                raise ValueError("drivers split survey answers: a survey KPI's segment")
            if not _driver_query(query, by.removeprefix(DRIVER_PREFIX), key):
                return None
        elif not _segment_query(query, segment, dimensions):
            return None
    narrowed = _part_query(kpi, source, part)
    if narrowed is False:
        return None
    if narrowed is not None:
        parameter, value = narrowed
        query[parameter] = value
    return source.list, query


def drill_url(
    kpi: str,
    period: Period,
    filters: Filters,
    *,
    segment: Segment | None = None,
    part: Part = False,
    age: str | None = None,
) -> str | None:
    """The URL of the list of the figure's sample — its denominator — with the dashboard's
    filters and the figure's period, or of a part of it.

    `kpi`: a key of `SOURCES` — every card of metrics/presentation/cards.py's KPI_CARDS and
    every KPI of metrics/explain.py's EXPLAINED_KPIS, and `backlog`:

    - csat, csat_average → the period's CSAT answers; nps → NPS answers; ces,
      ces_percent_easy → CES answers (responses list, placed by answered_at).
    - responses, response_rate → every answer of the period. The response rate's sample is
      the invitations sent, which no list shows: its link lists its numerator, the answers.
    - volume, escalation_rate → tickets created in the period (merged ones left out);
      frt, frt_median, frt_p90 → those with a first response; sla_first_response /
      sla_resolution → those measured against that SLA clock; sla_breached → those that
      missed a target (agent queue, placed by created_at).
    - resolved, art, art_median, art_p90, fcr, reopen_rate → tickets resolved in the period
      (now resolved or closed, the latest resolution in it).
    - backlog → tickets open at the period's end; `age` one of its age buckets (BACKLOG_AGES).

    `segment`: (dimension, key) of a breakdown row or an explanation line — team, agent,
    channel, category, priority (key None: no team, unassigned, no category), tag — or
    ("driver:<name>", value) of a driver table row (survey KPIs). It replaces a filter on
    the same dimension.

    `part`: True for the natural numerator (CSAT → the satisfied answers, NPS → promoters,
    % easy → easy answers, escalation rate → escalated tickets, SLA → met, FCR → first
    contact, reopen rate → reopened; counts → the sample again), a name of `PARTS[kpi]` (NPS
    "detractors", SLA "breached", FRT "awaiting": created in the period and still without a
    first response), or a score of the question (CSAT, NPS, CES: a bar of a card).

    Time series: pass the bucket's own period (`bucket_period`).

    None where no list can say it: churn and retention (customers: no list of customers
    filters by activity and churn dates), a macro filter on a survey KPI (the macro table's
    answers are those of its resolved tickets, placed otherwise: only its ticket figures
    link, to the queue's `macro`), a segment
    of a channel or priority None or of no tag, a part the KPI does not have (an average's
    numerator)."""
    found = drill_query(kpi, period, filters, segment=segment, part=part, age=age)
    if found is None:
        return None
    name, query = found
    base = reverse("cases:queue" if name == "tickets" else "surveys:response_list")
    return f"{base}?{urlencode(query, doseq=True)}"


def bucket_period(period: Period, bucket: date | str, interval: str) -> Period:
    """The part of `period` a time series bucket covers (`kpis.timeseries`' buckets start
    on their first day, the first and last clipped to the period), for `drill_url`."""
    day = date.fromisoformat(bucket) if isinstance(bucket, str) else bucket
    start = max(local_midnight(day), period.start)
    end = min(local_midnight(next_bucket(day, interval)), period.end)
    return Period(start, end)


def periods_of(period: Period, days: Sequence[date], interval: str) -> list[Period]:
    """`bucket_period` of each bucket of a series, in order."""
    return [bucket_period(period, day, interval) for day in days]


__all__ = [
    "BACKLOG_AGES",
    "PARTS",
    "SOURCES",
    "UNLISTED",
    "Segment",
    "bucket_period",
    "drill_query",
    "drill_url",
    "periods_of",
]
