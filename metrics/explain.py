"""Why a KPI moved (docs/kpis.md, "Why it moved").

The change of a rate or an average over items, R1 − R0, split over the values `i` of a
dimension into rate and mix terms that add up to it exactly:

    rate_i = w1_i · (r1_i − r0_i)        mix_i = (w1_i − w0_i) · (r0_i − R0)

`w_i` is the segment's share of the items (answers for survey KPIs, tickets otherwise: the
sample the breakdown reports), `r_i` its own figure. A segment absent before takes
`r0_i = R0`; one absent now has `w1_i = 0`. Counts (volume, resolved, responses) are
explained by each segment's change in count. Medians and p90 are explained through the mean
(`Explanation.measure` says "mean").

Everything is read from `kpis.breakdown` (rollups or live, as it chooses) and the family's
ungrouped values; nothing here queries the tickets itself. Tags are not decomposed: a ticket
with several tags counts under each, so their shares do not add up to one.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from . import kpis
from .kpis import Filters, GroupKey, KpiValues, Period
from .presentation.labels import dimension_labels

# A family's values → (the sample n, the sum of the figure over it: r = total / n).
Reader: TypeAlias = Callable[[KpiValues], tuple[int, float]]
Kind = Literal["rate", "mix", "volume"]

DECOMPOSED_DIMENSIONS = ("team", "agent", "channel", "category", "priority")


def _share_of(part: int) -> float:
    """A percentage's numerator, kept as a sum of points over the sample (100 per item)."""
    return 100.0 * part


def _percent_total(percent: float | None, n: int) -> float:
    """An engine percentage (one decimal) back to its sum of points over n items."""
    return 0.0 if percent is None else percent * n


def _mean_total(mean: float | None, n: int) -> float:
    return 0.0 if mean is None else float(mean) * n


def _distribution_total(distribution: dict[int, int], scores: Sequence[int]) -> float:
    return float(sum(score * distribution.get(score, 0) for score in scores))


def _csat(v: KpiValues) -> tuple[int, float]:
    d, n = v["csat"]["distribution"], v["csat"]["responses"]
    return n, _share_of(d[4] + d[5])


def _csat_average(v: KpiValues) -> tuple[int, float]:
    return v["csat"]["responses"], _distribution_total(v["csat"]["distribution"], range(1, 6))


def _nps(v: KpiValues) -> tuple[int, float]:
    nps = v["nps"]
    return nps["responses"], 100.0 * (nps["promoters"] - nps["detractors"])


def _ces(v: KpiValues) -> tuple[int, float]:
    return v["ces"]["responses"], _distribution_total(v["ces"]["distribution"], range(1, 8))


def _ces_easy(v: KpiValues) -> tuple[int, float]:
    d, n = v["ces"]["distribution"], v["ces"]["responses"]
    return n, _share_of(d[5] + d[6] + d[7])


def _response_rate(v: KpiValues) -> tuple[int, float]:
    return v["surveys_sent"], 100.0 * v["responses"]


def _escalation(v: KpiValues) -> tuple[int, float]:
    return v["volume"], 100.0 * v["escalated"]


def _sla(clock: str) -> Reader:
    def read(v: KpiValues) -> tuple[int, float]:
        n = v["sla"][f"{clock}_count"]
        return n, _percent_total(v["sla"][f"{clock}_percent"], n)

    return read


def _duration_mean(name: str) -> Reader:
    def read(v: KpiValues) -> tuple[int, float]:
        n = v[name]["count"]
        return n, _mean_total(v[name]["mean"], n)

    return read


def _fcr(v: KpiValues) -> tuple[int, float]:
    return v["resolved"], _percent_total(v["fcr"]["percent"], v["resolved"])


def _reopen(v: KpiValues) -> tuple[int, float]:
    return v["resolved"], _percent_total(v["reopen_rate"], v["resolved"])


