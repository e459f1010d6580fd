"""The manager dashboard, the agent's own dashboard and the CSV export of their tables.

Every number comes from `metrics.kpis` (KPI.md); this module only picks, labels and formats.
The page asks the engine a fixed number of aggregate queries whatever the data size: two
summaries (the period and the previous one of equal length), one time series per KPI family,
the channel breakdown, the drivers and the per-agent breakdown.

Charts get their data through `json_script` and are drawn by static/js/dashboard.js (no inline
script: CSP). Labels are translated here, so the charts speak the page's language.
"""

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import (
    gettext_lazy,
    ngettext,
    ngettext_lazy,
    pgettext,
    pgettext_lazy,
)
from django.views.decorators.http import require_GET

from cases.csv_safety import neutralise
from cases.models import Category, Channel, Priority, Role, Team, User
from cases.views.workspace import staff_required

from . import definitions, kpis
from .forms import CUSTOM, DashboardFilterForm
from .templatetags.kpi_format import duration

MANAGER_ROLES = (Role.MANAGER, Role.ADMIN)

# --- labels -----------------------------------------------------------------------------------

NO_VALUE_LABELS = {
    "team": gettext_lazy("No team"),
    "agent": gettext_lazy("Unassigned"),
    "category": gettext_lazy("No category"),
    "channel": gettext_lazy("No channel"),
    "priority": gettext_lazy("No priority"),
}
BACKLOG_LABELS = {
    "lt_1d": gettext_lazy("< 1 day"),
    "1_3d": gettext_lazy("1–3 days"),
    "3_7d": gettext_lazy("3–7 days"),
    "gte_7d": gettext_lazy("≥ 7 days"),
}
DRIVER_TITLES = {
    "frt": gettext_lazy("First response time"),
    "escalated": gettext_lazy("Escalated"),
    "reopened": gettext_lazy("Reopened"),
    "public_replies": gettext_lazy("Public agent replies"),
    "channel": gettext_lazy("Channel"),
    "category": gettext_lazy("Category"),
}
# Known driver values in the order they read best; channel and category are labelled below.
DRIVER_VALUES = {
    "frt": {
        "lt_1h": gettext_lazy("< 1 h"),
        "1_4h": gettext_lazy("1–4 h"),
        "4_24h": gettext_lazy("4–24 h"),
        "gte_24h": gettext_lazy("≥ 24 h"),
        "none": gettext_lazy("No first response"),
    },
    "escalated": {"yes": gettext_lazy("Escalated"), "no": gettext_lazy("Not escalated")},
    "reopened": {"yes": gettext_lazy("Reopened"), "no": gettext_lazy("Not reopened")},
    "public_replies": {
        "1": gettext_lazy("0 or 1"),
        "2": pgettext_lazy("public replies", "2"),
        "3-4": gettext_lazy("3 or 4"),
        "5+": gettext_lazy("5 or more"),
    },
}


def dimension_labels(by: str, keys) -> dict:
    """key → label for breakdown keys: team, agent and category names (one query), channel
    and priority display labels; None reads "Unassigned", "No team"…"""
    keys = set(keys)
    ids = [key for key in keys if key is not None]
    if by == "team":
        named = dict(Team.objects.filter(pk__in=ids).values_list("pk", "name"))
    elif by == "agent":
        named = {user.pk: user.display_name for user in User.objects.filter(pk__in=ids)}
    elif by == "category":
        named = dict(Category.objects.filter(pk__in=ids).values_list("pk", "name"))
    else:
        choices = Channel if by == "channel" else Priority
        named = {value: str(label) for value, label in choices.choices}
    return {
        key: str(NO_VALUE_LABELS[by]) if key is None else str(named.get(key, key)) for key in keys
    }


def driver_label(fact: str, value) -> str:
    if fact == "channel":
        return dimension_labels("channel", [value])[value]
    if fact == "category":
        return value if value is not None else str(NO_VALUE_LABELS["category"])
    return str(DRIVER_VALUES[fact].get(value, value))


