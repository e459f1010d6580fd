"""Everything the dashboard shows for one period and one set of filters, asked of the
engine (`metrics.kpis`) once each, and the tables it can export."""

from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.conf import settings
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from .. import confidence, definitions, kpis
from ..drilldown import Part, Segment, bucket_period, drill_url
from ..explain import DECOMPOSED_DIMENSIONS, explain_many, reads_rollups
from ..kpis import (
    ChurnGroup,
    ChurnSplit,
    DriverRow,
    FamiliesByGroup,
    GroupKey,
    KpiValues,
    SeriesPoint,
    VolumeRow,
)
from .cards import KPI_CARDS, Card, Kpi, card
from .explanations import EXPLAINED_CARDS, CardExplanation, card_explanation
from .formatting import Number, difference, format_value, sample_words
from .labels import (
    BACKLOG_LABELS,
    CHURN_SPLIT_TITLES,
    DRIVER_TITLES,
    churn_group_label,
    dimension_labels,
    driver_label,
    ordered_drivers,
)
from .tables import Column, Table


def _gap(value: Number | None, overall: Number | None, decimals: int) -> float | None:
    if value is None or overall is None:
        return None
    return float(
        (Decimal(str(value)) - Decimal(str(overall))).quantize(Decimal(1).scaleb(-decimals))
    )


def interval_for(period: kpis.Period) -> str:
    """Daily buckets up to a month, weekly up to two years, monthly beyond."""
    days = (period.end_date - period.start_date).days
    return "day" if days <= 31 else "week" if days <= 731 else "month"


GRAINS = ("day", "week", "month")


def sampled_interval(period: kpis.Period, answers: int, min_sample: int) -> str:
    """The finest grain, from the one the period's length allows, whose points hold on
    average at least `min_sample` answers (docs/kpis.md: a figure below it is read with
    care); the coarsest when none does. A period without answers keeps its finest grain:
    coarser points would protect nothing."""
    candidates = GRAINS[GRAINS.index(interval_for(period)) :]
    if not answers:
        return candidates[0]
    for interval in candidates:
        if answers >= min_sample * len(kpis.buckets(period, interval)):
            return interval
    return candidates[-1]


# The agents table's figure columns → the KPI whose list each cell opens.
AGENT_COLUMN_KPIS = (
    (0, "volume"),
    (1, "volume"),
    (2, "frt_median"),
    (3, "art_median"),
    (4, "fcr"),
    (5, "csat"),
    (6, "nps"),
    (7, "responses"),
)


