"""Why a card's figure moved, as the dashboard writes it under the card: the largest rate
and mix terms of `metrics.explain` across the dimensions, each with its points, its sample
and a link to the tickets or answers behind it (docs/kpis.md, "Why it moved")."""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..explain import Contribution, Explanation, Segment
from ..kpis import GroupKey
from ..templatetags.kpi_format import duration
from .cards import Kpi
from .formatting import DECIMALS, sample_words

# The card → the KPI its explanation decomposes (medians through the mean of the same
# durations). Backlog, churn and retention are states, not rates over the period's items.
EXPLAINED_CARDS = {
    "csat": "csat",
    "nps": "nps",
    "ces": "ces",
    "response_rate": "response_rate",
    "volume": "volume",
    "frt": "frt_median",
    "art": "art_median",
    "fcr": "fcr",
    "escalation_rate": "escalation_rate",
    "sla_first_response": "sla_first_response",
    "sla_resolution": "sla_resolution",
    "reopen_rate": "reopen_rate",
}
SHOWN = 3  # lines shown at once; the rest behind "more"
MOST = 10  # lines listed at all

DIMENSION_NAMES = {
    "team": gettext_lazy("team"),
    "agent": gettext_lazy("agent"),
    "channel": gettext_lazy("channel"),
    "category": gettext_lazy("category"),
    "priority": gettext_lazy("priority"),
}
KIND_NAMES = {
    "rate": gettext_lazy("rate"),
    "mix": gettext_lazy("mix"),
}
KIND_HELP = {
    "rate": gettext_lazy("its own figure changed"),
    "mix": gettext_lazy("its share of the sample changed"),
    "volume": gettext_lazy("its count changed"),
}

# (kpi, dimension, segment key, in the previous period) → the list behind a line
# (metrics/drilldown.py), or None.
Drill = Callable[[str, str, GroupKey, bool], str | None]


@dataclass(frozen=True)
class Line:
    """One ranked term: "Phone (channel) −2.0 pp (mix)", coloured by whether it helped."""

    segment: str
    dimension: str
    points: str
    kind: str
    help: str
    sample: str
    css: str
    href: str | None
    effect: str = ""  # in words what the colour says ("helped", "hurt"), for screen readers
    # When the link lists something other than the sample named (the response rate's lines
    # name surveys sent, which no list shows; the link opens their answers): its own words.
    href_label: str = ""
    # The segment as the KPI engine names it (metrics.kpis.DIMENSIONS and the group's key),
    # for a link opening a problem from a line that hurt a score (_explanation_line.html).
    dimension_key: str = ""
    segment_key: str = ""
    hurt_score: bool = False


@dataclass(frozen=True)
class CardExplanation:
    lines: list[Line]
    # A median's or p90's movement explained through the mean: "mean 2 h → 1 h 40 min".
    through_mean: str
    # Why there are no lines, when there are none.
    empty: str = ""

    @property
    def first(self) -> list[Line]:
        return self.lines[:SHOWN]

    @property
    def more(self) -> list[Line]:
        return self.lines[SHOWN:]


def _points(value: float, kpi: Kpi) -> str:
    """A term in the card's unit: points of a percentage, a score, a duration, a count."""
    sign = "+" if value > 0 else "−" if value < 0 else ""
    if kpi.unit == "duration":
        return sign + duration(abs(value))
    if kpi.unit == "percent":
        return sign + _("%(value)s pp") % {"value": number_format(abs(value), 1)}
    decimals = DECIMALS[kpi.unit]
    amount = Decimal(str(abs(value))).quantize(Decimal(1).scaleb(-decimals))
    return sign + number_format(amount, decimals, force_grouping=kpi.unit == "count")


def _visible(value: float, kpi: Kpi) -> bool:
    """A term too small to print in the card's unit says nothing."""
    if kpi.unit == "duration":
        return abs(value) >= 1
    smallest: float = 0.5 * 10.0 ** -DECIMALS.get(kpi.unit, 1)
    return abs(value) >= smallest


def _tone(value: float, kpi: Kpi) -> str:
    if not kpi.better:
        return "text-body-secondary"
    helped = (value > 0) == (kpi.better == "higher")
    return "text-success" if helped else "text-danger"


# The survey scores, whose low answers a problem opened from a line links (docs/quality.md).
SCORES = ("csat", "nps", "ces")


def _helped(value: float, kpi: Kpi) -> bool:
    return (value > 0) == (kpi.better == "higher")


def _effect(value: float, kpi: Kpi) -> str:
    if not kpi.better:
        return ""
    return str(_("helped")) if _helped(value, kpi) else str(_("hurt"))


def _segment(explanation: Explanation, contribution: Contribution) -> Segment | None:
    for dimension in explanation.dimensions:
        if dimension.dimension == contribution.dimension:
            for segment in dimension.segments:
                if segment.key == contribution.key:
                    return segment
    return None


def _count_words(kpi: Kpi, n: int) -> str:
    return sample_words(n, {"sent": "sent", "responses": "answers"}.get(kpi.sample, "tickets"))


def _sample(kpi: Kpi, segment: Segment | None) -> str:
    """The segment's sample now (answers, tickets), as every figure carries its sample; a
    segment gone this period (its effect all mix) says what it had before."""
    if segment is None:
        return ""
    if segment.n1 == 0 and segment.n0:
        return _("none now, %(before)s before") % {"before": _count_words(kpi, segment.n0)}
    return _count_words(kpi, segment.n1)


def card_explanation(kpi: Kpi, explanation: Explanation, drill: Drill | None) -> CardExplanation:
    # A dimension with one value in both periods (every ticket in one team, say) "explains"
    # the whole change as that value's rate: true, and no help. It is left out.
    informative = {
        dimension.dimension for dimension in explanation.dimensions if len(dimension.segments) > 1
    }
    lines: list[Line] = []
    for contribution in explanation.contributions:
        if len(lines) >= MOST:
            break
        if contribution.dimension not in informative or not _visible(contribution.points, kpi):
            continue
        segment = _segment(explanation, contribution)
        # A segment gone this period is read in the previous one, where its items are.
        gone = segment is not None and segment.n1 == 0 and segment.n0 > 0
        href = (
            drill(explanation.kpi, contribution.dimension, contribution.key, gone)
            if drill
            else None
        )
        lines.append(
            Line(
                segment=contribution.label,
                dimension=str(DIMENSION_NAMES[contribution.dimension]),
                points=_points(contribution.points, kpi),
                kind=str(KIND_NAMES.get(contribution.kind, "")),
                help=str(KIND_HELP[contribution.kind]),
                sample=_sample(kpi, segment),
                css=_tone(contribution.points, kpi),
                href=href,
                effect=_effect(contribution.points, kpi),
                href_label=str(_("its answers")) if kpi.sample == "sent" else "",
                dimension_key=contribution.dimension,
                segment_key="" if contribution.key is None else str(contribution.key),
                hurt_score=kpi.key in SCORES
                and contribution.key is not None
                and not _helped(contribution.points, kpi),
            )
        )
    through_mean = ""
    if explanation.measure == "mean":
        before, now = (
            "—" if value is None else duration(value) for value in (explanation.r0, explanation.r1)
        )
        through_mean = _("Explained through the mean: %(before)s → %(now)s") % {
            "before": before,
            "now": now,
        }
    empty = ""
    if not lines:
        if explanation.r0 is None or explanation.r1 is None:
            empty = _("No figure in one of the two periods: nothing to compare.")
        elif not informative:
            empty = _("Every item shares the same team, agent, channel, category and priority.")
        else:
            empty = _("No change to explain.")
    return CardExplanation(lines, through_mean, empty)