def ordered_drivers(fact: str, rows: list[dict]) -> list[dict]:
    order = list(DRIVER_VALUES.get(fact, {}))
    if not order:
        return rows
    return sorted(rows, key=lambda row: order.index(row["value"]) if row["value"] in order else 99)


# --- formatting -------------------------------------------------------------------------------

# unit → decimals shown; "duration" is seconds, shown in human units.
DECIMALS = {"percent": 1, "score1": 1, "score2": 2, "count": 0, "duration": 0}


def format_value(value, unit: str) -> str:
    """A KPI as the page shows it: `—` for an empty set, localised numbers, `3 h 12 min`."""
    if value is None:
        return "—"
    if unit == "text":
        return str(value)
    if unit == "duration":
        return duration(value)
    if unit == "percent":
        return f"{number_format(value, 1)} %"
    if unit == "number":
        return number_format(value)
    return number_format(value, DECIMALS[unit], force_grouping=unit == "count")


def format_gap(value, unit: str) -> str:
    if value is None:
        return "—"
    text = number_format(abs(value), DECIMALS[unit])
    return f"+{text}" if value > 0 else f"−{text}" if value < 0 else text


def difference(now, before, unit: str) -> Decimal | None:
    """now − before at the KPI's precision (exact, no float noise); None if either is."""
    if now is None or before is None:
        return None
    return (Decimal(str(now)) - Decimal(str(before))).quantize(Decimal(1).scaleb(-DECIMALS[unit]))


@dataclass(frozen=True)
class Delta:
    value: Decimal
    arrow: str
    text: str
    words: str  # for screen readers
    css: str


def delta(now, before, unit: str, better: str) -> Delta | None:
    """The change against the previous period: arrow, amount, and green when it went the
    right way (down for the lower-is-better KPIs), red when not, grey when neither."""
    change = difference(now, before, unit)
    if change is None:
        return None
    if unit == "duration":
        amount = duration(abs(change))
    elif unit == "percent":
        amount = _("%(value)s pp") % {"value": number_format(abs(change), 1)}
    else:
        amount = number_format(abs(change), DECIMALS[unit], force_grouping=unit == "count")
    if change == 0:
        return Delta(change, "=", amount, _("no change"), "text-body-secondary")
    up = change > 0
    good = None if not better else up == (better == "higher")
    css = "text-body-secondary" if good is None else "text-success" if good else "text-danger"
    return Delta(change, "▲" if up else "▼", amount, _("up") if up else _("down"), css)


# --- KPI cards --------------------------------------------------------------------------------

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
    formula as KPI.md words it, and its sample size."""

    key: str
    title: Any
    unit: str
    better: str  # "higher", "lower" or "" (neither: volume)
    read: Callable[[dict], Any]
    formula: Any
    sample: str
    count: Callable[[dict], int]
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


def _details(kpi: Kpi, summary: dict) -> list[str]:
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


def _distribution(kpi: Kpi, summary: dict) -> list[dict]:
    """Count per score (per group for NPS), with the largest count as the bars' maximum."""
    if kpi.survey is None:
        return []
    values = summary[kpi.survey]
    if kpi.survey == "nps":
        rows = [
            (_("Promoters (9–10)"), values["promoters"]),
            (_("Passives (7–8)"), values["passives"]),
            (_("Detractors (0–6)"), values["detractors"]),
        ]
    else:
        rows = [(str(score), count) for score, count in sorted(values["distribution"].items())]
        rows.reverse()  # best score first
    top = max([count for _label, count in rows] + [1])
    return [{"label": label, "count": count, "max": top} for label, count in rows]


def card(kpi: Kpi, current: dict, previous: dict) -> dict:
    value, before = kpi.read(current), kpi.read(previous)
    count = kpi.count(current)
    card = {
        "key": kpi.key,
        "title": kpi.title,
        "value": format_value(value, kpi.unit),
        "empty": value is None,
        "previous": format_value(before, kpi.unit),
        "delta": delta(value, before, kpi.unit, kpi.better),
        "formula": kpi.formula,
        "sample": SAMPLES[kpi.sample]
        % {"n": count, "count": number_format(count, force_grouping=True)},
        "details": _details(kpi, current),
        "distribution": _distribution(kpi, current),
        "lower_is_better": kpi.better == "lower",
    }
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


