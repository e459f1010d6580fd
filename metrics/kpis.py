"""Every KPI of ../shared/KPI.md, computed by the database.

Each KPI family is one function `f(period, filters, group=None)` returning
`{group_key: values}`: with `group=None` the single key is `None` (the summary), with a
`Grouping` the keys are time buckets (time series) or dimension values (breakdowns). So the
summary, the time series and the breakdowns share one definition of every number.

Conventions (KPI.md): periods are `[start, end)`; a KPI over an empty set is `None`;
percentages have one decimal, averages two; durations are seconds; medians and p90
interpolate linearly between neighbours (PostgreSQL's `percentile_cont`; the same arithmetic
written with window functions on SQLite).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek

from cases.models import ACTIVE_STATUSES, Customer, Status, Ticket
from surveys.models import SurveyInvitation, SurveyResponse

CLOSED_STATUSES = (Status.RESOLVED, Status.CLOSED)
BACKLOG_BUCKETS = (("lt_1d", 0, 1), ("1_3d", 1, 3), ("3_7d", 3, 7), ("gte_7d", 7, None))


# --- period, filters, grouping ----------------------------------------------------------------


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone())


@dataclass(frozen=True)
class Period:
    """`[start, end)` as aware datetimes. A date means midnight in TIME_ZONE."""

    start: datetime
    end: datetime

    @classmethod
    def of(cls, start: date | datetime, end: date | datetime) -> "Period":
        def moment(value):
            if isinstance(value, datetime):
                return value if value.tzinfo else value.replace(tzinfo=zone())
            return local_midnight(value)

        return cls(moment(start), moment(end))

    @property
    def start_date(self) -> date:
        return self.start.astimezone(zone()).date()

    @property
    def end_date(self) -> date:
        return self.end.astimezone(zone()).date()

    def previous(self) -> "Period":
        """The period of equal length just before this one (for the cards' deltas)."""
        length = self.end - self.start
        return Period(self.start - length, self.start)


@dataclass(frozen=True)
class Filters:
    """Optional narrowing; ids for team, agent, category, customer."""

    team: int | None = None
    agent: int | None = None
    channel: str | None = None
    category: int | None = None
    priority: str | None = None
    customer: int | None = None

    def tickets(self, prefix: str = "") -> Q:
        """The filter on Ticket rows (`prefix` reaches Ticket from another model)."""
        q = Q()
        for name, column in (
            ("team", "team_id"),
            ("agent", "assignee_id"),
            ("channel", "channel"),
            ("category", "category_id"),
            ("priority", "priority"),
            ("customer", "customer_id"),
        ):
            value = getattr(self, name)
            if value not in (None, ""):
                q &= Q(**{prefix + column: value})
        return q

    def responses(self) -> Q:
        """Survey answers are attributed to the team and agent at resolution."""
        q = Filters(
            channel=self.channel,
            category=self.category,
            priority=self.priority,
            customer=self.customer,
        ).tickets("ticket__")
        if self.team not in (None, ""):
            q &= Q(team_id=self.team)
        if self.agent not in (None, ""):
            q &= Q(agent_id=self.agent)
        return q

    def invitations(self) -> Q:
        return self.responses()  # same attribution fields on SurveyInvitation


DIMENSIONS = {
    # dimension → (column on Ticket, column on SurveyResponse/SurveyInvitation)
    "team": ("team_id", "team_id"),
    "agent": ("assignee_id", "agent_id"),
    "channel": ("channel", "ticket__channel"),
    "category": ("category_id", "ticket__category_id"),
    "priority": ("priority", "ticket__priority"),
}
INTERVALS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


@dataclass(frozen=True)
class Grouping:
    """Group by a time bucket (`interval`) or by a dimension (`by`)."""

    interval: str | None = None
    by: str | None = None

    def __post_init__(self):
        if (self.interval is None) == (self.by is None):
            raise ValueError("group by exactly one of interval or by")
        if self.interval and self.interval not in INTERVALS:
            raise ValueError(f"unknown interval {self.interval}")
        if self.by and self.by not in DIMENSIONS:
            raise ValueError(f"unknown dimension {self.by}")

    def expression(self, time_field: str, on_tickets: bool):
        if self.interval:
            return INTERVALS[self.interval](time_field, tzinfo=zone())
        ticket_column, other_column = DIMENSIONS[self.by]
        return F(ticket_column if on_tickets else other_column)


def _grouped(queryset: QuerySet, group: Grouping | None, time_field: str, on_tickets: bool):
    if group is None:
        return queryset.annotate(g=Value(None, output_field=FloatField())).values("g")
    return queryset.annotate(g=group.expression(time_field, on_tickets)).values("g")


def bucket_key(value) -> date | None:
    """Buckets come back as datetimes (PostgreSQL), dates, or text (SQLite through a raw
    cursor); keys are local dates."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return value.astimezone(zone()).date() if value.tzinfo else value.date()
    return value


def _key(group: Grouping | None, value):
    if group is None:
        return None
    return bucket_key(value) if group.interval else value


# --- arithmetic -------------------------------------------------------------------------------


def percent(part, whole) -> float | None:
    if not whole:
        return None
    return float(
        (Decimal(100) * Decimal(part) / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    )


def two_decimals(value) -> float | None:
    if value is None:
        return None
    return float(Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP))


def whole_seconds(value) -> int | None:
    """Half-up to the second, after trimming float noise below the microsecond (timestamps'
    resolution): percentile_cont's 5979.4999999 is the exact 5979.5 and rounds to 5980."""
    if value is None:
        return None
    return int(Decimal(str(round(float(value), 6))).quantize(0, ROUND_HALF_UP))


class SecondsBetween(Func):
    """`end - start` in seconds, as a float, on PostgreSQL and SQLite."""

    output_field = FloatField()
    arity = 2

    def as_postgresql(self, compiler, conn, **extra):
        return self.as_sql(
            compiler, conn, template="EXTRACT(EPOCH FROM (%(expressions)s))", arg_joiner=" - "
        )

    def as_sqlite(self, compiler, conn, **extra):
        return self.as_sql(
            compiler,
            conn,
            # julianday() is a float of days: round to the millisecond so 1 s is 1.0 s.
            template="ROUND((julianday(%(expressions)s)) * 86400.0, 3)",
            arg_joiner=") - julianday(",
        )


def duration_stats(queryset: QuerySet, end: str, start: str, group, time_field: str) -> dict:
    """Mean, median, p90 and count of `end - start` (seconds) per group, in one query.
    PostgreSQL: percentile_cont. SQLite: the same linear interpolation with window functions."""
    base = _grouped(queryset, group, time_field, on_tickets=True).annotate(
        v=SecondsBetween(F(end), F(start))
    )
    inner_sql, params = base.values("g", "v").query.sql_with_params()
    # inner_sql is Django's own compiled query; every value travels in `params`.
    if connection.vendor == "postgresql":
        sql = f"""
            SELECT g, AVG(v), percentile_cont(0.5) WITHIN GROUP (ORDER BY v),
                   percentile_cont(0.9) WITHIN GROUP (ORDER BY v), COUNT(v)
            FROM ({inner_sql}) AS t(g, v) WHERE v IS NOT NULL GROUP BY g"""  # noqa: S608
    else:
        sql = f"""
            WITH t(g, v) AS ({inner_sql}),
            r AS (
                SELECT g, v, ROW_NUMBER() OVER (PARTITION BY g ORDER BY v) - 1 AS i,
                       COUNT(*) OVER (PARTITION BY g) AS n
                FROM t WHERE v IS NOT NULL
            ),
            p AS (
                SELECT g, v, i, n, (n - 1) * 0.5 AS h50, (n - 1) * 0.9 AS h90 FROM r
            )
            SELECT g, AVG(v),
              MAX(CASE WHEN i = CAST(h50 AS INTEGER) THEN v END)
                + (h50 - CAST(h50 AS INTEGER)) * (
                  COALESCE(MAX(CASE WHEN i = CAST(h50 AS INTEGER) + 1 THEN v END),
                           MAX(CASE WHEN i = CAST(h50 AS INTEGER) THEN v END))
                  - MAX(CASE WHEN i = CAST(h50 AS INTEGER) THEN v END)),
              MAX(CASE WHEN i = CAST(h90 AS INTEGER) THEN v END)
                + (h90 - CAST(h90 AS INTEGER)) * (
                  COALESCE(MAX(CASE WHEN i = CAST(h90 AS INTEGER) + 1 THEN v END),
                           MAX(CASE WHEN i = CAST(h90 AS INTEGER) THEN v END))
                  - MAX(CASE WHEN i = CAST(h90 AS INTEGER) THEN v END)),
              COUNT(v)
            FROM p GROUP BY g"""  # noqa: S608
    result = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for g, mean, median, p90, count in cursor.fetchall():
            result[_key(group, g)] = {
                "mean": whole_seconds(mean),
                "median": whole_seconds(median),
                "p90": whole_seconds(p90),
                "count": count,
            }
    return result


EMPTY_DURATION = {"mean": None, "median": None, "p90": None, "count": 0}


# --- survey KPIs ------------------------------------------------------------------------------


def _responses(period: Period, filters: Filters) -> QuerySet:
    return SurveyResponse.objects.filter(
        filters.responses(), answered_at__gte=period.start, answered_at__lt=period.end
    )


def survey_kpis(period: Period, filters: Filters, group: Grouping | None = None) -> dict:
    """CSAT, NPS, CES with their distributions and the response rate (KPI.md, placed by
    `answered_at`; the rate's denominator by the invitation's `sent_at`)."""
    score_counts = {}
    for question, low, high in (("csat", 1, 5), ("ces", 1, 7), ("nps", 0, 10)):
        for score in range(low, high + 1):
            score_counts[f"{question}_{score}"] = Count("pk", filter=Q(**{question: score}))
    rows = (
        _grouped(_responses(period, filters), group, "answered_at", on_tickets=False)
        .order_by()
        .annotate(
            responses=Count("pk"),
            csat_n=Count("csat"),
            csat_sum=Sum("csat"),
            ces_n=Count("ces"),
            ces_sum=Sum("ces"),
            nps_n=Count("nps"),
            **score_counts,
        )
    )
    sent = (
        _grouped(
            SurveyInvitation.objects.filter(
                filters.invitations(), sent_at__gte=period.start, sent_at__lt=period.end
            ),
            group,
            "sent_at",
            on_tickets=False,
        )
        .order_by()
        .annotate(sent=Count("pk"))
    )
    sent_by_key = {_key(group, row["g"]): row["sent"] for row in sent}
    result = {}
    for row in rows:
        key = _key(group, row["g"])
        csat = {s: row[f"csat_{s}"] for s in range(1, 6)}
        ces = {s: row[f"ces_{s}"] for s in range(1, 8)}
        nps = {s: row[f"nps_{s}"] for s in range(0, 11)}
        promoters = nps[9] + nps[10]
        passives = nps[7] + nps[8]
        detractors = sum(nps[s] for s in range(0, 7))
        result[key] = {
            "responses": row["responses"],
            "csat": {
                "percent": percent(csat[4] + csat[5], row["csat_n"]),
                "average": two_decimals(row["csat_sum"] / row["csat_n"]) if row["csat_n"] else None,
                "responses": row["csat_n"],
                "distribution": csat,
            },
            "nps": {
                "score": _nps(promoters, detractors, row["nps_n"]),
                "promoters": promoters,
                "passives": passives,
                "detractors": detractors,
                "responses": row["nps_n"],
                "distribution": nps,
            },
            "ces": {
                "average": two_decimals(row["ces_sum"] / row["ces_n"]) if row["ces_n"] else None,
                "percent_easy": percent(ces[5] + ces[6] + ces[7], row["ces_n"]),
                "responses": row["ces_n"],
                "distribution": ces,
            },
            "response_rate": percent(row["responses"], sent_by_key.get(key, 0)),
            "surveys_sent": sent_by_key.get(key, 0),
        }
    for key, count in sent_by_key.items():
        result.setdefault(key, empty_survey_kpis(surveys_sent=count))
    return result


def _nps(promoters: int, detractors: int, responses: int) -> float | None:
    """%promoters − %detractors from the exact shares, then one decimal: 5 and 4 of 12 give
    41.67 − 33.33 = 8.3 (KPI.md), not the difference of rounded shares (8.4)."""
    return percent(promoters - detractors, responses)


def empty_survey_kpis(surveys_sent: int = 0) -> dict:
    return {
        "responses": 0,
        "csat": {
            "percent": None,
            "average": None,
            "responses": 0,
            "distribution": dict.fromkeys(range(1, 6), 0),
        },
        "nps": {
            "score": None,
            "promoters": 0,
            "passives": 0,
            "detractors": 0,
            "responses": 0,
            "distribution": dict.fromkeys(range(0, 11), 0),
        },
        "ces": {
            "average": None,
            "percent_easy": None,
            "responses": 0,
            "distribution": dict.fromkeys(range(1, 8), 0),
        },
        "response_rate": percent(0, surveys_sent),  # sent but unanswered: 0.0, not —
        "surveys_sent": surveys_sent,
    }


# --- operational KPIs -------------------------------------------------------------------------


def _created_in(period: Period, filters: Filters) -> QuerySet:
    return Ticket.objects.filter(
        filters.tickets(), created_at__gte=period.start, created_at__lt=period.end
    )


def _resolved_in(period: Period, filters: Filters) -> QuerySet:
    """KPI.md: now resolved or closed, and the latest resolution falls in the period."""
    return Ticket.objects.filter(
        filters.tickets(),
        status__in=CLOSED_STATUSES,
        resolved_at__gte=period.start,
        resolved_at__lt=period.end,
    )


def created_kpis(period: Period, filters: Filters, group: Grouping | None = None) -> dict:
    """Volume, escalation rate and FRT (all placed by `created_at`)."""
    rows = (
        _grouped(_created_in(period, filters), group, "created_at", on_tickets=True)
        .order_by()
        .annotate(
            volume=Count("pk"),
            escalated=Count("pk", filter=Q(escalation_count__gt=0)),
            awaiting=Count("pk", filter=Q(first_response_at__isnull=True)),
        )
    )
    frt = duration_stats(
        _created_in(period, filters).filter(first_response_at__isnull=False),
        "first_response_at",
        "created_at",
        group,
        "created_at",
    )
    result = {}
    for row in rows:
        key = _key(group, row["g"])
        result[key] = {
            "volume": row["volume"],
            "escalated": row["escalated"],
            "escalation_rate": percent(row["escalated"], row["volume"]),
            "frt": {**frt.get(key, EMPTY_DURATION), "awaiting_first_response": row["awaiting"]},
        }
    return result


def resolved_kpis(period: Period, filters: Filters, group: Grouping | None = None) -> dict:
    """ART, FCR and reopen rate (all placed by the latest `resolved_at`)."""
    first_contact = Q(escalation_count=0, reopen_count=0, public_agent_replies__lte=1)
    rows = (
        _grouped(_resolved_in(period, filters), group, "resolved_at", on_tickets=True)
        .order_by()
        .annotate(
            resolved=Count("pk"),
            fcr=Count("pk", filter=first_contact),
            reopened=Count("pk", filter=Q(reopen_count__gt=0)),
        )
    )
    art = duration_stats(
        _resolved_in(period, filters), "resolved_at", "created_at", group, "resolved_at"
    )
    result = {}
    for row in rows:
        key = _key(group, row["g"])
        result[key] = {
            "resolved": row["resolved"],
            "fcr": {"percent": percent(row["fcr"], row["resolved"]), "resolved": row["resolved"]},
            "reopen_rate": percent(row["reopened"], row["resolved"]),
            "art": art.get(key, dict(EMPTY_DURATION)),
        }
    return result


def backlog(at: datetime, filters: Filters, by: str | None = None) -> dict:
    """Tickets created before `at` that were not resolved at `at`: now active, or resolved
    or closed with the latest resolution at or after `at` (KPI.md), with age buckets."""
    open_then = Ticket.objects.filter(filters.tickets(), created_at__lt=at).filter(
        Q(status__in=ACTIVE_STATUSES) | Q(status__in=CLOSED_STATUSES, resolved_at__gte=at)
    )
    buckets = {}
    for name, low, high in BACKLOG_BUCKETS:
        condition = Q(created_at__lte=at - timedelta(days=low))
        if high is not None:
            condition &= Q(created_at__gt=at - timedelta(days=high))
        buckets[name] = Count("pk", filter=condition)
    if by is None:
        rows = [{"g": None, **open_then.aggregate(total=Count("pk"), **buckets)}]
    else:
        column = DIMENSIONS[by][0]
        rows = open_then.values(g=F(column)).order_by().annotate(total=Count("pk"), **buckets)
    return {
        row["g"]: {"total": row["total"], "buckets": {n: row[n] for n, *_ in BACKLOG_BUCKETS}}
        for row in rows
    }


# --- customer KPIs ----------------------------------------------------------------------------


def customer_kpis(period: Period) -> dict:
    """S, N, C, E and churn / retention (KPI.md; dates in TIME_ZONE, so E = S + N − C)."""
    start, end = period.start_date, period.end_date
    counts = Customer.objects.aggregate(
        S=Count(
            "pk",
            filter=Q(active_since__lt=start)
            & (Q(churned_at__isnull=True) | Q(churned_at__gte=start)),
        ),
        N=Count("pk", filter=Q(active_since__gte=start, active_since__lt=end)),
        C=Count("pk", filter=Q(churned_at__gte=start, churned_at__lt=end)),
        E=Count(
            "pk",
            filter=Q(active_since__lt=end) & (Q(churned_at__isnull=True) | Q(churned_at__gte=end)),
        ),
    )
    return {
        **counts,
        "churn_rate": percent(counts["C"], counts["S"]),
        "retention_rate": percent(counts["E"] - counts["N"], counts["S"]),
    }


# --- the three shapes the API and the dashboard use -------------------------------------------


def summary(period: Period, filters: Filters = Filters()) -> dict:
    """Every KPI for one period (the shape of `GET /api/v1/metrics/summary/`)."""
    surveys = survey_kpis(period, filters).get(None) or empty_survey_kpis()
    created = created_kpis(period, filters).get(None) or _empty_created()
    resolved = resolved_kpis(period, filters).get(None) or _empty_resolved()
    customers = customer_kpis(period)
    return {
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat()},
        "csat": surveys["csat"],
        "nps": surveys["nps"],
        "ces": surveys["ces"],
        "response_rate": surveys["response_rate"],
        "surveys_sent": surveys["surveys_sent"],
        "volume": created["volume"],
        "frt": created["frt"],
        "art": resolved["art"],
        "fcr": resolved["fcr"],
        "escalation_rate": created["escalation_rate"],
        "reopen_rate": resolved["reopen_rate"],
        "backlog": backlog(period.end, filters)[None],
        "churn_rate": customers["churn_rate"],
        "retention_rate": customers["retention_rate"],
        "customers": {k: customers[k] for k in ("S", "N", "C", "E")},
    }


