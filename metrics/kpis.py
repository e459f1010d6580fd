"""Every KPI of docs/kpis.md, computed by the database.

Each KPI family is one function `f(period, filters, group=None)` returning
`{group_key: values}`: with `group=None` the single key is `None` (the summary), with a
`Grouping` the keys are time buckets (time series) or dimension values (breakdowns). So the
summary, the time series and the breakdowns share one definition of every number.

Conventions (docs/kpis.md): periods are `[start, end)`; a KPI over an empty set is `None`;
percentages have one decimal, averages two; durations are seconds; medians and p90
interpolate linearly between neighbours (PostgreSQL's `percentile_cont`; the same arithmetic
written with window functions on SQLite).
"""

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from math import floor, sqrt
from typing import Any, Literal, TypeAlias, TypedDict, cast

from django.conf import settings
from django.db import connection, connections, router
from django.db.backends.utils import CursorWrapper
from django.db.models import (
    Aggregate,
    Avg,
    BigIntegerField,
    Case,
    Count,
    DateField,
    Exists,
    Expression,
    F,
    FloatField,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Round, RowNumber, TruncDay, TruncMonth, TruncWeek

from cases.models import (
    ACTIVE_STATUSES,
    Category,
    Customer,
    EventKind,
    Macro,
    MacroUse,
    Status,
    Ticket,
    TicketEvent,
    TicketTag,
)
from surveys.models import SurveyInvitation, SurveyResponse

from . import rollups
from .definitions import (
    CLOSED_STATUSES,
    DRIVER_MEASURES,
    DRIVER_NAMES,
    SLA_CLOCKS,
    SecondsBetween,
    driver_values,
    local_midnight,
    zone,
)
from .models import (
    DRIVER_GRAINS,
    DURATION_BUCKETS,
    GRAINS,
    CreatedRollup,
    DriverRollup,
    ResolvedRollup,
    SentRollup,
    SurveyRollup,
    TicketFact,
    grain_key,
)
from .models import SCORES as SCORE_RANGES

BACKLOG_BUCKETS = (("lt_1d", 0, 1), ("1_3d", 1, 3), ("3_7d", 3, 7), ("gte_7d", 7, None))

# The key of a group in a KPI family's answer: None for the summary, a local date for a time
# bucket, an id (team, agent, category) or a value (channel, priority) for a breakdown.
GroupKey: TypeAlias = date | int | str | None
# One group's figures of a KPI family (`survey_kpis`, `created_kpis`…), of `summary()`:
# numbers and nested dicts of numbers, the JSON the API serves.
KpiValues: TypeAlias = dict[str, Any]
ByGroup: TypeAlias = dict[GroupKey, KpiValues]
# A KPI's headline value: a count, a percentage, a score, whole seconds; None over nothing.
KpiValue: TypeAlias = int | float | None
# Mean, median and p90 in whole seconds (None over nothing), and the count of durations.
DurationStats: TypeAlias = dict[str, int | None]
# A row read from the database (`.values()`, a cursor): column or alias → value.
Row: TypeAlias = Mapping[str, Any]
RowQuerySet: TypeAlias = QuerySet[Any, Row]
ValuesQuerySet: TypeAlias = QuerySet[Any, dict[str, Any]]  # rows to complete in place
# What a query groups or selects by: a column, a time bucket, a constant.
GroupBy: TypeAlias = Expression | F
Family = Literal["survey", "created", "resolved"]
# The rollups kept per day and dimension values that `_rollup_rows` reads (their base, Rollup,
# is abstract: it has no manager).
DayRollup: TypeAlias = (
    type[CreatedRollup] | type[ResolvedRollup] | type[SurveyRollup] | type[SentRollup]
)


def _reading_cursor() -> CursorWrapper:
    """A cursor on the database the engine's ORM queries read (a replica inside a view that
    reads from one: config/replica.py), for its hand-written SQL."""
    return connections[router.db_for_read(Ticket)].cursor()


# --- period, filters, grouping ----------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """`[start, end)` as aware datetimes. A date means midnight in TIME_ZONE."""

    start: datetime
    end: datetime

    @classmethod
    def of(cls, start: date | datetime, end: date | datetime) -> "Period":
        def moment(value: date | datetime) -> datetime:
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


def _given(value: object) -> bool:
    """A filter narrows unless its value is None or "" (both mean: all)."""
    return value not in (None, "")


@dataclass(frozen=True)
class Filters:
    """Optional narrowing; ids for team, agent, category, customer."""

    team: int | None = None
    agent: int | None = None
    channel: str | None = None
    category: int | None = None
    priority: str | None = None
    customer: int | None = None
    # docs/kpis.md: tickets that carry every one of these tags now (names as cases/tags.py writes
    # them). Read live: the rollups hold no tags.
    tags: tuple[str, ...] = ()
    # docs/kpis.md: tickets on which this macro was used before their latest resolution.
    # Read live, like tags.
    macro: int | None = None

    def tickets(self, prefix: str = "") -> Q:
        """The filter on Ticket rows (`prefix` reaches Ticket from another model)."""
        q = Q()
        ticket = f"{prefix.removesuffix('__')}_id" if prefix else "pk"
        for name in self.tags:
            carried = TicketTag.objects.filter(ticket=OuterRef(ticket), tag__name=name)
            q &= Q(Exists(carried))
        macro = self.macro
        if macro is not None:
            used = MacroUse.objects.filter(
                ticket=OuterRef(ticket), macro_id=macro, at__lte=OuterRef(f"{prefix}resolved_at")
            )
            q &= Q(Exists(used))
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
            tags=self.tags,
            macro=self.macro,
        ).tickets("ticket__")
        if _given(self.team):
            q &= Q(team_id=self.team)
        if _given(self.agent):
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
    # A ticket with several tags counts under each (and untagged ones under None).
    "tag": ("tags__name", "ticket__tags__name"),
}
INTERVALS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


@dataclass(frozen=True)
class Grouping:
    """Group by a time bucket (`interval`) or by a dimension (`by`)."""

    interval: str | None = None
    by: str | None = None

    def __post_init__(self) -> None:
        if (self.interval is None) == (self.by is None):
            raise ValueError("group by exactly one of interval or by")
        if self.interval and self.interval not in INTERVALS:
            raise ValueError(f"unknown interval {self.interval}")
        if self.by and self.by not in DIMENSIONS:
            raise ValueError(f"unknown dimension {self.by}")

    def expression(self, time_field: str, on_tickets: bool) -> GroupBy:
        if self.interval:
            return INTERVALS[self.interval](time_field, tzinfo=zone())
        assert self.by is not None  # __post_init__: `by` when no interval
        ticket_column, other_column = DIMENSIONS[self.by]
        return F(ticket_column if on_tickets else other_column)


def _grouped(
    queryset: QuerySet[Any], group: Grouping | None, time_field: str, on_tickets: bool
) -> ValuesQuerySet:
    # Typed here: the plugin's annotate() of a queryset of any model is Any.
    if group is None:
        grouped: ValuesQuerySet = queryset.annotate(
            g=Value(None, output_field=FloatField())
        ).values("g")
    else:
        grouped = queryset.annotate(g=group.expression(time_field, on_tickets)).values("g")
    return grouped


def bucket_key(value: date | str | None) -> date | None:
    """Buckets come back as datetimes (PostgreSQL), dates, or text (SQLite through a raw
    cursor); keys are local dates."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return value.astimezone(zone()).date() if value.tzinfo else value.date()
    return value


def _key(group: Grouping | None, value: Any) -> GroupKey:
    """A group's key from the value a row holds for it (see `bucket_key`)."""
    if group is None:
        return None
    return bucket_key(value) if group.interval else value


