"""Why a KPI moved (docs/kpis.md, "Why it moved").

The change of a rate or an average over items, R1 − R0, split over the values `i` of a
dimension into rate and mix terms that add up to it exactly:

    rate_i = w1_i · (r1_i − r0_i)        mix_i = (w1_i − w0_i) · (r0_i − R0)

`w_i` is the segment's share of the items (answers for survey KPIs, tickets otherwise: the
sample the breakdown reports), `r_i` its own figure. A segment absent before takes
`r0_i = R0`; one absent now has `w1_i = 0`. Counts (volume, resolved, responses) are
explained by each segment's change in count. Medians and p90 are explained through the mean
(`Explanation.measure` says "mean").

Every figure is read from the exact counts the KPI families return (met SLA clocks, first
contact resolutions, reopened tickets, durations summed in microseconds…), never from their
rounded percentages or means, so the terms add up to the change to float precision.

`explain_many` reads the counts of each KPI family its KPIs belong to (answers, tickets
created, tickets resolved: what `kpis.survey_kpis`, `created_kpis` and `resolved_kpis` count)
for both periods, overall and per dimension, at once: from fresh rollups one query per rollup
table; live one query per table and grouping; otherwise (periods that do not meet) the family
functions themselves, once per period and grouping. The dashboard explains all its cards for
the price of their families (tests/bench/bench_explain.py). Tags are not decomposed: a
ticket with several tags counts under each, so their shares do not add up to one.
"""

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When

from surveys.models import SurveyInvitation

from . import kpis
from .definitions import SecondsBetween
from .kpis import ByGroup, Family, Filters, Grouping, GroupKey, KpiValues, Period
from .models import SCORES as SCORE_RANGES
from .models import CreatedRollup, ResolvedRollup, SentRollup, SurveyRollup
from .presentation.labels import dimension_labels

# A family's values → (the sample n, the figure's exact total over it as a whole number of
# units: r = SCALES[kpi] · total / n).
Reader: TypeAlias = Callable[[KpiValues], tuple[int, int]]
Kind = Literal["rate", "mix", "volume"]

DECOMPOSED_DIMENSIONS = ("team", "agent", "channel", "category", "priority")
MICROSECONDS = 1_000_000


def _distribution_total(distribution: Mapping[int, int], scores: Sequence[int]) -> int:
    return sum(score * distribution.get(score, 0) for score in scores)


def _csat(v: KpiValues) -> tuple[int, int]:
    d = v["csat"]["distribution"]
    return v["csat"]["responses"], d[4] + d[5]


def _csat_average(v: KpiValues) -> tuple[int, int]:
    return v["csat"]["responses"], _distribution_total(v["csat"]["distribution"], range(1, 6))


def _nps(v: KpiValues) -> tuple[int, int]:
    nps = v["nps"]
    return nps["responses"], nps["promoters"] - nps["detractors"]


def _ces(v: KpiValues) -> tuple[int, int]:
    return v["ces"]["responses"], _distribution_total(v["ces"]["distribution"], range(1, 8))


def _ces_easy(v: KpiValues) -> tuple[int, int]:
    d = v["ces"]["distribution"]
    return v["ces"]["responses"], d[5] + d[6] + d[7]


def _response_rate(v: KpiValues) -> tuple[int, int]:
    return v["surveys_sent"], v["responses"]


def _escalation(v: KpiValues) -> tuple[int, int]:
    return v["volume"], v["escalated"]


def _sla(clock: str) -> Reader:
    def read(v: KpiValues) -> tuple[int, int]:
        return v["sla"][f"{clock}_count"], v[f"sla_{clock}_met"]

    return read


def _duration_mean(name: str) -> Reader:
    def read(v: KpiValues) -> tuple[int, int]:
        return v[name]["count"], v[f"{name}_sum_us"]

    return read


def _fcr(v: KpiValues) -> tuple[int, int]:
    return v["resolved"], v["first_contact"]


def _reopen(v: KpiValues) -> tuple[int, int]:
    return v["resolved"], v["reopened"]