def _empty_created() -> dict:
    return {
        "volume": 0,
        "escalated": 0,
        "escalation_rate": None,
        "frt": {**EMPTY_DURATION, "awaiting_first_response": 0},
    }


def _empty_resolved() -> dict:
    return {
        "resolved": 0,
        "fcr": {"percent": None, "resolved": 0},
        "reopen_rate": None,
        "art": dict(EMPTY_DURATION),
    }


# KPI name → (family, how to read its headline value from the family's values)
KPIS = {
    "csat": ("survey", lambda v: v["csat"]["percent"]),
    "csat_average": ("survey", lambda v: v["csat"]["average"]),
    "nps": ("survey", lambda v: v["nps"]["score"]),
    "ces": ("survey", lambda v: v["ces"]["average"]),
    "ces_percent_easy": ("survey", lambda v: v["ces"]["percent_easy"]),
    "response_rate": ("survey", lambda v: v["response_rate"]),
    "responses": ("survey", lambda v: v["responses"]),
    "volume": ("created", lambda v: v["volume"]),
    "escalation_rate": ("created", lambda v: v["escalation_rate"]),
    "frt": ("created", lambda v: v["frt"]["mean"]),
    "frt_median": ("created", lambda v: v["frt"]["median"]),
    "frt_p90": ("created", lambda v: v["frt"]["p90"]),
    "art": ("resolved", lambda v: v["art"]["mean"]),
    "art_median": ("resolved", lambda v: v["art"]["median"]),
    "art_p90": ("resolved", lambda v: v["art"]["p90"]),
    "fcr": ("resolved", lambda v: v["fcr"]["percent"]),
    "reopen_rate": ("resolved", lambda v: v["reopen_rate"]),
    "resolved": ("resolved", lambda v: v["resolved"]),
}
_FAMILIES = {"survey": survey_kpis, "created": created_kpis, "resolved": resolved_kpis}
_EMPTY = {"survey": empty_survey_kpis, "created": _empty_created, "resolved": _empty_resolved}