# --- arithmetic -------------------------------------------------------------------------------


def percent(part: int, whole: int) -> float | None:
    if not whole:
        return None
    return float(
        (Decimal(100) * Decimal(part) / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    )


def two_decimals(value: float | Decimal | None) -> float | None:
    if value is None:
        return None
    return float(Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP))


def whole_seconds(value: float | Decimal | None) -> int | None:
    """Half-up to the second, after trimming float noise below the microsecond (timestamps'
    resolution): percentile_cont's 5979.4999999 is the exact 5979.5 and rounds to 5980."""
    if value is None:
        return None
    return int(Decimal(str(round(float(value), 6))).quantize(0, ROUND_HALF_UP))


class PercentileCont(Aggregate):
    """PostgreSQL's `percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)`, so a
    median sits in the same aggregate query as the counts (SQLite has no such aggregate:
    `_stats_query` writes the same arithmetic with window functions there)."""

    function = "percentile_cont"
    name = "PercentileCont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Func, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=float(fraction), **extra)


def _duration_aggregates(name: str, seconds: Func) -> dict[str, Aggregate]:
    return {
        f"{name}__mean": Avg(seconds),
        f"{name}__median": PercentileCont(seconds, 0.5),
        f"{name}__p90": PercentileCont(seconds, 0.9),
        f"{name}__count": Count(seconds),
    }


def _aggregate(
    grouped: ValuesQuerySet,
    group: Grouping | None,
    counts: Mapping[str, Aggregate],
    durations: dict[str, Func],
) -> dict[GroupKey, dict[str, Any]]:
    """{group key: the `counts` of the group, and under each name of `durations` the mean,
    median, p90 and count of that duration in seconds (NULL durations left out)}.

    PostgreSQL: one statement, the percentiles beside the counts, so the tickets are read
    once. SQLite: the counts, then each duration's percentiles with window functions."""
    if connection.vendor == "postgresql":
        aggregates = dict(counts)
        for name, seconds in durations.items():
            aggregates |= _duration_aggregates(name, seconds)
        result: dict[GroupKey, dict[str, Any]] = {}
        for row in grouped.annotate(**aggregates):
            for name in durations:
                row[name] = {
                    "mean": whole_seconds(row.pop(f"{name}__mean")),
                    "median": whole_seconds(row.pop(f"{name}__median")),
                    "p90": whole_seconds(row.pop(f"{name}__p90")),
                    "count": row.pop(f"{name}__count"),
                }
            result[_key(group, row["g"])] = row
        return result
    result = {_key(group, row["g"]): row for row in grouped.annotate(**counts)}
    for name, seconds in durations.items():
        stats = _stats_query(grouped.annotate(v=seconds).values("g", "v"), group)
        for key, row in result.items():
            row[name] = stats.get(key, dict(EMPTY_DURATION))
    return result


def _stats_query(values: RowQuerySet, group: Grouping | None) -> dict[GroupKey, DurationStats]:
    """Mean, median, p90 and count of `v` per `g` of a `.values("g", "v")` queryset."""
    inner_sql, params = values.query.sql_with_params()
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
    result: dict[GroupKey, DurationStats] = {}
    with _reading_cursor() as cursor:
        cursor.execute(sql, params)
        for g, mean, median, p90, count in cursor.fetchall():
            result[_key(group, g)] = {
                "mean": whole_seconds(mean),
                "median": whole_seconds(median),
                "p90": whole_seconds(p90),
                "count": count,
            }
    return result


# --- rollups: the same KPIs from per-day aggregates (metrics/rollups.py keeps them) -------

FILTER_COLUMNS = {
    "team": "team_id",
    "agent": "agent_id",
    "channel": "channel",
    "category": "category_id",
    "priority": "priority",
}


_rollups_fresh: ContextVar[bool | None] = ContextVar("rollups_fresh", default=None)


@contextmanager
def one_reading() -> Iterator[None]:
    """Decide once whether the rollups answer, for everything computed inside (a page asks
    a dozen questions; they need not check a dozen times). Nested readings reuse it."""
    if _rollups_fresh.get() is not None:
        yield
        return
    token = _rollups_fresh.set(rollups.ensure_fresh())
    try:
        yield
    finally:
        _rollups_fresh.reset(token)


def _rollups_usable() -> bool:
    fresh = _rollups_fresh.get()
    if fresh is None:
        fresh = rollups.ensure_fresh()
    return fresh


def _at_midnight(moment: datetime) -> bool:
    return moment == local_midnight(moment.astimezone(zone()).date())


def _rollup_grain(
    period: Period | None,
    filters: Filters,
    group: Grouping | None,
    grains: Sequence[tuple[str, ...]] = GRAINS,
    at: datetime | None = None,
) -> str | None:
    """The smallest rollup grain that answers this question, or None to read live: the
    rollups hold whole local days, per combination of at most two dimensions, and no
    customer."""
    if _given(filters.customer) or filters.tags or _given(filters.macro):
        return None
    if period is None:
        assert at is not None, "a question without a period is asked at a moment (`at`)"
        moments: tuple[datetime, ...] = (at,)
    else:
        moments = (period.start, period.end)
    if not all(_at_midnight(moment) for moment in moments):
        return None
    needed = {name for name in FILTER_COLUMNS if getattr(filters, name) not in (None, "")}
    if group is not None and group.by:
        needed.add(group.by)
    grain = next((grain for grain in grains if needed <= set(grain)), None)
    if grain is None or not _rollups_usable():
        return None
    return grain_key(grain)


def _rollup_filter(filters: Filters) -> Q:
    return Q(
        **{
            column: getattr(filters, name)
            for name, column in FILTER_COLUMNS.items()
            if getattr(filters, name) not in (None, "")
        }
    )


def _rollup_group(group: Grouping | None, day: str = "day") -> GroupBy:
    if group is None:
        return Value(None, output_field=FloatField())
    if group.interval == "day":
        return F(day)
    if group.interval:
        return INTERVALS[group.interval](day)
    assert group.by is not None  # Grouping.__post_init__: `by` when no interval
    return F(FILTER_COLUMNS[group.by])


def _day_group(group: Grouping | None, day: str) -> GroupBy:
    """`_rollup_group` for a raw cursor: time buckets as plain dates (PostgreSQL's
    date_trunc of a date is a UTC timestamp, which the ORM, not a cursor, turns back)."""
    expression = _rollup_group(group, day)
    return Cast(expression, DateField()) if group is not None and group.interval else expression


def _rollup_rows(
    model: DayRollup, grain: str, period: Period, filters: Filters, group: Grouping | None
) -> RowQuerySet:
    return (
        model.objects.filter(
            _rollup_filter(filters),
            grain=grain,
            day__gte=period.start_date,
            day__lt=period.end_date,
        )
        .order_by()
        .annotate(g=_rollup_group(group))
        .values("g")
    )


class _Total(Sum):
    """`COALESCE(SUM(column), 0)` as one expression: a rollup query sums some sixty columns,
    and Coalesce(Sum(…), 0) builds three expressions (and a field) for each."""

    template = "COALESCE(SUM(%(expressions)s), 0)"
    empty_result_set_value = 0


def _total(column: str) -> Sum:
    return _Total(column)


def _microseconds_total(seconds: Func) -> Sum:
    """The sum of durations in whole microseconds, as the rollups keep it (`*_sum_us`,
    metrics/rollups.py): the exact total that an average's explanation adds up."""
    return _Total(Cast(Round(seconds * Value(1_000_000)), BigIntegerField()))