# KPI → how to read its sample and exact total from a family's values. Rates and averages.
READERS: dict[str, Reader] = {
    "csat": _csat,
    "csat_average": _csat_average,
    "nps": _nps,
    "ces": _ces,
    "ces_percent_easy": _ces_easy,
    "response_rate": _response_rate,
    "escalation_rate": _escalation,
    "sla_first_response": _sla("first_response"),
    "sla_resolution": _sla("resolution"),
    "frt": _duration_mean("frt"),
    "frt_median": _duration_mean("frt"),
    "frt_p90": _duration_mean("frt"),
    "art": _duration_mean("art"),
    "art_median": _duration_mean("art"),
    "art_p90": _duration_mean("art"),
    "fcr": _fcr,
    "reopen_rate": _reopen,
}
# A figure per unit of a reader's total: percentages are 100 points per item, the averages
# of scores one point per point, durations one second per million microseconds.
SCALES: dict[str, float] = {
    **dict.fromkeys(READERS, 100.0),
    "csat_average": 1.0,
    "ces": 1.0,
    **{kpi: 1 / MICROSECONDS for kpi in READERS if kpi.startswith(("frt", "art"))},
}
# Counts: explained by each segment's change in count.
COUNTS: dict[str, Callable[[KpiValues], int]] = {
    "volume": lambda v: int(v["volume"]),
    "resolved": lambda v: int(v["resolved"]),
    "responses": lambda v: int(v["responses"]),
}
EXPLAINED_KPIS = (*READERS, *COUNTS)
# The manager dashboard's cards that carry an explanation (the backlog, churn and retention
# do not): what it passes to `explain_many`, and what tests/bench/bench_explain.py times.
DASHBOARD_KPIS = (
    "csat",
    "nps",
    "ces",
    "response_rate",
    "volume",
    "frt_median",
    "art_median",
    "fcr",
    "escalation_rate",
    "sla_first_response",
    "sla_resolution",
    "reopen_rate",
)
# The median and p90 are explained through the mean of the same durations.
MEASURED_BY_MEAN = ("frt_median", "frt_p90", "art_median", "art_p90")
FAMILY_FUNCTIONS: dict[Family, Callable[[Period, Filters, Grouping | None], ByGroup]] = {
    "survey": kpis.survey_kpis,
    "created": kpis.created_kpis,
    "resolved": kpis.resolved_kpis,
}


@dataclass(frozen=True)
class Segment:
    """One value of a dimension in both periods. `w` shares (0–1), `r` figures, `n` samples;
    for a count KPI only `n0`, `n1` and `total` (their difference) mean anything."""

    key: GroupKey
    label: str
    n0: int
    n1: int
    w0: float
    w1: float
    r0: float | None
    r1: float | None
    rate: float
    mix: float

    @property
    def total(self) -> float:
        return self.rate + self.mix


@dataclass(frozen=True)
class Contribution:
    dimension: str
    key: GroupKey
    label: str
    kind: Kind
    points: float


@dataclass(frozen=True)
class DimensionExplanation:
    dimension: str
    r0: float | None  # the figure as these segments add it up (= Explanation's, see below)
    r1: float | None
    segments: list[Segment] = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(segment.total for segment in self.segments)


@dataclass(frozen=True)
class Explanation:
    kpi: str
    measure: Literal["value", "mean", "count"]
    period: Period
    previous: Period
    r0: float | None
    r1: float | None
    dimensions: list[DimensionExplanation]
    contributions: list[Contribution]

    @property
    def change(self) -> float | None:
        if self.r0 is None or self.r1 is None:
            return None
        return self.r1 - self.r0


def _ratio(n: int, total: int, scale: float) -> float | None:
    return scale * total / n if n else None


def overall_figure(kpi: str, values: KpiValues | None) -> float | None:
    """The desk's figure R from a family's ungrouped values (None: nothing in the period),
    unrounded: a count, or SCALES[kpi] · total / n."""
    if kpi in COUNTS:
        return float(COUNTS[kpi](values)) if values else 0.0
    if not values:
        return None
    return _ratio(*READERS[kpi](values), SCALES[kpi])