def buckets(period: Period, interval: str) -> list[date]:
    """Every bucket start of the period in TIME_ZONE (days, ISO weeks from Monday, months)."""
    day = period.start_date
    if interval == "week":
        day -= timedelta(days=day.weekday())
    elif interval == "month":
        day = day.replace(day=1)
    result, end = [], period.end_date
    while day < end or (day == period.start_date and day == end):
        result.append(day)
        if interval == "day":
            day += timedelta(days=1)
        elif interval == "week":
            day += timedelta(days=7)
        else:
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return result


def timeseries(kpi: str, interval: str, period: Period, filters: Filters = Filters()) -> list:
    """[{bucket, value, detail}] for every bucket of the period, empty buckets included."""
    family, read = KPIS[kpi]
    values = _FAMILIES[family](period, filters, Grouping(interval=interval))
    return [
        {
            "bucket": day.isoformat(),
            "value": read(values.get(day) or _EMPTY[family]()),
            "detail": values.get(day) or _EMPTY[family](),
        }
        for day in buckets(period, interval)
    ]


def breakdown(kpi: str, by: str, period: Period, filters: Filters = Filters()) -> list:
    """[{key, value, detail}] per team / agent / channel / category / priority."""
    family, read = KPIS[kpi]
    values = _FAMILIES[family](period, filters, Grouping(by=by))
    return [
        {"key": key, "value": read(detail), "detail": detail}
        for key, detail in sorted(values.items(), key=lambda kv: (kv[0] is None, str(kv[0])))
    ]


