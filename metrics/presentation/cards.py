"""The KPI catalogue: every card the dashboard shows (its name, unit, which way is better,
the sample it is computed over, how it is computed) and the card built from two summaries."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, ngettext_lazy

from .. import confidence
from ..confidence import Confidence
from ..kpis import KpiValue, KpiValues
from .formatting import Better, Delta, Unit, delta, format_value, noise_delta

SAMPLES = {
    "responses": ngettext_lazy("%(count)s answer", "%(count)s answers", "n"),
    "sent": ngettext_lazy("%(count)s survey sent", "%(count)s surveys sent", "n"),
    "created": ngettext_lazy("%(count)s ticket created", "%(count)s tickets created", "n"),
    "resolved": ngettext_lazy("%(count)s ticket resolved", "%(count)s tickets resolved", "n"),
    "first_response": ngettext_lazy(
        "%(count)s ticket with a first response", "%(count)s tickets with a first response", "n"
    ),
    "sla": ngettext_lazy(
        "%(count)s ticket measured against its SLA",
        "%(count)s tickets measured against their SLA",
        "n",
    ),
    "open": ngettext_lazy(
        "%(count)s ticket open at the end", "%(count)s tickets open at the end", "n"
    ),
    "customers": ngettext_lazy(
        "%(count)s customer active at the start", "%(count)s customers active at the start", "n"
    ),
}


@dataclass(frozen=True)
class Kpi:
    """One card: how to read its value from `kpis.summary()`, which way is better, its
    formula as docs/kpis.md words it, and its sample size."""

    key: str
    title: Any
    unit: Unit
    better: Better
    read: Callable[[KpiValues], KpiValue]
    formula: Any
    sample: str
    count: Callable[[KpiValues], int]
    survey: str | None = None


KPI_CARDS = (
    Kpi(
        "csat",
        gettext_lazy("CSAT"),
        "percent",
        "higher",
        lambda s: s["csat"]["percent"],
        gettext_lazy(
            "How satisfied are you with the service you received? (1–5). "
            "100 × count(score ≥ 4) / count(all CSAT answers), placed by the answer's date."
        ),
        "responses",
        lambda s: s["csat"]["responses"],
        survey="csat",
    ),
    Kpi(
        "nps",
        gettext_lazy("NPS"),
        "score1",
        "higher",
        lambda s: s["nps"]["score"],
        gettext_lazy(
            "How likely are you to recommend us to a friend or colleague? (0–10). "
            "Detractors 0–6, passives 7–8, promoters 9–10; NPS = % promoters − % detractors, "
            "from −100 to 100."
        ),
        "responses",
        lambda s: s["nps"]["responses"],
        survey="nps",
    ),
    Kpi(
        "ces",
        gettext_lazy("CES"),
        "score2",
        "higher",
        lambda s: s["ces"]["average"],
        gettext_lazy(
            "How easy was it to get your issue resolved? (1 very difficult – 7 very easy). "
            "Mean score; % easy = 100 × count(score ≥ 5) / count(all)."
        ),
        "responses",
        lambda s: s["ces"]["responses"],
        survey="ces",
    ),
    Kpi(
        "response_rate",
        gettext_lazy("Response rate"),
        "percent",
        "higher",
        lambda s: s["response_rate"],
        gettext_lazy("100 × responses answered in the period / invitations sent in the period."),
        "sent",
        lambda s: s["surveys_sent"],
    ),
    Kpi(
        "volume",
        gettext_lazy("Ticket volume"),
        "count",
        "",
        lambda s: s["volume"],
        gettext_lazy("Count of tickets created in the period."),
        "created",
        lambda s: s["volume"],
    ),
    Kpi(
        "frt",
        gettext_lazy("First response time (median)"),
        "duration",
        "lower",
        lambda s: s["frt"]["median"],
        gettext_lazy(
            "first_response_at − created_at, where first_response_at is the first public reply "
            "by an agent (internal notes and automatic messages do not count); tickets placed "
            "by their creation. Tickets still without a first response are counted apart."
        ),
        "first_response",
        lambda s: s["frt"]["count"],
    ),
    Kpi(
        "art",
        gettext_lazy("Resolution time (median)"),
        "duration",
        "lower",
        lambda s: s["art"]["median"],
        gettext_lazy(
            "resolved_at − created_at of the ticket's latest resolution, for tickets resolved "
            "in the period."
        ),
        "resolved",
        lambda s: s["art"]["count"],
    ),
    Kpi(
        "fcr",
        gettext_lazy("First contact resolution"),
        "percent",
        "higher",
        lambda s: s["fcr"]["percent"],
        gettext_lazy(
            "Among tickets resolved in the period: 100 × count(never escalated AND never "
            "reopened AND at most one public agent reply) / count(resolved)."
        ),
        "resolved",
        lambda s: s["fcr"]["resolved"],
    ),
    Kpi(
        "escalation_rate",
        gettext_lazy("Escalation rate"),
        "percent",
        "lower",
        lambda s: s["escalation_rate"],
        gettext_lazy(
            "100 × count(tickets escalated at least once) / count(tickets), tickets placed by "
            "their creation."
        ),
        "created",
        lambda s: s["volume"],
    ),
    Kpi(
        "sla_first_response",
        gettext_lazy("SLA: first response on time"),
        "percent",
        "higher",
        lambda s: s["sla"]["first_response_percent"],
        gettext_lazy(
            "100 × first responses given by the due time of the SLA policy that applied / "
            "first responses given or overdue; tickets placed by their creation."
        ),
        "sla",
        lambda s: s["sla"]["first_response_count"],
    ),
    Kpi(
        "sla_resolution",
        gettext_lazy("SLA: resolution on time"),
        "percent",
        "higher",
        lambda s: s["sla"]["resolution_percent"],
        gettext_lazy(
            "100 × resolutions by the due time of the SLA policy that applied (the clock "
            "stopped while pending) / resolutions and overdue tickets; tickets placed by their "
            "creation."
        ),
        "sla",
        lambda s: s["sla"]["resolution_count"],
    ),
    Kpi(
        "reopen_rate",
        gettext_lazy("Reopen rate"),
        "percent",
        "lower",
        lambda s: s["reopen_rate"],
        gettext_lazy(
            "100 × count(resolved tickets ever reopened) / count(resolved), for tickets "
            "resolved in the period."
        ),
        "resolved",
        lambda s: s["fcr"]["resolved"],
    ),
    Kpi(
        "backlog",
        gettext_lazy("Backlog"),
        "count",
        "lower",
        lambda s: s["backlog"]["total"],
        gettext_lazy(
            "Tickets created before the period's end that are not resolved or closed, or whose "
            "latest resolution is at or after the end; aged from the end of the period."
        ),
        "open",
        lambda s: s["backlog"]["total"],
    ),
    Kpi(
        "churn_rate",
        gettext_lazy("Churn rate"),
        "percent",
        "lower",
        lambda s: s["churn_rate"],
        gettext_lazy(
            "100 × C / S: C customers churned in the period, S customers active at its start. "
            "All customers: the ticket filters do not apply."
        ),
        "customers",
        lambda s: s["customers"]["S"],
    ),
    Kpi(
        "retention_rate",
        gettext_lazy("Retention rate"),
        "percent",
        "higher",
        lambda s: s["retention_rate"],
        gettext_lazy(
            "100 × (E − N) / S: E customers active at the end, N acquired in the period, S "
            "active at the start (churn + retention = 100). All customers: the ticket filters "
            "do not apply."
        ),
        "customers",
        lambda s: s["customers"]["S"],
    ),
)


# What a figure below KPI_MIN_SAMPLE is called, by what its sample counts.
FEW = {
    "responses": gettext_lazy("Few answers"),
    "sent": gettext_lazy("Few surveys sent"),
    "customers": gettext_lazy("Few customers"),
}
FEW_TICKETS = gettext_lazy("Few tickets")


def few_label(sample: str) -> str:
    return str(FEW.get(sample, FEW_TICKETS))


class Bar(TypedDict):
    """One bar of a card's distribution; `part` names its answers for the drill-down (a
    score, or an NPS group)."""

    label: str
    count: int
    max: int
    part: int | str
    href: NotRequired[str | None]


class Card(TypedDict):
    """What the dashboard shows of one KPI (its cards in templates/metrics/dashboard.html)."""

    key: str
    title: Any
    value: str
    empty: bool
    previous: str
    delta: Delta | None
    formula: Any
    sample: str
    details: list[str]
    distribution: list[Bar]
    lower_is_better: bool
    low_sample: bool
    few: str  # "Few answers" and the like, when low_sample
    noise: bool  # the change is within the 95 % ranges of both periods
    confidence: list[str]  # the interval or margin lines of "How it is computed"
    response_rate: NotRequired[str]  # the survey KPIs'
    explanation: NotRequired[Any]  # presentation.explanations.CardExplanation, when explained
    href: NotRequired[str | None]  # the list of the figure's sample (metrics/drilldown.py)
    explanation_deferred: NotRequired[
        bool
    ]  # comes after the page (Dashboard.explanations_deferred)


def _details(kpi: Kpi, summary: KpiValues) -> list[str]:
    """The secondary lines of a card (means, p90, the parts of a rate)."""
    if kpi.key == "csat":
        average = format_value(summary["csat"]["average"], "score2")
        return [_("Average %(value)s / 5") % {"value": average}]
    if kpi.key == "ces":
        value = format_value(summary["ces"]["percent_easy"], "percent")
        return [_("%(value)s easy (5–7)") % {"value": value}]
    if kpi.key in ("frt", "art"):
        values = summary[kpi.key]
        mean, p90 = (
            format_value(values["mean"], "duration"),
            format_value(values["p90"], "duration"),
        )
        lines = [_("Mean %(mean)s · p90 %(p90)s") % {"mean": mean, "p90": p90}]
        if kpi.key == "frt":
            awaiting = values["awaiting_first_response"]
            lines.append(
                ngettext_lazy(
                    "%(count)s ticket awaiting a first response",
                    "%(count)s tickets awaiting a first response",
                    "n",
                )
                % {"n": awaiting, "count": number_format(awaiting, force_grouping=True)}
            )
        return lines
    if kpi.key in ("churn_rate", "retention_rate"):
        c = summary["customers"]
        return [
            _("%(churned)s churned, %(acquired)s acquired, %(end)s active at the end")
            % {
                "churned": number_format(c["C"], force_grouping=True),
                "acquired": number_format(c["N"], force_grouping=True),
                "end": number_format(c["E"], force_grouping=True),
            }
        ]
    return []


def _distribution(kpi: Kpi, summary: KpiValues) -> list[Bar]:
    """Count per score (per group for NPS), with the largest count as the bars' maximum."""
    if kpi.survey is None:
        return []
    values = summary[kpi.survey]
    rows: list[tuple[str, int, int | str]]
    if kpi.survey == "nps":
        rows = [
            (_("Promoters (9–10)"), values["promoters"], "promoters"),
            (_("Passives (7–8)"), values["passives"], "passives"),
            (_("Detractors (0–6)"), values["detractors"], "detractors"),
        ]
    else:
        rows = [
            (str(score), count, int(score))
            for score, count in sorted(values["distribution"].items())
        ]
        rows.reverse()  # best score first
    top = max([count for _label, count, _part in rows] + [1])
    return [
        {"label": label, "count": count, "max": top, "part": part} for label, count, part in rows
    ]