# --- tables (shown on the page and exported as CSV) -------------------------------------------


@dataclass(frozen=True)
class Column:
    label: Any
    unit: str = "text"  # text, percent, score1, score2, count, duration, gap1, gap2


@dataclass
class Table:
    name: str
    title: Any
    columns: list[Column]
    rows: list[list] = field(default_factory=list)

    def html_columns(self) -> list[Column]:
        """On the page a gap shares its value's cell; the CSV keeps it in a column of its own."""
        return [column for column in self.columns if not column.unit.startswith("gap")]

    def html_rows(self) -> list[list[dict]]:
        result = []
        for row in self.rows:
            cells = []
            for column, value in zip(self.columns, row, strict=True):
                if column.unit.startswith("gap"):
                    unit = "score2" if column.unit == "gap2" else "score1"
                    tone = (
                        "text-body-secondary"
                        if not value
                        else ("text-success" if value > 0 else "text-danger")
                    )
                    if row_value_present(cells[-1]):
                        cells[-1].update(gap=format_gap(value, unit), gap_css=tone)
                elif column.unit == "text":
                    cells.append({"text": format_value(value, "text"), "css": ""})
                else:
                    cells.append({"text": format_value(value, column.unit), "css": "text-end"})
            result.append(cells)
        return result

    def csv_header(self) -> list[str]:
        return [
            _("%(label)s (seconds)") % {"label": column.label}
            if column.unit == "duration"
            else str(column.label)
            for column in self.columns
        ]

    def csv_rows(self) -> list[list]:
        """Numbers as numbers (a spreadsheet does not run `-12.5`), durations in seconds,
        empty sets as empty cells; text neutralised against formula injection."""
        return [
            [
                neutralise(value) if column.unit == "text" else ("" if value is None else value)
                for column, value in zip(self.columns, row, strict=True)
            ]
            for row in self.rows
        ]


def row_value_present(cell: dict) -> bool:
    return cell["text"] != "—"


def _gap(value, overall, decimals: int):
    if value is None or overall is None:
        return None
    return float(
        (Decimal(str(value)) - Decimal(str(overall))).quantize(Decimal(1).scaleb(-decimals))
    )


def interval_for(period: kpis.Period) -> str:
    """Daily buckets up to a month, weekly up to two years, monthly beyond."""
    days = (period.end_date - period.start_date).days
    return "day" if days <= 31 else "week" if days <= 731 else "month"