def many_breakdowns(by: str, period: Period, filters: Filters = Filters()) -> dict:
    """Every family at once per `by` value — the agent table and the drivers view use it."""
    merged: dict = defaultdict(dict)
    for family, compute in _FAMILIES.items():
        for key, detail in compute(period, filters, Grouping(by=by)).items():
            merged[key][family] = detail
    for detail in merged.values():
        for family in _FAMILIES:
            detail.setdefault(family, _EMPTY[family]())
    return dict(merged)


# --- drivers: the why behind the survey scores ------------------------------------------------

FRT_BUCKETS = (("lt_1h", 0, 3600), ("1_4h", 3600, 4 * 3600), ("4_24h", 4 * 3600, 86400))


def _frt_bucket() -> Case:
    frt = SecondsBetween(F("ticket__first_response_at"), F("ticket__created_at"))
    whens = [When(ticket__first_response_at__isnull=True, then=Value("none"))]
    whens += [
        When(Q(frt_seconds__gte=low, frt_seconds__lt=high), then=Value(name))
        for name, low, high in FRT_BUCKETS
    ]
    return frt, Case(*whens, default=Value("gte_24h"), output_field=CharField())


DRIVERS = {
    "escalated": lambda: Case(
        When(ticket__escalation_count__gt=0, then=Value("yes")),
        default=Value("no"),
        output_field=CharField(),
    ),
    "reopened": lambda: Case(
        When(ticket__reopen_count__gt=0, then=Value("yes")),
        default=Value("no"),
        output_field=CharField(),
    ),
    "public_replies": lambda: Case(
        When(ticket__public_agent_replies__lte=1, then=Value("1")),
        When(ticket__public_agent_replies=2, then=Value("2")),
        When(ticket__public_agent_replies__lte=4, then=Value("3-4")),
        default=Value("5+"),
        output_field=CharField(),
    ),
    "channel": lambda: F("ticket__channel"),
    "category": lambda: F("ticket__category__name"),
}
DRIVER_NAMES = ("frt", *DRIVERS)


