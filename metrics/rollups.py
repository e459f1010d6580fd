"""The KPI rollups: per-day aggregates the engine reads instead of scanning a year of tickets.

Kept incrementally. Every save of a ticket, survey answer or invitation writes a
`RollupChange` in the same transaction (metrics/receivers.py); `refresh()` takes the
pending changes, rewrites the `TicketFact` of each changed ticket, and recomputes every
rollup of every day the change touched — the days the ticket was counted on before
(from its old fact) and after (from its new one), and the days of its survey answers and
invitations. The beat runs `refresh()` every minute; the engine runs it too, before it
reads, when a few changes are pending, so a figure never lags the tickets
(`ensure_fresh()`). Until `rebuild()` has run once the engine reads live.

Every rollup is computed with the engine's own expressions (`metrics/definitions.py`:
seconds between two moments, the drivers' buckets, local days in TIME_ZONE), and tests
check rollup answers against live answers and against a plain-Python reference
(tests/metrics/).
"""

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypeAlias, TypeVar

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    Expression,
    ExpressionWrapper,
    F,
    Model,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Round, TruncDate
from django.utils import timezone

from cases.models import Status, Ticket
from surveys.models import SurveyInvitation, SurveyResponse

from .definitions import (
    CLOSED_STATUSES,
    DRIVER_NAMES,
    SLA_CLOCKS,
    SecondsBetween,
    driver_values,
    local_midnight,
    zone,
)
from .models import (
    DIMENSION_COLUMNS,
    DRIVER_GRAINS,
    DURATION_BUCKETS,
    GRAINS,
    SCORES,
    CreatedRollup,
    DriverRollup,
    ResolvedRollup,
    RollupChange,
    RollupState,
    SentRollup,
    SurveyRollup,
    TicketFact,
    grain_key,
)

log = logging.getLogger(__name__)

_T = TypeVar("_T")
_M = TypeVar("_M", bound=Model)
# A column or an expression to select or group by (a local day, a dimension, a driver's value).
Selected: TypeAlias = Expression | F
# Aggregates by the name of the rollup column they fill (without the `m_` alias prefix).
Measures: TypeAlias = Mapping[str, Expression]
# The rows of one INSERT … SELECT part: `.values()` of the aliased keys and measures.
ValuesQuerySet: TypeAlias = QuerySet[Any, dict[str, Any]]

# Above this many pending changes a reader does not wait for the refresh: it reads live and
# leaves the work to the beat (a bulk import, say).
SYNC_REFRESH_LIMIT = 2000
CLOSED = [str(status) for status in CLOSED_STATUSES]


# --- marking changes (metrics/receivers.py) ---------------------------------------------------


def enabled() -> bool:
    return getattr(settings, "METRICS_ROLLUPS", True)


def mark_ticket(ticket_id: int) -> None:
    if enabled():
        RollupChange.objects.create(ticket_id=ticket_id)


def mark_tickets(ticket_ids: Iterable[int]) -> None:
    """`mark_ticket` for many, in one statement (a customer merge moves them together)."""
    if enabled():
        RollupChange.objects.bulk_create(RollupChange(ticket_id=pk) for pk in ticket_ids)


def mark_day(moment: datetime | None) -> None:
    if enabled() and moment is not None:
        RollupChange.objects.create(day=timezone.localdate(moment, zone()))


# --- reading: are the rollups usable right now? -----------------------------------------------


def _built() -> QuerySet[RollupState]:
    """The state row if the rollups are built for the current TIME_ZONE's days."""
    return RollupState.objects.filter(pk=1, built_at__isnull=False, time_zone=settings.TIME_ZONE)


def is_built() -> bool:
    return _built().exists()


def ensure_fresh() -> bool:
    """True when the rollups are built and no change is pending (refreshing a few pending
    changes first). False means: read live."""
    if not enabled():
        return False
    state = (
        _built()
        .annotate(pending=Exists(RollupChange.objects.all()))
        .values_list("pending", flat=True)
        .first()
    )
    if state is None:
        return False
    if not state:
        return True
    if RollupChange.objects.count() > SYNC_REFRESH_LIMIT:
        return False
    try:
        refresh(wait=False)
    except DatabaseError:  # the beat holds the lock (or it timed out): this reading goes live
        log.warning("KPI rollup refresh failed; reading live", exc_info=True)
        return False
    return not RollupChange.objects.exists()