def _histogram_totals(kind: str) -> dict[str, Sum]:
    return {
        f"{kind}_n": _total(f"{kind}_n"),
        f"{kind}_sum_us": _total(f"{kind}_sum_us"),
        **{
            f"{kind}_h{index:02d}": _total(f"{kind}_h{index:02d}")
            for index in range(len(DURATION_BUCKETS))
        },
    }


def _rank_reads(counts: list[int], n: int, p: float) -> tuple[float, list[tuple[int, int, int]]]:
    """percentile_cont's arithmetic: rank h = p × (n − 1) between rows floor(h) and
    floor(h) + 1. Returns the fraction and where those rows are: (bucket, offset in the
    bucket, how many to read)."""
    h = p * (n - 1)
    k = floor(h)
    fraction = h - k
    bucket, before = 0, 0
    while k >= before + counts[bucket]:
        before += counts[bucket]
        bucket += 1
    offset = k - before
    if fraction == 0:
        return fraction, [(bucket, offset, 1)]
    if offset + 1 < counts[bucket]:
        return fraction, [(bucket, offset, 2)]
    following = next(b for b in range(bucket + 1, len(counts)) if counts[b])
    return fraction, [(bucket, offset, 1), (following, 0, 1)]


def next_bucket(day: date, interval: str) -> date:
    if interval == "day":
        return day + timedelta(days=1)
    if interval == "week":
        return day + timedelta(days=7)
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _fact_scope(
    kind: str, period: Period, filters: Filters, group: Grouping | None, g: Any
) -> tuple[str, list[Any]]:
    """The WHERE of one group's TicketFact rows (the percentile walk), as SQL and params:
    written by hand because a page walks hundreds of times and the ORM's compiling would
    cost more than the reads."""
    day = "created_day" if kind == "frt" else "resolved_day"
    start, end = period.start_date, period.end_date
    equal = {
        column: getattr(filters, name)
        for name, column in FILTER_COLUMNS.items()
        if getattr(filters, name) not in (None, "")
    }
    null: list[str] = []
    if group is not None and group.interval:
        first = bucket_key(g)
        assert first is not None  # a time bucket's rows have a day
        start, end = max(start, first), min(end, next_bucket(first, group.interval))
    elif group is not None:
        assert group.by is not None  # Grouping.__post_init__: `by` when no interval
        column = FILTER_COLUMNS[group.by]
        if g is None:
            null.append(column)
        else:
            equal[column] = g
    quote = connection.ops.quote_name
    adapt = connection.ops.adapt_datefield_value
    conditions = [f"{quote(day)} >= %s", f"{quote(day)} < %s"]
    params: list[Any] = [adapt(start), adapt(end)]
    for column, value in equal.items():
        conditions.append(f"{quote(column)} = %s")
        params.append(value)
    conditions += [f"{quote(column)} IS NULL" for column in null]
    return " AND ".join(conditions), params


# Up to this many durations in a question, one percentile_cont over TicketFact beats
# planning hundreds of walks (a month's daily series, say); beyond, the walks win.
DIRECT_PERCENTILE_ROWS = 20_000


def _mean_and_count(kind: str, row: Row) -> DurationStats:
    n = row[f"{kind}_n"]
    mean = Decimal(row[f"{kind}_sum_us"]) / Decimal(n) / Decimal(1_000_000)
    return {"mean": whole_seconds(mean), "count": n}


def _small_duration_stats(
    kind: str, rows: Sequence[Row], period: Period, filters: Filters, group: Grouping | None
) -> dict[GroupKey, DurationStats]:
    """Few durations: medians and p90 straight from TicketFact (means from the rollups)."""
    day = "created_day" if kind == "frt" else "resolved_day"
    facts = (
        TicketFact.objects.filter(
            _rollup_filter(filters),
            **{f"{day}__gte": period.start_date, f"{day}__lt": period.end_date},
        )
        .order_by()
        .annotate(g=_day_group(group, day), v=F(f"{kind}_seconds"))
        .values("g", "v")
    )
    percentiles = _stats_query(facts, group)
    result: dict[GroupKey, DurationStats] = {}
    for row in rows:
        if not row[f"{kind}_n"]:
            continue
        key = _key(group, row["g"])
        stats = {**percentiles[key], **_mean_and_count(kind, row)}  # exact mean: the sums
        result[key] = {k: stats[k] for k in ("mean", "median", "p90", "count")}
    return result


def _rollup_duration_stats(
    kind: str, rows: Sequence[Row], period: Period, filters: Filters, group: Grouping | None
) -> dict[GroupKey, DurationStats]:
    """Mean, median and p90 from the rollups: the histograms say which bucket holds each
    rank, one UNION ALL statement reads the exact values at those ranks from TicketFact,
    and they are interpolated as percentile_cont does."""
    if sum(row[f"{kind}_n"] for row in rows) <= DIRECT_PERCENTILE_ROWS:
        return _small_duration_stats(kind, rows, period, filters, group)
    # A group's value (as its rows hold it) → (its mean and count, {p: fraction}).
    plans: dict[Any, tuple[DurationStats, dict[float, float]]] = {}
    parts: list[str] = []
    params: list[Any] = []
    owners: list[tuple[Any, float]] = []  # (group value, p) of each part
    quote = connection.ops.quote_name
    table = quote(TicketFact._meta.db_table)
    seconds, bucket_column = quote(f"{kind}_seconds"), quote(f"{kind}_bucket")
    for row in rows:
        n = row[f"{kind}_n"]
        if not n:
            continue
        counts = [row[f"{kind}_h{i:02d}"] for i in range(len(DURATION_BUCKETS))]
        plans[row["g"]] = (_mean_and_count(kind, row), {})
        where, where_params = _fact_scope(kind, period, filters, group, row["g"])
        for p in (0.5, 0.9):
            fraction, reads = _rank_reads(counts, n, p)
            plans[row["g"]][1][p] = fraction
            for bucket, offset, limit in reads:
                # Quoted column names and integers; every value travels in `params`.
                parts.append(
                    f"SELECT {len(owners)} AS part, w.v FROM (SELECT {seconds} AS v "  # noqa: S608
                    f"FROM {table} WHERE {bucket_column} = %s AND {where} ORDER BY {seconds}"
                    f" LIMIT {int(limit)} OFFSET {int(offset)}) AS w"
                )
                params += [bucket, *where_params]
                owners.append((row["g"], p))
    values_of: defaultdict[tuple[Any, float], list[float]] = defaultdict(list)
    if parts:
        with _reading_cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            read = sorted(cursor.fetchall())
        for part, value in read:
            values_of[owners[part]].append(value)
    result: dict[GroupKey, DurationStats] = {}
    for g, (mean_and_count, by_p) in plans.items():
        stats = dict(mean_and_count)
        for p, name in ((0.5, "median"), (0.9, "p90")):
            fraction, found = by_p[p], values_of[(g, p)]
            low = found[0]
            high = found[1] if len(found) > 1 else low
            stats[name] = whole_seconds(low + (high - low) * fraction)
        result[_key(group, g)] = {k: stats[k] for k in ("mean", "median", "p90", "count")}
    return result


EMPTY_DURATION: DurationStats = {"mean": None, "median": None, "p90": None, "count": 0}


# --- survey KPIs ------------------------------------------------------------------------------


def _responses(period: Period, filters: Filters) -> QuerySet[SurveyResponse]:
    return SurveyResponse.objects.filter(
        filters.responses(), answered_at__gte=period.start, answered_at__lt=period.end
    )