class Dashboard:
    """Everything the page shows for one period and one set of filters, each part computed
    by the engine the first time it is asked for."""

    def __init__(self, period: kpis.Period, filters: kpis.Filters):
        self.period = period
        self.filters = filters
        self.interval = interval_for(period)

    # --- the engine's answers ---

    @cached_property
    def current(self) -> dict:
        return kpis.summary(self.period, self.filters)

    @cached_property
    def previous(self) -> dict:
        return kpis.summary(self.period.previous(), self.filters)

    def _series(self, kpi: str) -> list[dict]:
        return kpis.timeseries(kpi, self.interval, self.period, self.filters)

    @cached_property
    def survey_series(self) -> list[dict]:
        return self._series("csat")  # the detail holds NPS and CES of the same buckets

    @cached_property
    def created_series(self) -> list[dict]:
        return self._series("volume")  # … and FRT

    @cached_property
    def resolved_series(self) -> list[dict]:
        return self._series("art_median")

    @cached_property
    def channels(self) -> list[dict]:
        return kpis.volume_by("channel", self.period, self.filters)

    @cached_property
    def drivers(self) -> dict:
        return kpis.drivers(self.period, self.filters)

    @cached_property
    def agents(self) -> dict:
        return kpis.many_breakdowns("agent", self.period, self.filters)

    # --- what the page shows ---

    def shown_kpis(self) -> list[Kpi]:
        """Every card, except the SLA ones on a desk whose tickets have no SLA clocks (KPI.md:
        only where SLA policies exist)."""
        return [
            kpi
            for kpi in KPI_CARDS
            if kpi.sample != "sla" or kpi.count(self.current) or kpi.count(self.previous)
        ]

    def cards(self) -> list[dict]:
        return [card(kpi, self.current, self.previous) for kpi in self.shown_kpis()]

    def bucket_label(self, day: date) -> str:
        return date_format(day, "M Y" if self.interval == "month" else "j M")

    def trend_table(self) -> Table:
        table = Table(
            "trend",
            _("Trends"),
            [
                Column(_("Period starting")),
                Column(_("CSAT %"), "percent"),
                Column(_("NPS"), "score1"),
                Column(_("Promoters"), "count"),
                Column(_("Passives"), "count"),
                Column(_("Detractors"), "count"),
                Column(_("CES"), "score2"),
                Column(_("FRT median"), "duration"),
                Column(_("ART median"), "duration"),
                Column(_("Volume"), "count"),
            ],
        )
        for survey, created, resolved in zip(
            self.survey_series, self.created_series, self.resolved_series, strict=True
        ):
            s, c, r = survey["detail"], created["detail"], resolved["detail"]
            table.rows.append(
                [
                    survey["bucket"],
                    s["csat"]["percent"],
                    s["nps"]["score"],
                    s["nps"]["promoters"],
                    s["nps"]["passives"],
                    s["nps"]["detractors"],
                    s["ces"]["average"],
                    c["frt"]["median"],
                    r["art"]["median"],
                    c["volume"],
                ]
            )
        return table

    def summary_table(self) -> Table:
        table = Table(
            "summary",
            _("KPIs"),
            [
                Column(_("KPI")),
                Column(_("Value"), "number"),
                Column(_("Previous period"), "number"),
                # The noun ("Cambio"), not the language switcher's verb ("Cambiar").
                Column(pgettext("difference against the previous period", "Change"), "number"),
                Column(_("Unit")),
                Column(_("Sample size"), "number"),
            ],
        )
        units = {"percent": "%", "duration": _("seconds"), "count": "", "score1": "", "score2": ""}
        for kpi in self.shown_kpis():
            now, before = kpi.read(self.current), kpi.read(self.previous)
            change = difference(now, before, kpi.unit)
            table.rows.append(
                [
                    str(kpi.title),
                    now,
                    before,
                    None if change is None else float(change) if change % 1 else int(change),
                    units[kpi.unit],
                    kpi.count(self.current),
                ]
            )
        return table

    def channel_table(self) -> Table:
        labels = dimension_labels("channel", [row["key"] for row in self.channels])
        columns = [Column(_("Channel")), Column(_("Tickets"), "count")]
        table = Table("channels", _("Volume by channel"), columns)
        rows = sorted(self.channels, key=lambda row: -row["value"])
        table.rows = [[labels[row["key"]], row["value"]] for row in rows]
        return table

    def backlog_table(self) -> Table:
        buckets = self.current["backlog"]["buckets"]
        columns = [Column(_("Age")), Column(_("Tickets"), "count")]
        table = Table("backlog", _("Backlog ageing"), columns)
        table.rows = [[str(label), buckets[key]] for key, label in BACKLOG_LABELS.items()]
        return table

    def _driver_columns(self, with_fact: bool) -> list[Column]:
        columns = [Column(_("Fact"))] if with_fact else []
        return columns + [
            Column(_("Value")),
            Column(_("Answers"), "count"),
            Column(_("CSAT %"), "percent"),
            Column(_("CSAT gap"), "gap1"),
            Column(_("NPS"), "score1"),
            Column(_("NPS gap"), "gap1"),
            Column(_("CES"), "score2"),
            Column(_("CES gap"), "gap2"),
        ]

    def _driver_rows(self, fact: str) -> list[list]:
        overall = self.current
        csat, nps, ces = (
            overall["csat"]["percent"],
            overall["nps"]["score"],
            overall["ces"]["average"],
        )
        return [
            [
                driver_label(fact, row["value"]),
                row["responses"],
                row["csat"],
                _gap(row["csat"], csat, 1),
                row["nps"],
                _gap(row["nps"], nps, 1),
                row["ces"],
                _gap(row["ces"], ces, 2),
            ]
            for row in ordered_drivers(fact, self.drivers[fact])
        ]

    def driver_table(self, fact: str) -> Table:
        return Table(
            f"drivers-{fact}",
            DRIVER_TITLES[fact],
            self._driver_columns(with_fact=False),
            self._driver_rows(fact),
        )

    def driver_tables(self) -> list[Table]:
        return [self.driver_table(fact) for fact in definitions.DRIVER_NAMES]

    def all_drivers_table(self) -> Table:
        table = Table("drivers", _("Drivers"), self._driver_columns(with_fact=True))
        for fact in definitions.DRIVER_NAMES:
            table.rows += [[str(DRIVER_TITLES[fact]), *row] for row in self._driver_rows(fact)]
        return table

    def agent_table(self) -> Table:
        labels = dimension_labels("agent", self.agents)
        table = Table(
            "agents",
            _("Agents"),
            [
                Column(_("Agent")),
                Column(_("Volume"), "count"),
                Column(_("FRT median"), "duration"),
                Column(_("ART median"), "duration"),
                Column(_("FCR %"), "percent"),
                Column(_("CSAT %"), "percent"),
                Column(_("NPS"), "score1"),
                Column(_("Answers"), "count"),
            ],
        )
        keys = sorted(self.agents, key=lambda key: (key is None, labels[key].lower()))
        for key in keys:
            detail = self.agents[key]
            created, resolved, survey = detail["created"], detail["resolved"], detail["survey"]
            table.rows.append(
                [
                    labels[key],
                    created["volume"],
                    created["frt"]["median"],
                    resolved["art"]["median"],
                    resolved["fcr"]["percent"],
                    survey["csat"]["percent"],
                    survey["nps"]["score"],
                    survey["responses"],
                ]
            )
        return table

    def chart_data(self) -> dict:
        """Series and translated labels for static/js/dashboard.js."""

        def hours(seconds):
            return None if seconds is None else round(seconds / 3600, 2)

        survey = [point["detail"] for point in self.survey_series]
        created = [point["detail"] for point in self.created_series]
        resolved = [point["detail"] for point in self.resolved_series]
        frt = [c["frt"]["median"] for c in created]
        art = [r["art"]["median"] for r in resolved]
        channels = self.channel_table()
        backlog = self.backlog_table()
        return {
            "interval": self.interval,
            "trend": {
                "labels": [
                    self.bucket_label(date.fromisoformat(p["bucket"])) for p in self.survey_series
                ],  # fmt: skip
                "csat": [s["csat"]["percent"] for s in survey],
                "nps": [s["nps"]["score"] for s in survey],
                "promoters": [s["nps"]["promoters"] for s in survey],
                "passives": [s["nps"]["passives"] for s in survey],
                "detractors": [s["nps"]["detractors"] for s in survey],
                "ces": [s["ces"]["average"] for s in survey],
                "frt": [hours(v) for v in frt],
                "frtText": [format_value(v, "duration") for v in frt],
                "art": [hours(v) for v in art],
                "artText": [format_value(v, "duration") for v in art],
                "volume": [c["volume"] for c in created],
            },
            "channels": {
                "labels": [row[0] for row in channels.rows],
                "values": [row[1] for row in channels.rows],
            },
            "backlog": {
                "labels": [row[0] for row in backlog.rows],
                "values": [row[1] for row in backlog.rows],
            },
            "names": {
                "csat": _("CSAT %"),
                "nps": _("NPS"),
                "promoters": _("Promoters"),
                "passives": _("Passives"),
                "detractors": _("Detractors"),
                "answers": _("Answers"),
                "ces": _("CES (1–7)"),
                "frt": _("First response (median)"),
                "art": _("Resolution (median)"),
                "hours": _("hours"),
                "volume": _("Tickets created"),
                "tickets": _("Tickets"),
            },
        }

    # --- the export registry ---

    def table(self, name: str) -> Table:
        if (
            name.startswith("drivers-")
            and name.removeprefix("drivers-") in definitions.DRIVER_NAMES
        ):
            return self.driver_table(name.removeprefix("drivers-"))
        builders = {
            "summary": self.summary_table,
            "trend": self.trend_table,
            "channels": self.channel_table,
            "backlog": self.backlog_table,
            "drivers": self.all_drivers_table,
            "agents": self.agent_table,
        }
        if name not in builders:
            raise Http404
        return builders[name]()