def decompose(
    kpi: str,
    by: str,
    before: Mapping[GroupKey, KpiValues],
    now: Mapping[GroupKey, KpiValues],
    labels: Mapping[GroupKey, str] | None = None,
) -> DimensionExplanation:
    """The change of `kpi` over the values of dimension `by`: `before` and `now` are the
    family's values per value of `by` (a breakdown's), `labels` their names (default: the
    keys). Pure: no query.

    The response rate can meet a segment with answers but no survey sent in the period (sent
    the period before): it has no share (`w = 0`), yet its answers raise R. Its points
    (`total / N`) are then part of its rate term, so the terms still add up to R1 − R0."""
    keys = sorted(set(before) | set(now), key=lambda key: (key is None, str(key)))
    names = labels if labels is not None else {key: str(key) for key in keys}
    if kpi in COUNTS:
        count = COUNTS[kpi]
        segments = []
        for key in keys:
            n0 = count(before[key]) if key in before else 0
            n1 = count(now[key]) if key in now else 0
            segments.append(
                Segment(key, names[key], n0, n1, 0.0, 0.0, None, None, float(n1 - n0), 0.0)
            )
        total0 = sum(s.n0 for s in segments)
        total1 = sum(s.n1 for s in segments)
        return DimensionExplanation(by, float(total0), float(total1), segments)
    read, scale = READERS[kpi], SCALES[kpi]
    samples0 = {key: read(values) for key, values in before.items()}
    samples1 = {key: read(values) for key, values in now.items()}
    n0 = sum(n for n, _ in samples0.values())
    n1 = sum(n for n, _ in samples1.values())
    big_r0 = _ratio(n0, sum(t for _, t in samples0.values()), scale)
    big_r1 = _ratio(n1, sum(t for _, t in samples1.values()), scale)
    segments = []
    for key in keys:
        a, sum0 = samples0.get(key, (0, 0))
        b, sum1 = samples1.get(key, (0, 0))
        w0 = a / n0 if n0 else 0.0
        w1 = b / n1 if n1 else 0.0
        own0, own1 = _ratio(a, sum0, scale), _ratio(b, sum1, scale)
        rate = mix = 0.0
        if big_r0 is not None and big_r1 is not None:
            r0 = big_r0 if own0 is None else own0  # absent before: R0
            rate = w1 * ((own1 if own1 is not None else r0) - r0)  # absent now: w1 = 0
            mix = (w1 - w0) * (r0 - big_r0)
            # Points without items (answers to surveys sent the period before): all rate.
            if not b and sum1:
                rate += scale * sum1 / n1
            if not a and sum0:
                rate -= scale * sum0 / n0
        segments.append(Segment(key, names[key], a, b, w0, w1, own0, own1, rate, mix))
    return DimensionExplanation(by, big_r0, big_r1, segments)


def _check(kpi_names: Sequence[str], dimensions: Sequence[str]) -> None:
    unexplained = [kpi for kpi in kpi_names if kpi not in EXPLAINED_KPIS]
    if unexplained:
        raise ValueError(f"not explained: {', '.join(unexplained)}")
    unknown = [by for by in dimensions if by not in DECOMPOSED_DIMENSIONS]
    if unknown:
        raise ValueError(f"not decomposed: {', '.join(unknown)}")


def _contributions(kpi: str, explained: list[DimensionExplanation]) -> list[Contribution]:
    """Every non-zero term of every dimension, largest first."""
    contributions: list[Contribution] = []
    for dimension in explained:
        for segment in dimension.segments:
            terms: tuple[tuple[Kind, float], ...] = (
                (("volume", segment.rate),)
                if kpi in COUNTS
                else (("rate", segment.rate), ("mix", segment.mix))
            )
            contributions.extend(
                Contribution(dimension.dimension, segment.key, segment.label, kind, points)
                for kind, points in terms
                if points
            )
    contributions.sort(key=lambda c: (-abs(c.points), c.dimension, c.label, c.kind))
    return contributions


# What the readers need of each family, summed from the rollups (metrics/models.py's columns).
ROLLUP_MEASURES: dict[str, tuple[str, ...]] = {
    "survey": (
        "responses",
        "csat_n",
        "ces_n",
        "nps_n",
        *(f"{q}_{score}" for q, scores in SCORE_RANGES.items() for score in scores),
    ),
    "created": (
        "volume",
        "escalated",
        "sla_first_n",
        "sla_first_met",
        "sla_resolution_n",
        "sla_resolution_met",
        "frt_n",
        "frt_sum_us",
    ),
    "resolved": ("resolved", "fcr", "reopened", "art_n", "art_sum_us"),
}
ROLLUP_MODELS: dict[str, type[CreatedRollup] | type[ResolvedRollup] | type[SurveyRollup]] = {
    "survey": SurveyRollup,
    "created": CreatedRollup,
    "resolved": ResolvedRollup,
}