SURVEY_MEASURES = (
    "responses",
    "csat_n",
    "csat_sum",
    "ces_n",
    "ces_sum",
    "nps_n",
    *(f"{q}_{score}" for q, scores in SCORE_RANGES.items() for score in scores),
)


def _survey_rows(
    period: Period, filters: Filters, group: Grouping | None
) -> tuple[RowQuerySet, RowQuerySet]:
    """(answer counts per group, invitations sent per group), from the rollups or live."""
    grain = _rollup_grain(period, filters, group)
    if grain is not None:
        rows = _rollup_rows(SurveyRollup, grain, period, filters, group).annotate(
            **{name: _total(name) for name in SURVEY_MEASURES}
        )
        sent = _rollup_rows(SentRollup, grain, period, filters, group).annotate(sent=_total("sent"))
        return rows, sent
    score_counts = {
        f"{question}_{score}": Count("pk", filter=Q(**{question: score}))
        for question, scores in SCORE_RANGES.items()
        for score in scores
    }
    rows = (
        _grouped(_responses(period, filters), group, "answered_at", on_tickets=False)
        .order_by()
        .annotate(
            responses=Count("*"),
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
        .annotate(sent=Count("*"))
    )
    return rows, sent


def rollup_survey_counts(
    period: Period,
    filters: Filters,
    measures: Sequence[str] = SURVEY_MEASURES,
    *,
    or_teams: Collection[int] = (),
) -> dict[str, int] | None:
    """SurveyRollup's `measures` (score counts, sums) of the answers of `period` under
    `filters`, summed from the rollups; None when they cannot answer exactly (not built, not
    fresh, a period not in whole local days, a combination of filters no grain keeps, a
    customer): the caller counts live then.

    `or_teams` widens `filters.agent` to the answers that agent resolved *or* that any of
    these teams resolved: an agent's own set on the survey responses page
    (`surveys.selectors.responses_visible_to`, `team IN teams OR agent = the agent`), which no
    rollup row holds as such (`filters.team` must then be unset). See
    `_agent_or_teams_counts`."""
    if or_teams:
        return _agent_or_teams_counts(period, filters, measures, sorted(set(or_teams)))
    grain = _rollup_grain(period, filters, None)
    if grain is None:
        return None
    rows = list(
        _rollup_rows(SurveyRollup, grain, period, filters, None).annotate(
            **{name: _total(name) for name in measures}
        )
    )
    totals = rows[0] if rows else {}
    return {name: totals.get(name) or 0 for name in measures}


def _agent_or_teams_counts(
    period: Period, filters: Filters, measures: Sequence[str], teams: list[int]
) -> dict[str, int] | None:
    """`rollup_survey_counts` of `filters.agent`'s answers or `teams`' answers (F: the other
    filters), as two disjoint parts, so every measure (a count or a sum) simply adds up:

        Σ_teams counts(F ∧ team) + counts(F ∧ agent ∧ team ∉ teams, or no team)

    — the inclusion–exclusion Σ_teams counts(F ∧ team) + counts(F ∧ agent) − Σ_teams
    counts(F ∧ team ∧ agent) with its last two terms read from the one grain that keeps both
    the team and the agent (fewer rollup rows, nothing subtracted). From the grains of the
    team and of the team and the agent beside F; None when one is missing (F on a channel, a
    category or a priority: no grain keeps three dimensions). One query: the teams summed
    with `team_id IN`, not one query per team, and both parts from one snapshot, so a
    refresh committed meanwhile cannot make them disagree."""
    if not _given(filters.agent) or _given(filters.team):
        raise ValueError("or_teams widens an agent filter, and excludes a team filter")
    of_teams = replace(filters, agent=None)
    in_teams = Q(team_id__in=teams)
    # A grain that answers for one team answers for any list of them. One reading: the
    # rollups' freshness is checked once.
    with one_reading():
        teams_grain = _rollup_grain(period, replace(of_teams, team=teams[0]), None)
        agent_grain = _rollup_grain(period, replace(filters, team=teams[0]), None)
    if teams_grain is None or agent_grain is None:
        return None
    rows: RowQuerySet = (
        SurveyRollup.objects.filter(
            (Q(grain=teams_grain) & in_teams & _rollup_filter(of_teams))
            # NOT IN, on a nullable column: Django keeps the rows of no team.
            | (Q(grain=agent_grain) & ~in_teams & _rollup_filter(filters)),
            day__gte=period.start_date,
            day__lt=period.end_date,
        )
        .order_by()
        .values("grain")  # a row per part (cheaper to build than Django's aggregate())
        .annotate(**{name: _total(name) for name in measures})
    )
    counts = dict.fromkeys(measures, 0)
    for row in rows:
        for name in measures:
            counts[name] += row[name]
    return counts


def survey_kpis(period: Period, filters: Filters, group: Grouping | None = None) -> ByGroup:
    """CSAT, NPS, CES with their distributions and the response rate (docs/kpis.md, placed by
    `answered_at`; the rate's denominator by the invitation's `sent_at`)."""
    rows, sent = _survey_rows(period, filters, group)
    sent_by_key = {_key(group, row["g"]): row["sent"] for row in sent}
    result: ByGroup = {}
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
    41.67 − 33.33 = 8.3 (docs/kpis.md), not the difference of rounded shares (8.4)."""
    return percent(promoters - detractors, responses)


def empty_survey_kpis(surveys_sent: int = 0) -> KpiValues:
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


def _created_in(period: Period, filters: Filters) -> QuerySet[Ticket]:
    """docs/kpis.md: a merged ticket counts only through its target."""
    return Ticket.objects.filter(
        filters.tickets(), created_at__gte=period.start, created_at__lt=period.end
    ).exclude(status=Status.MERGED)


def _resolved_in(period: Period, filters: Filters) -> QuerySet[Ticket]:
    """docs/kpis.md: now resolved or closed, and the latest resolution falls in the period."""
    return Ticket.objects.filter(
        filters.tickets(),
        status__in=CLOSED_STATUSES,
        resolved_at__gte=period.start,
        resolved_at__lt=period.end,
    )


def _sla_counts_live() -> dict[str, Count]:
    """A met clock is a decided one (done by a due time it has), so "met" needs no second
    test of "decided"."""
    (first_decided, first_met), (res_decided, res_met) = SLA_CLOCKS.values()
    return {
        "sla_first_n": Count("pk", filter=first_decided),
        "sla_first_met": Count("pk", filter=first_met),
        "sla_resolution_n": Count("pk", filter=res_decided),
        "sla_resolution_met": Count("pk", filter=res_met),
        "sla_breached": Count("pk", filter=(first_decided & ~first_met) | (res_decided & ~res_met)),
    }


SLA_MEASURES = (
    "sla_first_n",
    "sla_first_met",
    "sla_resolution_n",
    "sla_resolution_met",
    "sla_breached",
)


def _sla_values(row: Row) -> dict[str, float | None]:
    return {
        "first_response_percent": percent(row["sla_first_met"], row["sla_first_n"]),
        "resolution_percent": percent(row["sla_resolution_met"], row["sla_resolution_n"]),
        "breached": row["sla_breached"],
        "first_response_count": row["sla_first_n"],
        "resolution_count": row["sla_resolution_n"],
    }


def created_kpis(period: Period, filters: Filters, group: Grouping | None = None) -> ByGroup:
    """Volume, escalation rate and FRT (all placed by `created_at`)."""
    grain = _rollup_grain(period, filters, group)
    if grain is not None:
        rows = list(
            _rollup_rows(CreatedRollup, grain, period, filters, group).annotate(
                volume=_total("volume"),
                escalated=_total("escalated"),
                awaiting=_total("awaiting"),
                **{name: _total(name) for name in SLA_MEASURES},
                **_histogram_totals("frt"),
            )
        )
        frt = _rollup_duration_stats("frt", rows, period, filters, group)
    else:
        # NULL until the first public reply: left out of the durations.
        frt_seconds = SecondsBetween(F("first_response_at"), F("created_at"))
        by_key = _aggregate(
            _grouped(_created_in(period, filters), group, "created_at", on_tickets=True).order_by(),
            group,
            counts={
                "volume": Count("*"),
                "escalated": Count("pk", filter=Q(escalation_count__gt=0)),
                "awaiting": Count("pk", filter=Q(first_response_at__isnull=True)),
                "frt_sum_us": _microseconds_total(frt_seconds),
                **_sla_counts_live(),
            },
            durations={"frt": frt_seconds},
        )
        rows = list(by_key.values())
        frt = {key: row["frt"] for key, row in by_key.items()}
    result: ByGroup = {}
    for row in rows:
        key = _key(group, row["g"])
        result[key] = {
            "volume": row["volume"],
            "escalated": row["escalated"],
            "escalation_rate": percent(row["escalated"], row["volume"]),
            "frt": {**frt.get(key, EMPTY_DURATION), "awaiting_first_response": row["awaiting"]},
            "sla": _sla_values(row),
            # The exact counts behind the rounded figures above (metrics/explain.py adds them
            # up); the summary and the API leave them out.
            "sla_first_response_met": row["sla_first_met"],
            "sla_resolution_met": row["sla_resolution_met"],
            "frt_sum_us": row["frt_sum_us"],
        }
    return result


def resolved_kpis(period: Period, filters: Filters, group: Grouping | None = None) -> ByGroup:
    """ART, FCR and reopen rate (all placed by the latest `resolved_at`)."""
    grain = _rollup_grain(period, filters, group)
    if grain is not None:
        rows = list(
            _rollup_rows(ResolvedRollup, grain, period, filters, group).annotate(
                resolved=_total("resolved"),
                fcr=_total("fcr"),
                reopened=_total("reopened"),
                **_histogram_totals("art"),
            )
        )
        art = _rollup_duration_stats("art", rows, period, filters, group)
    else:
        first_contact = Q(escalation_count=0, reopen_count=0, public_agent_replies__lte=1)
        art_seconds = SecondsBetween(F("resolved_at"), F("created_at"))
        by_key = _aggregate(
            _grouped(
                _resolved_in(period, filters), group, "resolved_at", on_tickets=True
            ).order_by(),
            group,
            counts={
                "resolved": Count("*"),
                "fcr": Count("pk", filter=first_contact),
                "reopened": Count("pk", filter=Q(reopen_count__gt=0)),
                "art_sum_us": _microseconds_total(art_seconds),
            },
            durations={"art": art_seconds},
        )
        rows = list(by_key.values())
        art = {key: row["art"] for key, row in by_key.items()}
    result: ByGroup = {}
    for row in rows:
        key = _key(group, row["g"])
        result[key] = {
            "resolved": row["resolved"],
            "fcr": {"percent": percent(row["fcr"], row["resolved"]), "resolved": row["resolved"]},
            "reopen_rate": percent(row["reopened"], row["resolved"]),
            "art": art.get(key, dict(EMPTY_DURATION)),
            # Exact counts behind the rounded figures (see created_kpis).
            "first_contact": row["fcr"],
            "reopened": row["reopened"],
            "art_sum_us": row["art_sum_us"],
        }
    return result


def backlog(at: datetime, filters: Filters, by: str | None = None) -> ByGroup:
    """Tickets created before `at` that were not resolved at `at`: now active, or resolved
    or closed with the latest resolution at or after `at` (docs/kpis.md), with age buckets."""
    open_then = Ticket.objects.filter(filters.tickets(), created_at__lt=at).filter(
        Q(status__in=ACTIVE_STATUSES) | Q(status__in=CLOSED_STATUSES, resolved_at__gte=at)
    )
    buckets: dict[str, Count] = {}
    for name, low, high in BACKLOG_BUCKETS:
        condition = Q(created_at__lte=at - timedelta(days=low))
        if high is not None:
            condition &= Q(created_at__gt=at - timedelta(days=high))
        buckets[name] = Count("pk", filter=condition)
    grain = _rollup_grain(None, filters, Grouping(by=by) if by else None, at=at)
    if grain is not None:
        return _rollup_backlog(grain, at, filters, by, open_then, buckets)
    rows: Iterable[Row]
    if by is None:
        rows = [{"g": None, **open_then.aggregate(total=Count("pk"), **buckets)}]
    else:
        column = DIMENSIONS[by][0]
        rows = cast(
            Iterable[Row],  # the plugin's rows hold `g` and `total`, not the `**buckets`
            open_then.values(g=F(column)).order_by().annotate(total=Count("pk"), **buckets),
        )
    return {
        row["g"]: {"total": row["total"], "buckets": {n: row[n] for n, *_ in BACKLOG_BUCKETS}}
        for row in rows
    }


def _rollup_backlog(
    grain: str,
    at: datetime,
    filters: Filters,
    by: str | None,
    open_then: QuerySet[Ticket],
    buckets: dict[str, Count],
) -> ByGroup:
    """Everything created before `at` minus everything resolved (and still resolved) before
    `at` — two sums over the rollups; only the last week's tickets are read, for the three
    younger age buckets (the oldest is the rest)."""
    group = Grouping(by=by) if by else None
    history = Period(local_midnight(date.min + timedelta(days=1)), at)
    totals: defaultdict[GroupKey, int] = defaultdict(int)
    for model, column, sign in ((CreatedRollup, "volume", 1), (ResolvedRollup, "resolved", -1)):
        for row in _rollup_rows(model, grain, history, filters, group).annotate(n=_total(column)):
            totals[row["g"]] += sign * row["n"]
    oldest = BACKLOG_BUCKETS[-1][0]
    younger = {name: count for name, count in buckets.items() if name != oldest}
    recent = open_then.filter(created_at__gt=at - timedelta(days=BACKLOG_BUCKETS[-1][1]))
    recent_rows: dict[GroupKey, Row]
    if by is None:
        recent_rows = {None: recent.aggregate(**younger)}
    else:
        column = DIMENSIONS[by][0]
        recent_rows = {
            row["g"]: row for row in recent.values(g=F(column)).order_by().annotate(**younger)
        }
    result: ByGroup = {}
    for g, total in totals.items():
        if total == 0 and by is not None:
            continue
        counts = {name: (recent_rows.get(g) or {}).get(name, 0) for name in younger}
        counts[oldest] = total - sum(counts.values())
        result[g] = {"total": total, "buckets": {n: counts[n] for n, *_ in BACKLOG_BUCKETS}}
    return result


# --- customer KPIs ----------------------------------------------------------------------------


def customer_kpis(period: Period) -> KpiValues:
    """S, N, C, E and churn / retention (docs/kpis.md; dates in TIME_ZONE, so E = S + N − C)."""
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


# --- churn read against experience ------------------------------------------------------------

# docs/kpis.md, "Churn and experience": each split of the customers and its groups, in the
# order they read. A customer's groups are fixed at the period's start.
CHURN_SPLITS: dict[str, tuple[str, ...]] = {
    "nps": ("detractor", "passive", "promoter", "not_surveyed"),
    "csat": ("unsatisfied", "satisfied", "not_surveyed"),
    "escalated": ("escalated", "not_escalated"),
    "sla_breached": ("breached", "not_breached"),
}
# The operational splits look at this many calendar days before the period's start.
OPERATIONAL_WINDOW_DAYS = 90
WILSON_Z = 1.96


class Interval(TypedDict):
    """A 95 % confidence interval of a percentage, both ends 0–100 with one decimal."""

    low: float
    high: float


class ChurnGroup(TypedDict):
    """One group of a churn split: S_g and C_g as docs/kpis.md defines S and C, its churn
    and retention rates, the churn rate's interval, and whether S_g is a small sample."""

    group: str
    S: int
    C: int
    churn_rate: float | None
    retention_rate: float | None
    interval: Interval | None
    low_sample: bool


class ChurnSplit(TypedDict):
    overall: ChurnGroup
    splits: dict[str, list[ChurnGroup]]
    min_sample: int


def _one_decimal_percent(share: float) -> float:
    return float(Decimal(str(round(100 * share, 9))).quantize(Decimal("0.1"), ROUND_HALF_UP))


def wilson(part: int, whole: int) -> Interval | None:
    """docs/kpis.md: the 95 % Wilson interval of the proportion part / whole, in percent.
    None over nothing, and when part exceeds whole (not a proportion: a churn count can hold
    customers who joined and left within the period)."""
    if not whole or not 0 <= part <= whole:
        return None
    z2 = WILSON_Z * WILSON_Z
    share = part / whole
    scale = 1 + z2 / whole
    centre = (share + z2 / (2 * whole)) / scale
    half = WILSON_Z * sqrt(share * (1 - share) / whole + z2 / (4 * whole * whole)) / scale
    return {
        "low": _one_decimal_percent(max(centre - half, 0.0)),
        "high": _one_decimal_percent(min(centre + half, 1.0)),
    }


def _churn_group(group: str, active: int, churned: int, min_sample: int) -> ChurnGroup:
    return {
        "group": group,
        "S": active,
        "C": churned,
        "churn_rate": percent(churned, active),
        # E_g − N_g = S_g − C_g, so churn + retention = 100 as for the whole desk.
        "retention_rate": percent(active - churned, active),
        "interval": wilson(churned, active),
        "low_sample": active < min_sample,
    }


def _latest_answers(score: str, before: datetime) -> RowQuerySet:
    """Each survey answer that gave `score` before `before`, with its customer (through its
    ticket: a merged ticket's answers stay its own customer's) and `recency` 1 for the
    customer's latest (the newer id first on a tie)."""
    latest_first = [F("answered_at").desc(), F("pk").desc()]
    answers: RowQuerySet = (
        SurveyResponse.objects.filter(Q(**{f"{score}__isnull": False}), answered_at__lt=before)
        .order_by()
        .values(
            person=F("ticket__customer_id"),
            score=F(score),
            recency=Window(
                RowNumber(), partition_by=[F("ticket__customer_id")], order_by=latest_first
            ),
        )
    )
    return answers


def _churn_combinations(period: Period) -> list[tuple[str, str, bool, bool, int, int]]:
    """(NPS group, CSAT group, escalated, breached, S, C) for every combination that has
    customers — one statement, each table read once: the customers active at the start or
    churned in the period, their latest NPS and CSAT answers before the start (a window
    function), and the escalations and SLA breaches of their tickets in the 90 days before
    it (merged tickets left out: they count only through their target)."""
    start, end = period.start_date, period.end_date
    moment = local_midnight(start)
    window_start = local_midnight(start - timedelta(days=OPERATIONAL_WINDOW_DAYS))
    active_at_start = Q(active_since__lt=start) & (
        Q(churned_at__isnull=True) | Q(churned_at__gte=start)
    )
    churned_in_period = Q(churned_at__gte=start, churned_at__lt=end)
    people: RowQuerySet = (
        Customer.objects.filter(active_at_start | churned_in_period)
        .order_by()
        .values(
            person=F("pk"),
            in_start=Case(When(active_at_start, then=1), default=0, output_field=IntegerField()),
            churned=Case(When(churned_in_period, then=1), default=0, output_field=IntegerField()),
        )
    )

    def flag(kind: str) -> Max:
        return Max(Case(When(kind=kind, then=1), default=0, output_field=IntegerField()))

    incidents: RowQuerySet = (
        TicketEvent.objects.filter(
            kind__in=(EventKind.ESCALATED, EventKind.SLA_BREACHED),
            at__gte=window_start,
            at__lt=moment,
        )
        .exclude(ticket__status=Status.MERGED)
        .order_by()
        .values(person=F("ticket__customer_id"))
        .annotate(escalated=flag(EventKind.ESCALATED), breached=flag(EventKind.SLA_BREACHED))
    )
    parts = [
        ("people", people),
        ("nps", _latest_answers("nps", moment)),
        ("csat", _latest_answers("csat", moment)),
        ("incidents", incidents),
    ]
    ctes: list[str] = []
    params: list[Any] = []
    for name, queryset in parts:
        inner_sql, inner_params = queryset.query.sql_with_params()
        ctes.append(f"{name} AS ({inner_sql})")
        params.extend(inner_params)
    # Django's own compiled queries; every value travels in `params`. The groups' bounds are
    # docs/kpis.md's: detractors 0–6, passives 7–8, promoters 9–10; satisfied CSAT ≥ 4.
    sql = f"""
        WITH {", ".join(ctes)}
        SELECT
            CASE WHEN nps.score IS NULL THEN 'not_surveyed'
                 WHEN nps.score <= 6 THEN 'detractor'
                 WHEN nps.score <= 8 THEN 'passive'
                 ELSE 'promoter' END,
            CASE WHEN csat.score IS NULL THEN 'not_surveyed'
                 WHEN csat.score >= 4 THEN 'satisfied'
                 ELSE 'unsatisfied' END,
            COALESCE(incidents.escalated, 0),
            COALESCE(incidents.breached, 0),
            SUM(people.in_start),
            SUM(people.churned)
        FROM people
        LEFT JOIN nps ON nps.person = people.person AND nps.recency = 1
        LEFT JOIN csat ON csat.person = people.person AND csat.recency = 1
        LEFT JOIN incidents ON incidents.person = people.person
        GROUP BY 1, 2, 3, 4"""  # noqa: S608
    with _reading_cursor() as cursor:
        cursor.execute(sql, params)
        return [
            (nps, csat, bool(escalated), bool(breached), int(active), int(churned))
            for nps, csat, escalated, breached, active, churned in cursor.fetchall()
        ]


def churn_split(period: Period) -> ChurnSplit:
    """docs/kpis.md, "Churn and experience": churn and retention of the customers split by
    their NPS group and their CSAT at the period's start (their latest answer before it),
    and by whether a ticket of theirs was escalated, or missed an SLA deadline, in the 90
    days before it. Each group has S_g and C_g as `customer_kpis` has S and C — so every
    split adds up to the desk's S and C — its churn rate with its 95 % Wilson interval, and
    `low_sample` when S_g is under KPI_MIN_SAMPLE. The period's ends are taken as dates in
    TIME_ZONE, as for S and C: "before the start" is before its local midnight."""
    min_sample = settings.KPI_MIN_SAMPLE
    counts = {split: {group: [0, 0] for group in groups} for split, groups in CHURN_SPLITS.items()}
    total = [0, 0]
    for nps, csat, escalated, breached, active, churned in _churn_combinations(period):
        groups = {
            "nps": nps,
            "csat": csat,
            "escalated": "escalated" if escalated else "not_escalated",
            "sla_breached": "breached" if breached else "not_breached",
        }
        for split, group in groups.items():
            counts[split][group][0] += active
            counts[split][group][1] += churned
        total[0] += active
        total[1] += churned
    return {
        "overall": _churn_group("all", total[0], total[1], min_sample),
        "splits": {
            split: [
                _churn_group(group, active, churned, min_sample)
                for group, (active, churned) in groups.items()
            ]
            for split, groups in counts.items()
        },
        "min_sample": min_sample,
    }


# --- the three shapes the API and the dashboard use -------------------------------------------


def summary(period: Period, filters: Filters = Filters()) -> KpiValues:
    """Every KPI for one period (the shape of `GET /api/v1/metrics/summary/`)."""
    with one_reading():
        return _summary(period, filters)


def _summary(period: Period, filters: Filters) -> KpiValues:
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
        "sla": created["sla"],
        "reopen_rate": resolved["reopen_rate"],
        "backlog": backlog(period.end, filters)[None],
        "churn_rate": customers["churn_rate"],
        "retention_rate": customers["retention_rate"],
        "customers": {k: customers[k] for k in ("S", "N", "C", "E")},
        # The exact parts of the rates above (their 95 % intervals need counts, not rounded
        # percentages: docs/kpis.md, "How sure a figure is").
        "counts": {
            "responses": surveys["responses"],
            "escalated": created["escalated"],
            "sla_first_response_met": created["sla_first_response_met"],
            "sla_resolution_met": created["sla_resolution_met"],
            "first_contact": resolved["first_contact"],
            "reopened": resolved["reopened"],
        },
    }