class Dashboard:
    """Everything the page shows for one period and one set of filters, each part computed
    by the engine the first time it is asked for."""

    def __init__(self, period: kpis.Period, filters: kpis.Filters, points: str = "") -> None:
        self.period = period
        self.filters = filters
        self.points = points  # the grain the user chose; "" chooses by the sample
        self.min_sample = confidence.min_sample()

    @cached_property
    def interval(self) -> str:
        if self.points:
            return self.points
        return sampled_interval(self.period, self.answers, self.min_sample)

    @property
    def answers(self) -> int:
        """The period's answers to the most asked question: the scarcest sample of the
        charts (survey answers are fewer than tickets)."""
        return max(int(self.current[survey]["responses"]) for survey in ("csat", "nps", "ces"))

    def interval_note(self) -> str:
        """Which grain the charts use and why, and what a hollow point means."""
        names = {
            "day": _("Daily points"),
            "week": _("Weekly points"),
            "month": _("Monthly points"),
        }
        text = str(names[self.interval])
        if not self.points and self.interval != interval_for(self.period):
            finer = GRAINS[GRAINS.index(self.interval) - 1]
            per_point = self.answers / len(kpis.buckets(self.period, finer))
            text += " · " + _(
                "chosen so that each holds about %(min)s answers or more "
                "(%(finer)s ones would hold %(each)s on average)"
            ) % {
                "min": self.min_sample,
                "finer": {"day": _("daily"), "week": _("weekly")}[finer],
                "each": number_format(round(per_point, 1), 1),
            }
        return (
            text
            + ". "
            + _("Hollow points have fewer than %(min)s in their sample.") % {"min": self.min_sample}
        )

    # --- the engine's answers ---

    @cached_property
    def current(self) -> KpiValues:
        return kpis.summary(self.period, self.filters)

    @cached_property
    def previous(self) -> KpiValues:
        return kpis.summary(self.period.previous(), self.filters)

    def _series(self, kpi: str) -> list[SeriesPoint]:
        return kpis.timeseries(kpi, self.interval, self.period, self.filters)

    @cached_property
    def survey_series(self) -> list[SeriesPoint]:
        return self._series("csat")  # the detail holds NPS and CES of the same buckets

    @cached_property
    def created_series(self) -> list[SeriesPoint]:
        return self._series("volume")  # … and FRT

    @cached_property
    def resolved_series(self) -> list[SeriesPoint]:
        return self._series("art_median")

    @cached_property
    def channels(self) -> list[VolumeRow]:
        return kpis.volume_by("channel", self.period, self.filters)

    @cached_property
    def drivers(self) -> dict[str, list[DriverRow]]:
        return kpis.drivers(self.period, self.filters)

    @cached_property
    def agents(self) -> FamiliesByGroup:
        return kpis.many_breakdowns("agent", self.period, self.filters)

    @cached_property
    def churn(self) -> ChurnSplit:
        return kpis.churn_split(self.period)  # all customers: the filters do not apply

    # --- what the page shows ---

    def shown_kpis(self) -> list[Kpi]:
        """Every card, except the SLA ones on a desk whose tickets have no SLA clocks (docs/kpis.md:
        only where SLA policies exist)."""
        return [
            kpi
            for kpi in KPI_CARDS
            if kpi.sample != "sla" or kpi.count(self.current) or kpi.count(self.previous)
        ]

    def explained_dimensions(self) -> list[str]:
        """A dimension the filters fix has one value: it explains nothing."""
        return [by for by in DECOMPOSED_DIMENSIONS if getattr(self.filters, by) in (None, "")]

    # --- the tickets behind every number (docs/drilldown.md) ---

    def drill(
        self,
        kpi: str,
        *,
        segment: Segment | None = None,
        part: Part = False,
        period: kpis.Period | None = None,
        age: str | None = None,
    ) -> str | None:
        """The list a figure was computed from, with the page's filters and period."""
        return drill_url(
            kpi, period or self.period, self.filters, segment=segment, part=part, age=age
        )

    def _line_drill(self, kpi: str, dimension: str, key: GroupKey, previous: bool) -> str | None:
        period = self.period.previous() if previous else self.period
        return self.drill(kpi, segment=(dimension, key), period=period)

    def explanations(self) -> dict[str, CardExplanation]:
        """Each explained card's ranked terms (docs/kpis.md, "Why it moved"), the engine
        asked once per KPI family, dimension and period for all of them."""
        drill = self._line_drill
        shown = [kpi for kpi in self.shown_kpis() if kpi.key in EXPLAINED_CARDS]
        found = explain_many(
            [EXPLAINED_CARDS[kpi.key] for kpi in shown],
            self.period,
            self.filters,
            dimensions=self.explained_dimensions(),
        )
        return {
            kpi.key: card_explanation(kpi, found[EXPLAINED_CARDS[kpi.key]], drill) for kpi in shown
        }

    @cached_property
    def explanations_deferred(self) -> bool:
        """Whether the explanations come after the page (static/js: htmx, `metrics:why`): when
        the rollups cannot answer them and the tickets to read are many, the page shows its
        figures first rather than wait for the live reading."""
        if reads_rollups(self.period, self.filters, dimensions=self.explained_dimensions()):
            return False
        tickets = int(self.current["volume"]) + int(self.previous["volume"])
        return tickets > settings.EXPLAIN_INLINE_MAX_TICKETS

    def cards(self) -> list[Card]:
        explanations = {} if self.explanations_deferred else self.explanations()
        result = []
        for kpi in self.shown_kpis():
            shown = card(kpi, self.current, self.previous)
            if kpi.key in explanations:
                shown["explanation"] = explanations[kpi.key]
            elif self.explanations_deferred and kpi.key in EXPLAINED_CARDS:
                shown["explanation_deferred"] = True
            shown["href"] = self.drill(kpi.key)
            for bar in shown["distribution"]:
                bar["href"] = self.drill(kpi.key, part=bar["part"])
            result.append(shown)
        return result

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

    def _driver_rows(self, fact: str) -> list[list[Any]]:
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

    def _note_sample(self, table: Table, row: int, column: int, n: int, unit: str) -> None:
        """Every figure carries its sample; one under the minimum is muted (docs/kpis.md)."""
        table.notes[row, column] = sample_words(n, unit)
        if n < self.min_sample:
            table.muted_cells.add((row, column))

    def driver_table(self, fact: str) -> Table:
        table = Table(
            f"drivers-{fact}",
            DRIVER_TITLES[fact],
            self._driver_columns(with_fact=False),
            self._driver_rows(fact),
        )
        drivers = ordered_drivers(fact, self.drivers[fact])
        for index, driver in enumerate(drivers):
            segment = (f"driver:{fact}", driver["value"])
            self._link(table, index, 0, self.drill("responses", segment=segment))
            self._link(table, index, 1, self.drill("responses", segment=segment))
            # CSAT %, NPS, CES (their gaps follow each), each over its question's answers
            for column, kpi, n in (
                (2, "csat", driver["csat_n"]),
                (4, "nps", driver["nps_n"]),
                (6, "ces", driver["ces_n"]),
            ):
                self._note_sample(table, index, column, n, "answers")
                self._link(table, index, column, self.drill(kpi, segment=segment))
        return table

    @staticmethod
    def _link(table: Table, row: int, column: int, url: str | None) -> None:
        if url is not None:
            table.links[row, column] = url

    def driver_tables(self) -> list[Table]:
        return [self.driver_table(fact) for fact in definitions.DRIVER_NAMES]

    def all_drivers_table(self) -> Table:
        table = Table("drivers", _("Drivers"), self._driver_columns(with_fact=True))
        for fact in definitions.DRIVER_NAMES:
            table.rows += [[str(DRIVER_TITLES[fact]), *row] for row in self._driver_rows(fact)]
        return table

    def macro_table(self) -> Table:
        """docs/kpis.md: each macro's uses and what the tickets it was used on came to. The
        ticket filters do not apply (a macro's outcome covers the whole desk)."""
        table = Table(
            "macros",
            _("Macros"),
            [
                Column(_("Macro")),
                Column(_("Uses"), "count"),
                Column(_("Tickets resolved after it"), "count"),
                Column(_("CSAT %"), "percent"),
                Column(_("Answers"), "count"),
                Column(_("Reopen rate"), "percent"),
                Column(_("FCR"), "percent"),
            ],
        )
        for index, row in enumerate(kpis.macro_effectiveness(self.period)):
            table.rows.append(
                [
                    row["title"],
                    row["uses"],
                    row["resolved"],
                    row["csat"]["percent"],
                    row["csat"]["responses"],
                    row["reopen_rate"],
                    row["fcr"],
                ]
            )
            # The tickets resolved in the period after the macro: their count, reopen rate
            # and FCR are computed over them (desk-wide, as the table).
            used = kpis.Filters(macro=row["macro"])
            for column, kpi in ((2, "resolved"), (5, "reopen_rate"), (6, "fcr")):
                url = drill_url(kpi, self.period, used)
                self._link(table, index, column, url)
                table.notes[index, column] = sample_words(row["resolved"], "tickets")
            table.notes[index, 3] = sample_words(row["csat"]["responses"], "answers")
            if row["csat"]["responses"] < self.min_sample:
                table.muted_cells.add((index, 3))
        return table

    def _churn_groups(self) -> list[tuple[str, ChurnGroup]]:
        return [
            (split, group) for split, groups in self.churn["splits"].items() for group in groups
        ]

    def churn_table(self) -> Table:
        """docs/kpis.md, "Churn and experience": every group of every split with its counts,
        churn rate and interval; groups under KPI_MIN_SAMPLE customers greyed and marked."""
        table = Table(
            "churn",
            _("Churn and experience"),
            [
                Column(_("Split")),
                Column(_("Group")),
                Column(_("Customers at the start"), "count"),
                Column(_("Churned in the period"), "count"),
                Column(_("Churn rate"), "percent"),
                Column(_("Interval from (95 %)"), "percent"),
                Column(_("Interval to (95 %)"), "percent"),
                Column(_("Sample")),
            ],
        )
        for index, (split, group) in enumerate(self._churn_groups()):
            interval = group["interval"]
            table.rows.append(
                [
                    str(CHURN_SPLIT_TITLES[split]),
                    churn_group_label(split, group["group"]),
                    group["S"],
                    group["C"],
                    group["churn_rate"],
                    interval["low"] if interval else None,
                    interval["high"] if interval else None,
                    _("Small sample") if group["low_sample"] else "",
                ]
            )
            if group["low_sample"]:
                table.muted.add(index)
        return table

    def churn_chart(self) -> dict[str, Any]:
        """The churn table as static/js/dashboard.js draws it: a bar per group, its interval
        as a thin bar over it, small samples greyed; the tooltips written here, translated."""
        groups = self._churn_groups()
        tooltips = []
        for _split, group in groups:
            interval = group["interval"]
            text = ngettext(
                "%(churned)s of %(customers)s customer churned",
                "%(churned)s of %(customers)s customers churned",
                group["S"],
            ) % {
                "churned": format_value(group["C"], "count"),
                "customers": format_value(group["S"], "count"),
            }
            if interval:
                text += " · " + _("95 %%: %(low)s to %(high)s") % {
                    "low": format_value(interval["low"], "percent"),
                    "high": format_value(interval["high"], "percent"),
                }
            if group["low_sample"]:
                text += " · " + _("small sample")
            tooltips.append(text)
        return {
            "labels": [
                [str(CHURN_SPLIT_TITLES[split]), churn_group_label(split, group["group"])]
                for split, group in groups
            ],
            "splits": [split for split, _group in groups],
            "rates": [group["churn_rate"] for _split, group in groups],
            "intervals": [
                [group["interval"]["low"], group["interval"]["high"]] if group["interval"] else None
                for _split, group in groups
            ],
            "muted": [group["low_sample"] for _split, group in groups],
            "tooltips": tooltips,
            "names": {"rate": _("Churn rate %"), "interval": _("Interval (95 %)")},
        }

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
        for index, key in enumerate(keys):
            detail = self.agents[key]
            created, resolved, survey = detail["created"], detail["resolved"], detail["survey"]
            for column, n, unit in (
                (2, created["frt"]["count"], "tickets"),
                (3, resolved["art"]["count"], "tickets"),
                (4, resolved["fcr"]["resolved"], "tickets"),
                (5, survey["csat"]["responses"], "answers"),
                (6, survey["nps"]["responses"], "answers"),
            ):
                self._note_sample(table, index, column, n, unit)
            for column, kpi in AGENT_COLUMN_KPIS:
                self._link(table, index, column, self.drill(kpi, segment=("agent", key)))
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

    def chart_data(self) -> dict[str, Any]:
        """Series and translated labels for static/js/dashboard.js."""

        def hours(seconds: float | None) -> float | None:
            return None if seconds is None else round(seconds / 3600, 2)

        survey = [point["detail"] for point in self.survey_series]
        created = [point["detail"] for point in self.created_series]
        resolved = [point["detail"] for point in self.resolved_series]
        frt = [c["frt"]["median"] for c in created]
        art = [r["art"]["median"] for r in resolved]
        channels = self.channel_table()
        backlog = self.backlog_table()
        buckets = [
            bucket_period(self.period, point["bucket"], self.interval)
            for point in self.survey_series
        ]

        def links(kpi: str, part: Part = False) -> list[str | None]:
            return [self.drill(kpi, period=bucket, part=part) for bucket in buckets]

        channel_keys = sorted(self.channels, key=lambda row: -row["value"])  # as the table
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
                # Each point's sample: a point below the minimum is drawn hollow.
                "csatN": [s["csat"]["responses"] for s in survey],
                "npsN": [s["nps"]["responses"] for s in survey],
                "cesN": [s["ces"]["responses"] for s in survey],
                "frtN": [c["frt"]["count"] for c in created],
                "artN": [r["art"]["count"] for r in resolved],
            },
            "minSample": self.min_sample,
            # The list behind each point or bar (static/js/dashboard.js opens it on a click).
            "links": {
                "csat": links("csat"),
                "nps": links("nps"),
                # the NPS chart's bars: each group's answers of the bucket
                "promoters": links("nps", "promoters"),
                "passives": links("nps", "passives"),
                "detractors": links("nps", "detractors"),
                "ces": links("ces"),
                "frt": links("frt_median"),
                "art": links("art_median"),
                "volume": links("volume"),
                "channels": [
                    self.drill("volume", segment=("channel", row["key"])) for row in channel_keys
                ],
                "backlog": [self.drill("backlog", age=age) for age in BACKLOG_LABELS],
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
                "sample": _("Sample"),
                "few": _("few in the sample"),
            },
        }

    @staticmethod
    def chart_lists(charts: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
        """Each chart's points as links (label, list), written under the chart: a click on the
        canvas is for a mouse; these reach the same lists by keyboard and touch."""
        trend, links = charts["trend"], charts["links"]

        def paired(labels: list[str], urls: list[str | None]) -> list[tuple[str, str]]:
            return [(label, url) for label, url in zip(labels, urls, strict=True) if url]

        return {
            "csat": paired(trend["labels"], links["csat"]),
            "nps": paired(trend["labels"], links["nps"]),
            "ces": paired(trend["labels"], links["ces"]),
            "times": paired(trend["labels"], links["frt"]),
            "volume": paired(trend["labels"], links["volume"]),
            "channels": paired(charts["channels"]["labels"], links["channels"]),
            "backlog": paired(charts["backlog"]["labels"], links["backlog"]),
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
            "macros": self.macro_table,
            "churn": self.churn_table,
        }
        if name not in builders:
            raise LookupError(f"the dashboard has no table {name!r}")
        return builders[name]()


EXPORTS = {
    "summary",
    "trend",
    "channels",
    "backlog",
    "drivers",
    "agents",
    "macros",
    "churn",
    *(f"drivers-{fact}" for fact in definitions.DRIVER_NAMES),
}
# The desk-wide tables of the manager's dashboard: an agent's export of them is refused.
MANAGER_EXPORTS = {"macros", "churn"}