def _family_values(family: Family, row: Mapping[str, int], sent: int = 0) -> KpiValues:
    """The family's values that READERS and COUNTS read, from summed rollup measures (the
    shape `survey_kpis`, `created_kpis` and `resolved_kpis` return, less what they round)."""
    if family == "survey":
        csat = {s: row[f"csat_{s}"] for s in SCORE_RANGES["csat"]}
        nps = {s: row[f"nps_{s}"] for s in SCORE_RANGES["nps"]}
        ces = {s: row[f"ces_{s}"] for s in SCORE_RANGES["ces"]}
        return {
            "responses": row["responses"],
            "surveys_sent": sent,
            "csat": {"responses": row["csat_n"], "distribution": csat},
            "nps": {
                "responses": row["nps_n"],
                "promoters": nps[9] + nps[10],
                "detractors": sum(nps[s] for s in range(0, 7)),
                "distribution": nps,
            },
            "ces": {"responses": row["ces_n"], "distribution": ces},
        }
    if family == "created":
        return {
            "volume": row["volume"],
            "escalated": row["escalated"],
            "sla": {
                "first_response_count": row["sla_first_n"],
                "resolution_count": row["sla_resolution_n"],
            },
            "sla_first_response_met": row["sla_first_met"],
            "sla_resolution_met": row["sla_resolution_met"],
            "frt": {"count": row["frt_n"]},
            "frt_sum_us": row["frt_sum_us"],
        }
    return {
        "resolved": row["resolved"],
        "first_contact": row["fcr"],
        "reopened": row["reopened"],
        "art": {"count": row["art_n"]},
        "art_sum_us": row["art_sum_us"],
    }


# (family, 0 for the previous period or 1 for the period, a dimension or None) → values by key
FamilyReadings: TypeAlias = dict[tuple[Family, int, str | None], ByGroup]
# (0 or 1, a dimension or None) → key → summed rollup measures
Totals: TypeAlias = dict[tuple[int, str | None], dict[GroupKey, Counter[str]]]


def _rollup_grains(
    periods: tuple[Period, Period], filters: Filters, dimensions: Sequence[str]
) -> dict[str, list[str | None]] | None:
    """grain → the dimensions (None: ungrouped) it answers, when the rollups can answer the
    explanation of these periods and filters; None otherwise."""
    before, now = periods
    if before.end > now.start and now.end > before.start:
        return None
    grains: dict[str, list[str | None]] = {}
    for by in (None, *dimensions):
        group = Grouping(by=by) if by else None
        found = {kpis._rollup_grain(period, filters, group) for period in periods}
        grain = found.pop()
        if found or grain is None:
            return None
        grains.setdefault(grain, []).append(by)
    return grains


def reads_rollups(
    period: Period,
    filters: Filters,
    previous: Period | None = None,
    dimensions: Sequence[str] = DECOMPOSED_DIMENSIONS,
) -> bool:
    """Whether `explain_many` would read the rollups (a few queries whatever the desk's size)
    rather than the tickets (a cost that grows with them)."""
    with kpis.one_reading():
        return (
            _rollup_grains((previous or period.previous(), period), filters, dimensions) is not None
        )