EXPORTS = {
    "summary",
    "trend",
    "channels",
    "backlog",
    "drivers",
    "agents",
    *(f"drivers-{fact}" for fact in definitions.DRIVER_NAMES),
}


# --- views ------------------------------------------------------------------------------------


def _is_manager(user) -> bool:
    return user.role in MANAGER_ROLES


def _period_text(period: kpis.Period) -> str:
    last = period.end_date - timedelta(days=1)
    if last <= period.start_date:
        return date_format(period.start_date, "DATE_FORMAT")
    return f"{date_format(period.start_date, 'DATE_FORMAT')} – {date_format(last, 'DATE_FORMAT')}"


def _page(request, *, agent: User | None):
    """The dashboard: everyone's tickets (managers) or `agent`'s own."""
    own = agent is not None
    form = DashboardFilterForm(request.GET, agent_scope=own)
    context = {
        "nav": "dashboard",
        "own": own,
        "form": form,
        "page_url": request.path,
    }
    if not form.is_valid():
        return render(request, "metrics/dashboard.html", context, status=400)
    with kpis.one_reading():
        return _render_page(request, form, context, agent)


def _render_page(request, form, context: dict, agent: User | None):
    period = form.kpi_period()
    board = Dashboard(period, form.kpi_filters(agent))
    query = form.query()
    context.update(
        {
            "board": board,
            "cards": board.cards(),
            "charts": board.chart_data(),
            "driver_tables": board.driver_tables(),
            "agent_table": None if agent is not None else board.agent_table(),
            "period_text": _period_text(period),
            "previous_text": _period_text(period.previous()),
            "custom": form.preset == CUSTOM,
            "export_query": urlencode(query),
            "filtered": any(key != "period" for key in query) or "period" in request.GET,
        }
    )
    form.show_dates(period)
    return render(request, "metrics/dashboard.html", context)