# KPI → how to read its sample and sum from a family's values. Rates and averages only.
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
# Counts: explained by each segment's change in count.
COUNTS: dict[str, Callable[[KpiValues], int]] = {
    "volume": lambda v: int(v["volume"]),
    "resolved": lambda v: int(v["resolved"]),
    "responses": lambda v: int(v["responses"]),
}
EXPLAINED_KPIS = (*READERS, *COUNTS)
# The median and p90 are explained through the mean of the same durations.
MEASURED_BY_MEAN = ("frt_median", "frt_p90", "art_median", "art_p90")


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


def _ratio(n: int, total: float) -> float | None:
    return total / n if n else None


def _overall(kpi: str, period: Period, filters: Filters) -> float | None:
    family, _ = kpis.KPIS[kpi]
    compute = {
        "survey": kpis.survey_kpis,
        "created": kpis.created_kpis,
        "resolved": kpis.resolved_kpis,
    }[family]
    values = compute(period, filters, None).get(None)
    if kpi in COUNTS:
        return float(COUNTS[kpi](values)) if values else 0.0
    if not values:
        return None
    return _ratio(*READERS[kpi](values))


def _by_key(kpi: str, by: str, period: Period, filters: Filters) -> dict[GroupKey, KpiValues]:
    return {row["key"]: row["detail"] for row in kpis.breakdown(kpi, by, period, filters)}


def _decompose(
    kpi: str, by: str, before: dict[GroupKey, KpiValues], now: dict[GroupKey, KpiValues]
) -> DimensionExplanation:
    keys = sorted(set(before) | set(now), key=lambda key: (key is None, str(key)))
    labels = dimension_labels(by, keys)
    if kpi in COUNTS:
        count = COUNTS[kpi]
        segments = []
        for key in keys:
            n0 = count(before[key]) if key in before else 0
            n1 = count(now[key]) if key in now else 0
            segments.append(
                Segment(key, labels[key], n0, n1, 0.0, 0.0, None, None, float(n1 - n0), 0.0)
            )
        total0 = sum(s.n0 for s in segments)
        total1 = sum(s.n1 for s in segments)
        return DimensionExplanation(by, float(total0), float(total1), segments)
    read = READERS[kpi]
    samples0 = {key: read(values) for key, values in before.items()}
    samples1 = {key: read(values) for key, values in now.items()}
    n0 = sum(n for n, _ in samples0.values())
    n1 = sum(n for n, _ in samples1.values())
    big_r0 = _ratio(n0, sum(t for _, t in samples0.values()))
    big_r1 = _ratio(n1, sum(t for _, t in samples1.values()))
    segments = []
    for key in keys:
        a, sum0 = samples0.get(key, (0, 0.0))
        b, sum1 = samples1.get(key, (0, 0.0))
        w0 = a / n0 if n0 else 0.0
        w1 = b / n1 if n1 else 0.0
        own0, own1 = _ratio(a, sum0), _ratio(b, sum1)
        rate = mix = 0.0
        if big_r0 is not None and big_r1 is not None:
            r0 = big_r0 if own0 is None else own0  # absent before: R0
            rate = w1 * ((own1 if own1 is not None else r0) - r0)  # absent now: w1 = 0
            mix = (w1 - w0) * (r0 - big_r0)
        segments.append(Segment(key, labels[key], a, b, w0, w1, own0, own1, rate, mix))
    return DimensionExplanation(by, big_r0, big_r1, segments)


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
    unknown = [by for by in dimensions if by not in DECOMPOSED_DIMENSIONS]
    if unknown:
        raise ValueError(f"not decomposed: {', '.join(unknown)}")
    filters = filters or Filters()
    before_period = previous or period.previous()
    with kpis.one_reading():
        r0 = _overall(kpi, before_period, filters)
        r1 = _overall(kpi, period, filters)
        explained = [
            _decompose(
                kpi,
                by,
                _by_key(kpi, by, before_period, filters),
                _by_key(kpi, by, period, filters),
            )
            for by in dimensions
        ]
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
    measure: Literal["value", "mean", "count"] = (
        "count" if kpi in COUNTS else "mean" if kpi in MEASURED_BY_MEAN else "value"
    )
    return Explanation(kpi, measure, period, before_period, r0, r1, explained, contributions)