def _from_rollups(
    families: Sequence[Family],
    periods: tuple[Period, Period],
    filters: Filters,
    dimensions: Sequence[str],
) -> FamilyReadings | None:
    """Every family's values per period, ungrouped and per dimension, in one query per rollup
    table: the rows of each grain needed (one per dimension, one ungrouped) of both periods'
    days, summed per grain, dimension values and period. None when the rollups cannot answer
    (not fresh, a period not in whole days, a filter they do not keep, periods that
    overlap): explain_many then reads live."""
    before, now = periods
    grains = _rollup_grains(periods, filters, dimensions)
    if grains is None:
        return None
    days = Q()
    for period in periods:
        days |= Q(day__gte=period.start_date, day__lt=period.end_date)
    in_now = Case(
        When(day__gte=now.start_date, day__lt=now.end_date, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    columns = ("grain", *kpis.FILTER_COLUMNS.values(), "p")

    def sums(model: kpis.DayRollup, measures: Sequence[str]) -> list[dict[str, Any]]:
        rows: QuerySet[Any, dict[str, Any]] = (
            model.objects.filter(kpis._rollup_filter(filters), days, grain__in=list(grains))
            .order_by()
            .annotate(p=in_now)
            .values(*columns)
            .annotate(**{name: kpis._total(name) for name in measures})
        )
        return list(rows)

    def spread(rows: list[dict[str, Any]]) -> Totals:
        totals: Totals = {}
        for row in rows:
            for by in grains[row["grain"]]:
                key = row[kpis.FILTER_COLUMNS[by]] if by else None
                groups = totals.setdefault((row["p"], by), {})
                groups.setdefault(key, Counter()).update(
                    {name: row[name] for name in row if name not in columns}
                )
        return totals

    result: FamilyReadings = {}
    for family in families:
        totals = spread(sums(ROLLUP_MODELS[family], ROLLUP_MEASURES[family]))
        sent = spread(sums(SentRollup, ("sent",))) if family == "survey" else {}
        for index in (0, 1):
            for by in (None, *dimensions):
                measured = totals.get((index, by), {})
                sent_by_key = {
                    key: counter["sent"] for key, counter in sent.get((index, by), {}).items()
                }
                empty: Counter[str] = Counter()
                result[family, index, by] = {
                    key: _family_values(family, measured.get(key, empty), sent_by_key.get(key, 0))
                    for key in measured.keys() | sent_by_key.keys()
                }
    return result


def _live_sums(family: Family, span: Period, filters: Filters) -> list[tuple[Any, str, str]]:
    """(the rows of `family` over `span`, the moment that places them, the rows' table:
    tickets or answers) — the sets the family functions count (merged tickets only through
    their target, the latest resolution, answers and invitations by their attribution)."""
    if family == "survey":
        return [
            (kpis._responses(span, filters), "answered_at", "answers"),
            (
                SurveyInvitation.objects.filter(
                    filters.invitations(), sent_at__gte=span.start, sent_at__lt=span.end
                ),
                "sent_at",
                "sent",
            ),
        ]
    if family == "created":
        return [(kpis._created_in(span, filters), "created_at", "tickets")]
    return [(kpis._resolved_in(span, filters), "resolved_at", "tickets")]


def _live_measures(family: Family, table: str) -> dict[str, Any]:
    """The aggregates of ROLLUP_MEASURES computed over the tickets or answers themselves."""
    if table == "sent":
        return {"sent": Count("*")}
    if family == "survey":
        return {
            "responses": Count("*"),
            "csat_n": Count("csat"),
            "ces_n": Count("ces"),
            "nps_n": Count("nps"),
            **{
                f"{q}_{score}": Count("pk", filter=Q(**{q: score}))
                for q, scores in SCORE_RANGES.items()
                for score in scores
            },
        }
    if family == "created":
        frt = SecondsBetween(F("first_response_at"), F("created_at"))
        return {
            "volume": Count("*"),
            "escalated": Count("pk", filter=Q(escalation_count__gt=0)),
            **kpis._sla_counts_live(),
            "frt_n": Count(frt),
            "frt_sum_us": kpis._microseconds_total(frt),
        }
    art = SecondsBetween(F("resolved_at"), F("created_at"))
    return {
        "resolved": Count("*"),
        "fcr": Count(
            "pk", filter=Q(escalation_count=0, reopen_count=0, public_agent_replies__lte=1)
        ),
        "reopened": Count("pk", filter=Q(reopen_count__gt=0)),
        "art_n": Count(art),
        "art_sum_us": kpis._microseconds_total(art),
    }


def _from_tickets(
    families: Sequence[Family],
    periods: tuple[Period, Period],
    filters: Filters,
    dimensions: Sequence[str],
) -> FamilyReadings | None:
    """Every family's values per period, ungrouped and per dimension, read live: one query
    per table and grouping for both periods (the previous one must end where the period
    starts), counts and sums only (an explanation needs no percentile). None otherwise."""
    before, now = periods
    if before.end != now.start:
        return None
    span = Period(before.start, now.end)
    result: FamilyReadings = {}
    for family in families:
        for by in (None, *dimensions):
            group = Grouping(by=by) if by else None
            totals: dict[int, dict[GroupKey, Counter[str]]] = {0: {}, 1: {}}
            for rows, moment, table in _live_sums(family, span, filters):
                grouped: QuerySet[Any, dict[str, Any]] = (
                    rows.order_by()
                    .annotate(
                        g=group.expression(moment, on_tickets=table == "tickets")
                        if group
                        else Value(None, output_field=IntegerField()),
                        p=Case(
                            When(**{f"{moment}__gte": now.start}, then=Value(1)),
                            default=Value(0),
                            output_field=IntegerField(),
                        ),
                    )
                    .values("g", "p")
                    .annotate(**_live_measures(family, table))
                )
                for row in grouped:
                    counter = totals[row["p"]].setdefault(row.pop("g"), Counter())
                    row.pop("p")
                    counter.update(row)
            for index in (0, 1):
                result[family, index, by] = {
                    key: _family_values(family, counter, counter["sent"])
                    for key, counter in totals[index].items()
                }
    return result


def _from_families(
    families: Sequence[Family],
    periods: tuple[Period, Period],
    filters: Filters,
    dimensions: Sequence[str],
) -> FamilyReadings:
    """Every family's values per period, ungrouped and per dimension, as the family
    functions compute them (live, or from the rollups for what they alone can answer)."""
    result: FamilyReadings = {}
    for family in families:
        compute = FAMILY_FUNCTIONS[family]
        for index, period in enumerate(periods):
            result[family, index, None] = compute(period, filters, None)
            for by in dimensions:
                result[family, index, by] = compute(period, filters, Grouping(by=by))
    return result


def explain_many(
    kpi_names: Sequence[str],
    period: Period,
    filters: Filters | None = None,
    previous: Period | None = None,
    dimensions: Sequence[str] = DECOMPOSED_DIMENSIONS,
) -> dict[str, Explanation]:
    """{kpi: its Explanation} for several KPIs at once (the dashboard's cards): each family
    the KPIs belong to is asked once per period ungrouped and once per period and dimension,
    and each dimension's labels once, however many KPIs share them — in one reading (the
    rollups' freshness checked once)."""
    _check(kpi_names, dimensions)
    filters = filters or Filters()
    before_period = previous or period.previous()
    families: list[Family] = sorted({kpis.KPIS[kpi][0] for kpi in kpi_names})
    periods = (before_period, period)
    with kpis.one_reading():
        readings = _from_rollups(families, periods, filters, dimensions)
        if readings is None:
            readings = _from_tickets(families, periods, filters, dimensions)
        if readings is None:
            readings = _from_families(families, periods, filters, dimensions)
        labels = {
            by: dimension_labels(
                by, {key for (_, _, d), values in readings.items() if d == by for key in values}
            )
            for by in dimensions
        }
    result: dict[str, Explanation] = {}
    for kpi in kpi_names:
        family = kpis.KPIS[kpi][0]
        explained = [
            decompose(kpi, by, readings[family, 0, by], readings[family, 1, by], labels[by])
            for by in dimensions
        ]
        measure: Literal["value", "mean", "count"] = (
            "count" if kpi in COUNTS else "mean" if kpi in MEASURED_BY_MEAN else "value"
        )
        result[kpi] = Explanation(
            kpi,
            measure,
            period,
            before_period,
            overall_figure(kpi, readings[family, 0, None].get(None)),
            overall_figure(kpi, readings[family, 1, None].get(None)),
            explained,
            _contributions(kpi, explained),
        )
    return result


def explain(
    kpi: str,
    period: Period,
    filters: Filters | None = None,
    previous: Period | None = None,
    dimensions: Sequence[str] = DECOMPOSED_DIMENSIONS,
) -> Explanation:
    """The change of `kpi` from `previous` (default: the period of equal length just before,
    as the dashboard's cards compare) to `period`, per dimension and ranked across them."""
    if kpi not in EXPLAINED_KPIS:
        raise ValueError(f"{kpi} is not explained")
    return explain_many([kpi], period, filters, previous, dimensions)[kpi]