# --- writing ----------------------------------------------------------------------------------


def _locked_state(wait: bool = True) -> RollupState:
    """The state row, locked: one refresher at a time. A reader does not wait for the beat's
    rebuild (minutes on a large desk): `wait=False` fails at once instead."""
    RollupState.objects.get_or_create(pk=1)
    return RollupState.objects.select_for_update(nowait=not wait).get(pk=1)


def rebuild() -> dict[str, int]:
    """Recompute every fact and every rollup from the tickets and surveys (the first build,
    or after a bulk load that bypassed the services)."""
    with transaction.atomic():
        state = _locked_state()
        seen = list(RollupChange.objects.values_list("pk", flat=True))
        TicketFact.objects.all().delete()
        _insert_facts(Ticket.objects.all())
        for model in (CreatedRollup, ResolvedRollup, SurveyRollup, SentRollup, DriverRollup):
            model.objects.all().delete()
        _insert_rollups(days=None)
        _delete_changes(seen)
        state.built_at = state.refreshed_at = timezone.now()
        state.time_zone = settings.TIME_ZONE
        state.save()
    _vacuum()
    return _counts()


def _vacuum() -> None:
    """After a bulk rewrite, PostgreSQL needs fresh statistics to plan the readings and a
    visibility map for the percentile walk's index-only scans (VACUUM cannot run inside a
    transaction: skipped there, autovacuum catches up)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    tables = [TicketFact, CreatedRollup, ResolvedRollup, SurveyRollup, SentRollup, DriverRollup]
    with connection.cursor() as cursor:
        for model in tables:
            cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")


def refresh(limit: int | None = None, wait: bool = True) -> int:
    """Apply pending changes (at most `limit` of them); returns how many were applied."""
    with transaction.atomic():
        state = _locked_state(wait)
        if state.built_at is None or state.time_zone != settings.TIME_ZONE:
            return 0
        changes = list(RollupChange.objects.order_by("pk").values_list("pk", "ticket_id", "day"))
        if limit is not None:
            changes = changes[:limit]
        if not changes:
            return 0
        tickets = {ticket for _, ticket, _ in changes if ticket is not None}
        days = {day for _, _, day in changes if day is not None}
        days |= _fact_days(tickets)  # where the tickets were counted until now
        TicketFact.objects.filter(ticket_id__in=tickets).delete()
        _insert_facts(Ticket.objects.filter(pk__in=tickets))
        days |= _fact_days(tickets)  # … and where they count now
        days |= _survey_days(tickets)
        _delete_rollups(days)
        _insert_rollups(days)
        _delete_changes([pk for pk, _, _ in changes])
        state.refreshed_at = timezone.now()
        state.save(update_fields=["refreshed_at"])
    return len(changes)


def _counts() -> dict[str, int]:
    return {
        "facts": TicketFact.objects.count(),
        **{
            model._meta.model_name: model.objects.count()  # type: ignore[misc]  # never None on a model
            for model in (CreatedRollup, ResolvedRollup, SurveyRollup, SentRollup, DriverRollup)
        },
    }


def _chunks(values: list[_T], size: int = 500) -> Iterator[list[_T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _delete_changes(pks: list[int]) -> None:
    for chunk in _chunks(pks):
        RollupChange.objects.filter(pk__in=chunk).delete()


def _fact_days(tickets: set[int]) -> set[date]:
    days = set()
    for chunk in _chunks(sorted(tickets)):
        for created, resolved in TicketFact.objects.filter(ticket_id__in=chunk).values_list(
            "created_day", "resolved_day"
        ):
            days.add(created)
            if resolved is not None:
                days.add(resolved)
    return days


def _survey_days(tickets: set[int]) -> set[date]:
    days = set()
    for chunk in _chunks(sorted(tickets)):
        for model, field in ((SurveyResponse, "answered_at"), (SurveyInvitation, "sent_at")):
            moments = model.objects.filter(ticket_id__in=chunk, **{f"{field}__isnull": False})
            days |= {timezone.localdate(m, zone()) for m in moments.values_list(field, flat=True)}
    return days


def _delete_rollups(days: set[date]) -> None:
    for model in (CreatedRollup, ResolvedRollup, SurveyRollup, SentRollup, DriverRollup):
        for chunk in _chunks(sorted(days)):
            model.objects.filter(day__in=chunk).delete()


def _moments_on(field: str, days: Iterable[date]) -> Q:
    """`field` falls on one of `days` (local), as ranges an index can use."""
    q = Q()
    for first, last in _runs(sorted(days)):
        q |= Q(
            **{
                f"{field}__gte": local_midnight(first),
                f"{field}__lt": local_midnight(last + timedelta(days=1)),
            }
        )
    return q


def _runs(days: list[date]) -> Iterator[tuple[date, date]]:
    """Consecutive days as (first, last) pairs."""
    start: date | None = None
    previous: date | None = None  # set together with `start`
    for day in days:
        if start is None or previous is None:
            start = previous = day
        elif day == previous + timedelta(days=1):
            previous = day
        else:
            yield start, previous
            start = previous = day
    if start is not None and previous is not None:
        yield start, previous


# --- SQL: INSERT … SELECT from the engine's own expressions -----------------------------------


def _bucket_case(column: str) -> str:
    whens = " ".join(
        f"WHEN {column} < {upper} THEN {index}" for index, upper in enumerate(DURATION_BUCKETS[1:])
    )
    return f"CASE WHEN {column} IS NULL THEN NULL {whens} ELSE {len(DURATION_BUCKETS) - 1} END"


FACT_COLUMNS = [
    "ticket_id",
    "created_day",
    "resolved_day",
    "team_id",
    "agent_id",
    "channel",
    "category_id",
    "priority",
    "escalated",
    "reopened",
    "first_contact",
    "sla_first",
    "sla_resolution",
    "frt_seconds",
    "art_seconds",
]


# What each FACT_COLUMNS column is selected from (a Ticket field or an annotation below).
FACT_SOURCES = [
    "id",
    "f_created_day",
    "f_resolved_day",
    "team_id",
    "assignee_id",
    "channel",
    "category_id",
    "priority",
    "f_escalated",
    "f_reopened",
    "f_first_contact",
    "f_sla_first",
    "f_sla_resolution",
    "f_frt",
    "f_art",
]


def _sla_clock(clock: tuple[Q, Q]) -> Case:
    """True met, False missed, NULL without a policy or not decided yet (SLA_CLOCKS)."""
    decided, met = clock
    return Case(
        When(decided & met, then=Value(True)),
        When(decided, then=Value(False)),
        default=Value(None),
        output_field=BooleanField(null=True),
    )


def _insert_facts(tickets: QuerySet[Ticket]) -> None:
    """One fact per ticket — none for a merged one, which counts only through its target
    (docs/kpis.md)."""
    closed = Q(status__in=CLOSED)
    facts = (
        tickets.exclude(status=Status.MERGED)
        .order_by()
        .annotate(
            f_created_day=TruncDate("created_at", tzinfo=zone()),
            f_resolved_day=Case(
                When(closed, then=TruncDate("resolved_at", tzinfo=zone())), default=None
            ),
            f_escalated=ExpressionWrapper(Q(escalation_count__gt=0), BooleanField()),
            f_reopened=ExpressionWrapper(Q(reopen_count__gt=0), BooleanField()),
            f_first_contact=ExpressionWrapper(
                Q(escalation_count=0, reopen_count=0, public_agent_replies__lte=1),
                BooleanField(),
            ),
            f_sla_first=_sla_clock(SLA_CLOCKS["first"]),
            f_sla_resolution=_sla_clock(SLA_CLOCKS["resolution"]),
            f_frt=SecondsBetween(F("first_response_at"), F("created_at")),
            f_art=Case(
                When(closed, then=SecondsBetween(F("resolved_at"), F("created_at"))),
                default=None,
            ),
        )
        .values(*FACT_SOURCES)
    )
    sql, params = facts.query.sql_with_params()
    q = connection.ops.quote_name
    selected = ", ".join(f"t.{q(name)}" for name in FACT_SOURCES)
    columns = ", ".join(q(c) for c in [*FACT_COLUMNS, "frt_bucket", "art_bucket"])
    table = q(TicketFact._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {selected}, "  # noqa: S608
            f"{_bucket_case('t.' + q('f_frt'))}, {_bucket_case('t.' + q('f_art'))} "
            f"FROM ({sql}) AS t",
            params,
        )


def _dimension_values(grain: tuple[str, ...], sources: Mapping[str, str]) -> dict[str, Selected]:
    """k_<dimension> annotations: the source column for dimensions in the grain, NULL
    (meaning "all") for the others."""
    values: dict[str, Selected] = {}
    for dimension in DIMENSION_COLUMNS:
        field = CharField() if dimension in ("channel", "priority") else BigIntegerField()
        values[f"k_{dimension}"] = (
            F(sources[dimension]) if dimension in grain else Cast(Value(None), field)
        )
    return values


KEY_COLUMNS = ["grain", "day", "team_id", "agent_id", "channel", "category_id", "priority"]
KEY_ALIASES = ["k_grain", "k_day", *(f"k_{d}" for d in DIMENSION_COLUMNS)]
FACT_DIMENSIONS = {
    "team": "team_id",
    "agent": "agent_id",
    "channel": "channel",
    "category": "category_id",
    "priority": "priority",
}
SURVEY_DIMENSIONS = {
    "team": "team_id",
    "agent": "agent_id",
    "channel": "ticket__channel",
    "category": "ticket__category_id",
    "priority": "ticket__priority",
}


def _grouped(
    queryset: QuerySet[_M],
    day: Selected,
    grain: tuple[str, ...],
    sources: Mapping[str, str],
    measures: Measures,
    extra: Mapping[str, Selected] | None = None,
) -> ValuesQuerySet:
    keys = {
        "k_grain": Value(grain_key(grain), output_field=CharField()),
        "k_day": day,
        **_dimension_values(grain, sources),
        **(extra or {}),
    }
    grouped: ValuesQuerySet = (
        queryset.order_by()
        .annotate(**keys)
        .values(*keys)
        .annotate(**{f"m_{name}": expression for name, expression in measures.items()})
    )
    return grouped


def _histogram(kind: str) -> dict[str, Count]:
    return {
        f"{kind}_h{index:02d}": Count("pk", filter=Q(**{f"{kind}_bucket": index}))
        for index in range(len(DURATION_BUCKETS))
    }


def _microseconds(field: str) -> Coalesce:
    return Coalesce(Sum(Cast(Round(F(field) * 1_000_000), BigIntegerField())), 0)


def _insert_rollups(days: set[date] | None) -> None:
    """The rollups of `days` (None: of all history)."""
    if days is not None and not days:
        return
    facts = TicketFact.objects.all()
    created = facts if days is None else facts.filter(created_day__in=sorted(days))
    resolved = facts.filter(resolved_day__isnull=False)
    if days is not None:
        resolved = resolved.filter(resolved_day__in=sorted(days))
    responses = SurveyResponse.objects.all()
    invitations = SurveyInvitation.objects.filter(sent_at__isnull=False)
    if days is not None:
        responses = responses.filter(_moments_on("answered_at", days))
        invitations = invitations.filter(_moments_on("sent_at", days))

    _write(
        CreatedRollup,
        created,
        F("created_day"),
        FACT_DIMENSIONS,
        {
            "volume": Count("pk"),
            "escalated": Count("pk", filter=Q(escalated=True)),
            "awaiting": Count("pk", filter=Q(frt_seconds__isnull=True)),
            "frt_n": Count("frt_seconds"),
            "frt_sum_us": _microseconds("frt_seconds"),
            "sla_first_n": Count("sla_first"),
            "sla_first_met": Count("pk", filter=Q(sla_first=True)),
            "sla_resolution_n": Count("sla_resolution"),
            "sla_resolution_met": Count("pk", filter=Q(sla_resolution=True)),
            "sla_breached": Count("pk", filter=Q(sla_first=False) | Q(sla_resolution=False)),
            **_histogram("frt"),
        },
    )
    _write(
        ResolvedRollup,
        resolved,
        F("resolved_day"),
        FACT_DIMENSIONS,
        {
            "resolved": Count("pk"),
            "fcr": Count("pk", filter=Q(first_contact=True)),
            "reopened": Count("pk", filter=Q(reopened=True)),
            "art_n": Count("art_seconds"),
            "art_sum_us": _microseconds("art_seconds"),
            **_histogram("art"),
        },
    )
    answered_day = TruncDate("answered_at", tzinfo=zone())
    scores = {
        f"{question}_{score}": Count("pk", filter=Q(**{question: score}))
        for question, values in SCORES.items()
        for score in values
    }
    _write(
        SurveyRollup,
        responses,
        answered_day,
        SURVEY_DIMENSIONS,
        {
            "responses": Count("pk"),
            "csat_n": Count("csat"),
            "csat_sum": Coalesce(Sum("csat"), 0),
            "ces_n": Count("ces"),
            "ces_sum": Coalesce(Sum("ces"), 0),
            "nps_n": Count("nps"),
            **scores,
        },
    )
    _write(
        SentRollup,
        invitations,
        TruncDate("sent_at", tzinfo=zone()),
        SURVEY_DIMENSIONS,
        {"sent": Count("pk")},
    )
    driver_measures = {
        "responses": Count("pk"),
        "csat_n": Count("csat"),
        "csat_good": Count("pk", filter=Q(csat__gte=4)),
        "nps_n": Count("nps"),
        "promoters": Count("pk", filter=Q(nps__gte=9)),
        "detractors": Count("pk", filter=Q(nps__lte=6)),
        "ces_n": Count("ces"),
        "ces_sum": Coalesce(Sum("ces"), 0),
    }
    for fact in DRIVER_NAMES:
        queryset, value = driver_values(responses, fact, category_as="id")
        _write(
            DriverRollup,
            queryset,
            answered_day,
            SURVEY_DIMENSIONS,
            driver_measures,
            grains=DRIVER_GRAINS,
            extra={
                "k_fact": Value(fact, output_field=CharField()),
                "k_value": Cast(value, CharField()),
            },
        )


def _write(
    model: type[Model],
    queryset: QuerySet[_M],
    day: Selected,
    sources: Mapping[str, str],
    measures: Measures,
    grains: Sequence[tuple[str, ...]] = GRAINS,
    extra: Mapping[str, Selected] | None = None,
) -> None:
    extra = extra or {}
    columns = [*KEY_COLUMNS, *(name.removeprefix("k_") for name in extra), *measures]
    aliases = [*KEY_ALIASES, *extra, *(f"m_{name}" for name in measures)]
    selects = [
        _grouped(queryset, day, grain, sources, measures, extra).values(*aliases)
        for grain in grains
    ]
    _execute_insert_aliased(model, columns, aliases, selects)


def _execute_insert_aliased(
    model: type[Model], columns: list[str], aliases: list[str], selects: list[ValuesQuerySet]
) -> None:
    q = connection.ops.quote_name
    parts: list[str] = []
    params: list[Any] = []
    picked = ", ".join(q(alias) for alias in aliases)
    for number, queryset in enumerate(selects):
        sql, values = queryset.query.sql_with_params()
        parts.append(f"SELECT {picked} FROM ({sql}) AS part{number}")  # noqa: S608
        params.extend(values)
    table = q(model._meta.db_table)
    with connection.cursor() as cursor:
        # The parts are Django's own compiled queries; every value travels in `params`.
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(q(c) for c in columns)}) "  # noqa: S608
            + " UNION ALL ".join(parts),
            params,
        )
