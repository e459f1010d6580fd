"""How sure a figure is (docs/kpis.md, "Confidence and samples"): its sample, whether that
sample is below KPI_MIN_SAMPLE, the 95 % Wilson interval of a proportion, NPS's margin of
error, and whether a change against the previous period is within the noise.

Everything here is arithmetic on counts the engine already returned: no query.
"""

from collections.abc import Callable
from dataclasses import dataclass
from math import sqrt

from django.conf import settings

from .kpis import WILSON_Z, Interval, KpiValues, wilson


def min_sample() -> int:
    return int(settings.KPI_MIN_SAMPLE)


def nps_margin(promoters: int, detractors: int, responses: int) -> float | None:
    """docs/kpis.md: 100 · z · √((P + D − (P − D)²) / n), one decimal; None over nothing."""
    if responses <= 0:
        return None
    p, d = promoters / responses, detractors / responses
    variance = max(p + d - (p - d) ** 2, 0.0)
    return round(100 * WILSON_Z * sqrt(variance / responses), 1)


@dataclass(frozen=True)
class Confidence:
    """A figure's sample and, where docs/kpis.md defines one, its 95 % range: an interval
    for a proportion, a margin (±points) for NPS; `low` and `high` are the range's ends."""

    sample: int
    low_sample: bool
    interval: Interval | None = None
    margin: float | None = None
    value: float | None = None

    @property
    def range(self) -> tuple[float, float] | None:
        if self.interval is not None:
            return self.interval["low"], self.interval["high"]
        if self.margin is not None and self.value is not None:
            return self.value - self.margin, self.value + self.margin
        return None

    def as_dict(self) -> dict[str, object]:
        return {
            "sample": self.sample,
            "low_sample": self.low_sample,
            "interval": self.interval,
            "margin": self.margin,
        }


def within_noise(now: Confidence, before: Confidence) -> bool:
    """A change is noise when both figures have a 95 % range and the ranges overlap."""
    a, b = now.range, before.range
    if a is None or b is None:
        return False
    return a[0] <= b[1] and b[0] <= a[1]


# (part, whole) of a proportion KPI from the engine's values (`kpis.summary` or a family's).
Proportion = Callable[[KpiValues], tuple[int, int] | None]


def _distribution_part(survey: str, scores: range) -> Proportion:
    def read(values: KpiValues) -> tuple[int, int]:
        figure = values[survey]
        return sum(figure["distribution"].get(s, 0) for s in scores), figure["responses"]

    return read


def _counted(part: str, whole: Callable[[KpiValues], int]) -> Proportion:
    """A proportion whose part the summary keeps in its `counts` (the exact count, not one
    recovered from a rounded percentage)."""

    def read(values: KpiValues) -> tuple[int, int] | None:
        counts = values.get("counts") or {}
        return (int(counts[part]), whole(values)) if part in counts else None

    return read


PROPORTIONS: dict[str, Proportion] = {
    "csat": _distribution_part("csat", range(4, 6)),
    "ces_percent_easy": _distribution_part("ces", range(5, 8)),
    "response_rate": _counted("responses", lambda v: v["surveys_sent"]),
    "escalation_rate": _counted("escalated", lambda v: v["volume"]),
    "fcr": _counted("first_contact", lambda v: v["fcr"]["resolved"]),
    "reopen_rate": _counted("reopened", lambda v: v["fcr"]["resolved"]),
    "sla_first_response": _counted(
        "sla_first_response_met", lambda v: v["sla"]["first_response_count"]
    ),
    "sla_resolution": _counted("sla_resolution_met", lambda v: v["sla"]["resolution_count"]),
    "churn_rate": lambda v: (v["customers"]["C"], v["customers"]["S"]),
    "retention_rate": lambda v: (v["customers"]["S"] - v["customers"]["C"], v["customers"]["S"]),
}


def of(kpi: str, sample: int, values: KpiValues) -> Confidence:
    """The confidence of one KPI of a summary, `sample` being the count the card shows."""
    low = sample < min_sample()
    if kpi in PROPORTIONS:
        counted = PROPORTIONS[kpi](values)
        return Confidence(sample, low, interval=wilson(*counted) if counted else None)
    if kpi == "nps":
        nps = values["nps"]
        margin = nps_margin(nps["promoters"], nps["detractors"], nps["responses"])
        return Confidence(sample, low, margin=margin, value=nps["score"])
    return Confidence(sample, low)


# An engine KPI (`kpis.KPIS`) → its sample in a family's values; counts have none (None).
SAMPLES: dict[str, Callable[[KpiValues], int] | None] = {
    "csat": lambda v: int(v["csat"]["responses"]),
    "csat_average": lambda v: int(v["csat"]["responses"]),
    "nps": lambda v: int(v["nps"]["responses"]),
    "ces": lambda v: int(v["ces"]["responses"]),
    "ces_percent_easy": lambda v: int(v["ces"]["responses"]),
    "response_rate": lambda v: int(v["surveys_sent"]),
    "responses": None,
    "volume": None,
    "escalation_rate": lambda v: int(v["volume"]),
    "sla_first_response": lambda v: int(v["sla"]["first_response_count"]),
    "sla_resolution": lambda v: int(v["sla"]["resolution_count"]),
    "sla_breached": None,
    "frt": lambda v: int(v["frt"]["count"]),
    "frt_median": lambda v: int(v["frt"]["count"]),
    "frt_p90": lambda v: int(v["frt"]["count"]),
    "art": lambda v: int(v["art"]["count"]),
    "art_median": lambda v: int(v["art"]["count"]),
    "art_p90": lambda v: int(v["art"]["count"]),
    "fcr": lambda v: int(v["resolved"]),
    "reopen_rate": lambda v: int(v["resolved"]),
    "resolved": None,
}


def sample_of(kpi: str, values: KpiValues) -> int | None:
    """The items `kpi` is computed over in `values`; None for a count (not an estimate)."""
    read = SAMPLES[kpi]
    return None if read is None else read(values)