def _range_text(kpi: Kpi, figure: Confidence) -> str | None:
    if figure.interval is not None:
        return _("%(low)s to %(high)s") % {
            "low": format_value(figure.interval["low"], "percent"),
            "high": format_value(figure.interval["high"], "percent"),
        }
    if figure.margin is not None:
        return "± " + format_value(figure.margin, kpi.unit)
    return None


def _confidence_lines(kpi: Kpi, now: Confidence, before: Confidence) -> list[str]:
    """docs/kpis.md: the 95 % Wilson interval of a proportion, NPS's margin of error."""
    now_text, before_text = _range_text(kpi, now), _range_text(kpi, before)
    if now_text is None and before_text is None:
        return []
    if now.interval is not None or before.interval is not None:
        lines = [_("95 %% interval (Wilson): %(range)s") % {"range": now_text or "—"}]
    else:
        lines = [_("Margin of error (95 %%): %(range)s") % {"range": now_text or "—"}]
    lines.append(_("Previous period: %(range)s") % {"range": before_text or "—"})
    return lines


def card(kpi: Kpi, current: KpiValues, previous: KpiValues) -> Card:
    value, before = kpi.read(current), kpi.read(previous)
    count = kpi.count(current)
    now_figure = confidence.of(kpi.key, count, current)
    before_figure = confidence.of(kpi.key, kpi.count(previous), previous)
    measured = kpi.unit != "count"  # a count is not an estimate: no sample to be short of
    low_sample = measured and value is not None and now_figure.low_sample
    noise = confidence.within_noise(now_figure, before_figure)
    change = delta(value, before, kpi.unit, kpi.better)
    card: Card = {
        "key": kpi.key,
        "title": kpi.title,
        "value": format_value(value, kpi.unit),
        "empty": value is None,
        "previous": format_value(before, kpi.unit),
        "delta": noise_delta(change) if noise and change is not None else change,
        "formula": kpi.formula,
        "sample": SAMPLES[kpi.sample]
        % {"n": count, "count": number_format(count, force_grouping=True)},
        "details": _details(kpi, current),
        "distribution": _distribution(kpi, current),
        "lower_is_better": kpi.better == "lower",
        "low_sample": low_sample,
        "few": few_label(kpi.sample) if low_sample else "",
        "noise": noise,
        "confidence": _confidence_lines(kpi, now_figure, before_figure),
    }
    if kpi.key == "ces":  # its % easy is a proportion: the interval of that
        easy_now = confidence.of("ces_percent_easy", count, current)
        easy_before = confidence.of("ces_percent_easy", kpi.count(previous), previous)
        percent_kpi = Kpi("ces_percent_easy", "", "percent", "higher", kpi.read, "", "", kpi.count)
        card["confidence"] = [
            _("%% easy: %(line)s") % {"line": line}
            for line in _confidence_lines(percent_kpi, easy_now, easy_before)
        ]
    if kpi.survey:
        sent = current["surveys_sent"]
        card["response_rate"] = ngettext(
            "Response rate %(rate)s (%(count)s survey sent)",
            "Response rate %(rate)s (%(count)s surveys sent)",
            sent,
        ) % {
            "rate": format_value(current["response_rate"], "percent"),
            "count": number_format(sent, force_grouping=True),
        }
    return card


def confidences(values: KpiValues) -> dict[str, Confidence]:
    """Every card's confidence for one summary (the API's `confidence`)."""
    figures = {kpi.key: confidence.of(kpi.key, kpi.count(values), values) for kpi in KPI_CARDS}
    easy = int(values["ces"]["responses"])
    figures["ces_percent_easy"] = confidence.of("ces_percent_easy", easy, values)
    return figures
