"""What the KPI engine (`kpis.py`) and the rollups that pre-count it (`rollups.py`) both
count by: the desk's time zone and local days, which statuses close a ticket, durations in
seconds, the SLA clocks and the operational facts behind the survey scores (the drivers).

Stated once here so that a rollup and the live query it stands in for cannot drift apart,
and so that neither module imports the other: `kpis` reads the rollups, `rollups` is built
from these definitions alone.
"""

from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any, TypeAlias
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Case, CharField, F, FloatField, Func, Q, QuerySet, Value, When
from django.db.models.sql.compiler import SQLCompiler

from cases.models import Status
from surveys.models import SurveyResponse

# What an expression compiles to: the SQL and its parameters.
CompiledSql: TypeAlias = tuple[str, tuple[str | int, ...]]
# The value of one driver for an answer: a bucket (Case) or a column of its ticket (F).
DriverExpression: TypeAlias = Case | F

CLOSED_STATUSES = (Status.RESOLVED, Status.CLOSED)


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone())


class SecondsBetween(Func):
    """`end - start` in seconds, as a float, on PostgreSQL and SQLite."""

    output_field = FloatField()
    arity = 2

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> CompiledSql:
        return self.as_sql(
            compiler, connection, template="EXTRACT(EPOCH FROM (%(expressions)s))", arg_joiner=" - "
        )

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> CompiledSql:
        return self.as_sql(
            compiler,
            connection,
            # julianday() is a float of days: round to the millisecond so 1 s is 1.0 s.
            template="ROUND((julianday(%(expressions)s)) * 86400.0, 3)",
            arg_joiner=") - julianday(",
        )


def _sla_clocks() -> dict[str, tuple[Q, Q]]:
    """docs/kpis.md's SLA compliance, over tickets that had a policy: a clock counts once decided —
    answered / resolved, or marked breached by the check — and is met when done by its due
    time (and never marked breached, for the resolution). {clock: (decided, met)}."""
    closed = Q(status__in=CLOSED_STATUSES)
    first_decided = Q(first_response_due_at__isnull=False) & (
        Q(first_response_at__isnull=False) | Q(first_response_breached_at__isnull=False)
    )
    first_met = Q(first_response_at__lte=F("first_response_due_at"))
    resolution_decided = Q(resolution_due_at__isnull=False) & (
        closed | Q(resolution_breached_at__isnull=False)
    )
    resolution_met = (
        closed & Q(resolved_at__lte=F("resolution_due_at")) & Q(resolution_breached_at__isnull=True)
    )
    return {"first": (first_decided, first_met), "resolution": (resolution_decided, resolution_met)}


SLA_CLOCKS = _sla_clocks()


# --- drivers: the operational facts behind the survey scores ---------------------------------

FRT_BUCKETS = (("lt_1h", 0, 3600), ("1_4h", 3600, 4 * 3600), ("4_24h", 4 * 3600, 86400))


def _frt_bucket() -> tuple[SecondsBetween, Case]:
    """(the first response time in seconds, its bucket: the expression refers to the
    annotation `frt_seconds`)."""
    frt = SecondsBetween(F("ticket__first_response_at"), F("ticket__created_at"))
    whens = [When(ticket__first_response_at__isnull=True, then=Value("none"))]
    whens += [
        When(Q(frt_seconds__gte=low, frt_seconds__lt=high), then=Value(name))
        for name, low, high in FRT_BUCKETS
    ]
    return frt, Case(*whens, default=Value("gte_24h"), output_field=CharField())


DRIVERS: dict[str, Callable[[], DriverExpression]] = {
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
DRIVER_MEASURES = (
    "responses",
    "csat_n",
    "csat_good",
    "nps_n",
    "promoters",
    "detractors",
    "ces_n",
    "ces_sum",
)


def driver_values(
    responses: QuerySet[SurveyResponse], name: str, category_as: str = "name"
) -> tuple[QuerySet[SurveyResponse], DriverExpression]:
    """(responses ready to annotate, the expression of the fact's value). The rollups keep
    the category's id (`category_as="id"`) and name it when read, so a renamed category
    shows its new name."""
    if name == "frt":
        seconds, expression = _frt_bucket()
        return responses.annotate(frt_seconds=seconds), expression
    if name == "category" and category_as == "id":
        return responses, F("ticket__category_id")
    return responses, DRIVERS[name]()