def drivers(period: Period, filters: Filters = Filters()) -> dict:
    """CSAT %, NPS and CES of the period's answers split by operational facts of the same
    tickets — first-response bucket, escalated, reopened, public replies, channel, category —
    one aggregate query per fact. {fact: [{value, responses, csat, nps, ces}]}."""
    result = {}
    base = _responses(period, filters)
    for name in DRIVER_NAMES:
        if name == "frt":
            seconds, expression = _frt_bucket()
            queryset = base.annotate(frt_seconds=seconds)
        else:
            expression, queryset = DRIVERS[name](), base
        rows = (
            queryset.annotate(value=expression)
            .values("value")
            .order_by()
            .annotate(
                responses=Count("pk"),
                csat_n=Count("csat"),
                csat_good=Count("pk", filter=Q(csat__gte=4)),
                nps_n=Count("nps"),
                promoters=Count("pk", filter=Q(nps__gte=9)),
                detractors=Count("pk", filter=Q(nps__lte=6)),
                ces_n=Count("ces"),
                ces_sum=Sum("ces"),
            )
        )
        result[name] = sorted(
            (
                {
                    "value": row["value"],
                    "responses": row["responses"],
                    "csat": percent(row["csat_good"], row["csat_n"]),
                    "nps": _nps(row["promoters"], row["detractors"], row["nps_n"]),
                    "ces": two_decimals(row["ces_sum"] / row["ces_n"]) if row["ces_n"] else None,
                }
                for row in rows
            ),
            key=lambda item: str(item["value"]),
        )
    return result


__all__ = [
    "Filters",
    "Grouping",
    "Period",
    "backlog",
    "breakdown",
    "customer_kpis",
    "drivers",
    "created_kpis",
    "many_breakdowns",
    "resolved_kpis",
    "summary",
    "survey_kpis",
    "timeseries",
]