@staff_required
@require_GET
def dashboard(request):
    """Managers and admins: every ticket. Agents have their own dashboard (403 here)."""
    if not _is_manager(request.user):
        raise PermissionDenied
    return _page(request, agent=None)


@staff_required
@require_GET
def my_dashboard(request):
    """The same KPIs over the caller's own tickets, whatever the query string says."""
    return _page(request, agent=request.user)


@staff_required
@require_GET
def export(request, table: str):
    """One table of the dashboard as CSV, for the same period and filters. Agents get their
    own numbers, as on their dashboard."""
    if table not in EXPORTS:
        raise Http404
    agent = None if _is_manager(request.user) else request.user
    form = DashboardFilterForm(request.GET, agent_scope=agent is not None)
    if not form.is_valid():
        errors = "\n".join(
            f"{name}: {' '.join(messages)}" for name, messages in form.errors.items()
        )
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    period = form.kpi_period()
    with kpis.one_reading():
        data = Dashboard(period, form.kpi_filters(agent)).table(table)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    # The byte-order mark tells Excel the file is UTF-8 (accents come out right).
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([neutralise(cell) for cell in data.csv_header()])
    writer.writerows(data.csv_rows())
    last = period.end_date - timedelta(days=1)
    filename = f"pulso-{table}-{period.start_date.isoformat()}-{last.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