def _empty_created() -> KpiValues:
    return {
        "volume": 0,
        "escalated": 0,
        "escalation_rate": None,
        "frt": {**EMPTY_DURATION, "awaiting_first_response": 0},
        "sla": {
            "first_response_percent": None,
            "resolution_percent": None,
            "breached": 0,
            "first_response_count": 0,
            "resolution_count": 0,
        },
        "sla_first_response_met": 0,
        "sla_resolution_met": 0,
        "frt_sum_us": 0,
    }


def _empty_resolved() -> KpiValues:
    return {
        "resolved": 0,
        "fcr": {"percent": None, "resolved": 0},
        "reopen_rate": None,
        "art": dict(EMPTY_DURATION),
        "first_contact": 0,
        "reopened": 0,
        "art_sum_us": 0,
    }


# KPI name → (family, how to read its headline value from the family's values)
KPIS: dict[str, tuple[Family, Callable[[KpiValues], KpiValue]]] = {
    "csat": ("survey", lambda v: v["csat"]["percent"]),
    "csat_average": ("survey", lambda v: v["csat"]["average"]),
    "nps": ("survey", lambda v: v["nps"]["score"]),
    "ces": ("survey", lambda v: v["ces"]["average"]),
    "ces_percent_easy": ("survey", lambda v: v["ces"]["percent_easy"]),
    "response_rate": ("survey", lambda v: v["response_rate"]),
    "responses": ("survey", lambda v: v["responses"]),
    "volume": ("created", lambda v: v["volume"]),
    "escalation_rate": ("created", lambda v: v["escalation_rate"]),
    "sla_first_response": ("created", lambda v: v["sla"]["first_response_percent"]),
    "sla_resolution": ("created", lambda v: v["sla"]["resolution_percent"]),
    "sla_breached": ("created", lambda v: v["sla"]["breached"]),
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
_FAMILIES: dict[Family, Callable[[Period, Filters, Grouping | None], ByGroup]] = {
    "survey": survey_kpis,
    "created": created_kpis,
    "resolved": resolved_kpis,
}
_EMPTY: dict[Family, Callable[[], KpiValues]] = {
    "survey": empty_survey_kpis,
    "created": _empty_created,
    "resolved": _empty_resolved,
}


class SeriesPoint(TypedDict):
    """One bucket of `timeseries`: its first day (ISO), the KPI's value, the family's values."""

    bucket: str
    value: KpiValue
    detail: KpiValues


class BreakdownRow(TypedDict):
    """One group of `breakdown`: its key, the KPI's value, the family's values."""

    key: GroupKey
    value: KpiValue
    detail: KpiValues


class VolumeRow(TypedDict):
    key: GroupKey
    value: int


class DriverRow(TypedDict):
    """One value of a driver (`drivers`) and the scores of the answers that have it."""

    value: str | None
    responses: int
    csat: float | None
    nps: float | None
    ces: float | None
    # Each figure's own sample: the answers with that score (a question may go unanswered).
    csat_n: int
    nps_n: int
    ces_n: int


# A `by` value → each family's values for it (`many_breakdowns`).
FamiliesByGroup: TypeAlias = dict[GroupKey, dict[Family, KpiValues]]


def buckets(period: Period, interval: str) -> list[date]:
    """Every bucket start of the period in TIME_ZONE (days, ISO weeks from Monday, months)
    that the period touches; an end inside a day keeps that day's bucket."""
    first, last = period.start_date, period.end_date
    if period.end == local_midnight(last) and last > first:
        last -= timedelta(days=1)  # the end is exclusive: a midnight end adds no day
    day = first
    if interval == "week":
        day -= timedelta(days=day.weekday())
    elif interval == "month":
        day = day.replace(day=1)
    result = []
    while day <= last:
        result.append(day)
        day = next_bucket(day, interval)
    return result


def timeseries(
    kpi: str, interval: str, period: Period, filters: Filters = Filters()
) -> list[SeriesPoint]:
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


def breakdown(
    kpi: str, by: str, period: Period, filters: Filters = Filters()
) -> list[BreakdownRow]:
    """[{key, value, detail}] per team / agent / channel / category / priority."""
    family, read = KPIS[kpi]
    values = _FAMILIES[family](period, filters, Grouping(by=by))
    return [
        {"key": key, "value": read(detail), "detail": detail}
        for key, detail in sorted(values.items(), key=lambda kv: (kv[0] is None, str(kv[0])))
    ]


def volume_by(by: str, period: Period, filters: Filters = Filters()) -> list[VolumeRow]:
    """[{key, value}]: tickets created per team / agent / channel / category / priority —
    `breakdown("volume", by, …)` without its detail, for a chart of the counts alone (the
    detail's FRT percentiles and SLA counts cost far more than the counts)."""
    group = Grouping(by=by)
    grain = _rollup_grain(period, filters, group)
    rows: RowQuerySet
    if grain is not None:
        rows = _rollup_rows(CreatedRollup, grain, period, filters, group).annotate(
            volume=_total("volume")
        )
    else:
        rows = (
            _grouped(_created_in(period, filters), group, "created_at", on_tickets=True)
            .order_by()
            .annotate(volume=Count("*"))
        )
    volumes = {row["g"]: row["volume"] for row in rows}
    return [
        {"key": key, "value": volumes[key]}
        for key in sorted(volumes, key=lambda key: (key is None, str(key)))
    ]


def many_breakdowns(by: str, period: Period, filters: Filters = Filters()) -> FamiliesByGroup:
    """Every family at once per `by` value — the agent table and the drivers view use it."""
    merged: defaultdict[GroupKey, dict[Family, KpiValues]] = defaultdict(dict)
    with one_reading():
        for family, compute in _FAMILIES.items():
            for key, detail in compute(period, filters, Grouping(by=by)).items():
                merged[key][family] = detail
    for families in merged.values():
        for family in _FAMILIES:
            families.setdefault(family, _EMPTY[family]())
    return dict(merged)


# --- drivers: the why behind the survey scores ------------------------------------------------


def drivers(period: Period, filters: Filters = Filters()) -> dict[str, list[DriverRow]]:
    """CSAT %, NPS and CES of the period's answers split by operational facts of the same
    tickets — first-response bucket, escalated, reopened, public replies, channel, category.
    {fact: [{value, responses, csat, nps, ces}]}."""
    grain = _rollup_grain(period, filters, None, grains=DRIVER_GRAINS)
    if grain is None:
        rows_by_fact = _live_drivers(period, filters)
    else:
        rows_by_fact = _rollup_drivers(grain, period, filters)
    return {
        name: sorted(
            (
                {
                    "value": row["value"],
                    "responses": row["responses"],
                    "csat": percent(row["csat_good"], row["csat_n"]),
                    "nps": _nps(row["promoters"], row["detractors"], row["nps_n"]),
                    "ces": two_decimals(row["ces_sum"] / row["ces_n"]) if row["ces_n"] else None,
                    "csat_n": row["csat_n"],
                    "nps_n": row["nps_n"],
                    "ces_n": row["ces_n"],
                }
                for row in rows_by_fact.get(name, [])
            ),
            key=lambda item: str(item["value"]),
        )
        for name in DRIVER_NAMES
    }


def _driver_counts() -> dict[str, Aggregate]:
    """The measures of one group of answers, as `DRIVER_MEASURES` names them (the driver
    rollups keep the same per day: metrics/rollups.py)."""
    return {
        "responses": Count("*"),
        "csat_n": Count("csat"),
        "csat_good": Count("pk", filter=Q(csat__gte=4)),
        "nps_n": Count("nps"),
        "promoters": Count("pk", filter=Q(nps__gte=9)),
        "detractors": Count("pk", filter=Q(nps__lte=6)),
        "ces_n": Count("ces"),
        "ces_sum": Sum("ces"),
    }


def _live_drivers(period: Period, filters: Filters) -> dict[str, list[dict[str, Any]]]:
    """Every fact in one statement, the answers and their tickets read once: the answers
    counted per combination of every fact's value (a few thousand groups at most), then each
    fact's values summed from those combinations — what PostgreSQL's GROUPING SETS does,
    written so SQLite runs it too. Categories are grouped by id and named at the end (two
    categories of one name count together)."""
    combinations = _responses(period, filters)
    for name in DRIVER_NAMES:
        combinations, expression = driver_values(combinations, name, category_as="id")
        combinations = combinations.annotate(**{f"fact_{name}": expression})
    combinations = (
        combinations.values(*(f"fact_{name}" for name in DRIVER_NAMES))
        .order_by()
        .annotate(**_driver_counts())
    )
    inner_sql, params = combinations.query.sql_with_params()
    quote = connection.ops.quote_name
    sums = ", ".join(
        f"CAST(SUM(combinations.{quote(m)}) AS BIGINT) AS {quote(m)}" for m in DRIVER_MEASURES
    )
    category = quote(Category._meta.db_table)
    parts: list[str] = []
    for name in DRIVER_NAMES:  # constants of this module: safe as SQL literals
        value = quote(f"fact_{name}")
        if name == "category":
            parts.append(
                f"SELECT '{name}', category.name, {sums} FROM combinations "  # noqa: S608
                f"LEFT JOIN {category} AS category ON category.id = combinations.{value} "
                "GROUP BY category.name"
            )
        else:
            parts.append(
                f"SELECT '{name}', combinations.{value}, {sums} FROM combinations "  # noqa: S608
                f"GROUP BY combinations.{value}"
            )
    # inner_sql is Django's own compiled query; every value travels in `params`.
    sql = f"WITH combinations AS ({inner_sql}) " + " UNION ALL ".join(parts)  # noqa: S608
    result: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    with _reading_cursor() as cursor:
        cursor.execute(sql, params)
        for fact, value, *measures in cursor.fetchall():
            result[fact].append(
                {"value": value, **dict(zip(DRIVER_MEASURES, measures, strict=True))}
            )
    return result


def _rollup_drivers(
    grain: str, period: Period, filters: Filters
) -> dict[str, list[dict[str, Any]]]:
    """Every fact in one query over the driver rollups; category ids become names (two
    categories of one name count together, as live)."""
    rows: list[Row] = list(
        DriverRollup.objects.filter(
            _rollup_filter(filters),
            grain=grain,
            day__gte=period.start_date,
            day__lt=period.end_date,
        )
        .order_by()
        .values("fact", "value")
        .annotate(**{name: Sum(name) for name in DRIVER_MEASURES})
    )
    ids = {int(row["value"]) for row in rows if row["fact"] == "category" and row["value"]}
    names = dict(Category.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    merged: defaultdict[tuple[str, str | None], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(DRIVER_MEASURES, 0)
    )
    for row in rows:
        value = row["value"]
        if row["fact"] == "category" and value is not None:
            value = names.get(int(value))
        target = merged[(row["fact"], value)]
        for name in DRIVER_MEASURES:
            target[name] += row[name]
    result: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for (fact, value), measures in merged.items():
        result[fact].append({"value": value, **measures})
    return result


__all__ = [
    "Filters",
    "Grouping",
    "Period",
    "backlog",
    "breakdown",
    "churn_split",
    "customer_kpis",
    "drivers",
    "created_kpis",
    "many_breakdowns",
    "resolved_kpis",
    "summary",
    "survey_kpis",
    "timeseries",
    "volume_by",
]


# --- macros: what the tickets they were used on came to ---------------------------------------


class CsatOutcome(TypedDict):
    percent: float | None
    responses: int


class MacroRow(TypedDict):
    macro: int
    title: str
    uses: int
    resolved: int
    csat: CsatOutcome
    reopen_rate: float | None
    fcr: float | None


def macro_effectiveness(period: Period) -> list[MacroRow]:
    """docs/kpis.md: per macro used in the period (placed by the use's time) or on a ticket
    resolved in it, how often it was used, and the tickets resolved in the period on which
    it was used before their latest resolution — the CSAT % of their answers, their reopen
    rate and FCR, each with its sample. Most used first."""
    uses = dict(
        MacroUse.objects.filter(at__gte=period.start, at__lt=period.end)
        .values_list("macro")
        .annotate(n=Count("pk"))
        .values_list("macro", "n")
    )
    resolved_with = set(
        MacroUse.objects.filter(
            ticket__in=_resolved_in(period, Filters()).values("pk"),
            at__lte=F("ticket__resolved_at"),
        ).values_list("macro", flat=True)
    )
    rows: list[MacroRow] = []
    for macro in Macro.objects.filter(pk__in=set(uses) | resolved_with).order_by("title"):
        filters = Filters(macro=macro.pk)
        outcome = resolved_kpis(period, filters).get(None)
        answers = SurveyResponse.objects.filter(
            ticket__in=_resolved_in(period, filters).values("pk")
        ).aggregate(n=Count("csat"), good=Count("csat", filter=Q(csat__gte=4)))
        rows.append(
            {
                "macro": macro.pk,
                "title": macro.title,
                "uses": uses.get(macro.pk, 0),
                "resolved": outcome["resolved"] if outcome else 0,
                "csat": {
                    "percent": percent(answers["good"], answers["n"]),
                    "responses": answers["n"],
                },
                "reopen_rate": outcome["reopen_rate"] if outcome else None,
                "fcr": outcome["fcr"]["percent"] if outcome else None,
            }
        )
    rows.sort(key=lambda row: (-row["uses"], row["title"]))
    return rows
