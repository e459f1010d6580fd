"""A coaching goal's progress, read from the KPI engine (metrics.kpis) for the goal's agent
and dates — never stored, so it always equals what the agent's dashboard says.

The progress period is `[starts_on, min(today + 1, due_on + 1))` in TIME_ZONE: the figure so
far while the goal runs, the whole goal period once it is due. Times are the engine's median
seconds in hours (two decimals); every other figure is the engine's own, as it rounds it.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from metrics import kpis
from metrics.kpis import Filters, KpiValues, Period

from . import kpis as quality_kpis
from .models_coaching import CoachingGoal, GoalComparison, GoalKpi

# --- what a target may be --------------------------------------------------------------------


@dataclass(frozen=True)
class KpiRange:
    """The values a KPI can take: `low` inclusive unless `low_open`, `high` inclusive."""

    low: Decimal
    high: Decimal | None
    low_open: bool = False

    def holds(self, value: Decimal) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        return above and (self.high is None or value <= self.high)


PERCENT = KpiRange(Decimal(0), Decimal(100))
HOURS = KpiRange(Decimal(0), None, low_open=True)
KPI_RANGES: dict[str, KpiRange] = {
    GoalKpi.CSAT: PERCENT,
    GoalKpi.NPS: KpiRange(Decimal(-100), Decimal(100)),
    GoalKpi.CES: KpiRange(Decimal(1), Decimal(7)),
    GoalKpi.FRT_MEDIAN: HOURS,
    GoalKpi.ART_MEDIAN: HOURS,
    GoalKpi.FCR: PERCENT,
    GoalKpi.REOPEN_RATE: PERCENT,
    GoalKpi.ESCALATION_RATE: PERCENT,
    GoalKpi.IQS: PERCENT,
}
TIME_KPIS = frozenset({GoalKpi.FRT_MEDIAN, GoalKpi.ART_MEDIAN})


def target_error(kpi: str, target: Decimal) -> str | None:
    """Why `target` cannot be a target of `kpi` (translated), or None if it can."""
    allowed = KPI_RANGES.get(kpi)
    if allowed is None:
        return str(_("Choose one of the KPIs offered."))
    if allowed.holds(target):
        return None
    if allowed.high is None:
        return str(_("A time target must be more than 0 hours."))
    return str(
        _("A %(kpi)s target must be between %(low)s and %(high)s.")
        % {"kpi": GoalKpi(kpi).label, "low": allowed.low, "high": allowed.high}
    )


# --- reading a KPI for one agent --------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """A KPI's figure (None over nothing) and the size of the sample behind it."""

    value: float | None
    sample: int


def sample_text(unit: str, n: int) -> str:
    """`n` with its unit, in the active language: "1 answer", "12 tickets"."""
    if unit == "answers":
        text = ngettext("%(n)s answer", "%(n)s answers", n)
    elif unit == "reviews":
        text = ngettext("%(n)s review", "%(n)s reviews", n)
    else:
        text = ngettext("%(n)s ticket", "%(n)s tickets", n)
    return text % {"n": n}


def _hours(seconds: int | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


# KPI → (engine family, the figure in the goal's unit, its sample, the sample's unit)
# (an engine family answers no row over nothing: the reading is then None over 0)
_Family = Callable[[Period, Filters], KpiValues | None]


def _survey(period: Period, filters: Filters) -> KpiValues | None:
    return kpis.survey_kpis(period, filters).get(None)


def _created(period: Period, filters: Filters) -> KpiValues | None:
    return kpis.created_kpis(period, filters).get(None)


def _resolved(period: Period, filters: Filters) -> KpiValues | None:
    return kpis.resolved_kpis(period, filters).get(None)


_READERS: dict[
    str, tuple[_Family, Callable[[KpiValues], float | None], Callable[[KpiValues], int], str]
] = {
    GoalKpi.CSAT: (
        _survey,
        lambda v: v["csat"]["percent"],
        lambda v: v["csat"]["responses"],
        "answers",
    ),
    GoalKpi.NPS: (_survey, lambda v: v["nps"]["score"], lambda v: v["nps"]["responses"], "answers"),
    GoalKpi.CES: (
        _survey,
        lambda v: v["ces"]["average"],
        lambda v: v["ces"]["responses"],
        "answers",
    ),
    GoalKpi.FRT_MEDIAN: (
        _created,
        lambda v: _hours(v["frt"]["median"]),
        lambda v: v["frt"]["count"],
        "tickets",
    ),
    GoalKpi.ART_MEDIAN: (
        _resolved,
        lambda v: _hours(v["art"]["median"]),
        lambda v: v["art"]["count"],
        "tickets",
    ),
    GoalKpi.FCR: (
        _resolved,
        lambda v: v["fcr"]["percent"],
        lambda v: v["fcr"]["resolved"],
        "tickets",
    ),
    GoalKpi.REOPEN_RATE: (
        _resolved,
        lambda v: v["reopen_rate"],
        lambda v: v["resolved"],
        "tickets",
    ),
    GoalKpi.ESCALATION_RATE: (
        _created,
        lambda v: v["escalation_rate"],
        lambda v: v["volume"],
        "tickets",
    ),
}


def iqs(period: Period, agent_id: int) -> Reading:
    """KPI.md "IQS" of the agent, as quality/kpis.py computes it for the dashboards: the mean
    score of the agent's reviews completed in the period, with the number of reviews."""
    figure = quality_kpis.iqs(period, Filters(agent=agent_id))
    return Reading(figure["iqs"], figure["reviews"])


def sample_unit(kpi: str) -> str:
    """What a goal's sample counts: survey answers, tickets or reviews."""
    return "reviews" if kpi == GoalKpi.IQS else _READERS[kpi][3]


def read_kpi(kpi: str, period: Period, agent_id: int) -> Reading:
    """The agent's figure of `kpi` over `period`, as metrics.kpis computes it."""
    if kpi == GoalKpi.IQS:
        return iqs(period, agent_id)
    family, value, sample, _unit = _READERS[kpi]
    values = family(period, Filters(agent=agent_id))
    if values is None:
        return Reading(None, 0)
    return Reading(value(values), sample(values))


# --- progress ---------------------------------------------------------------------------------


class GoalStatus:
    """Where a goal stands (the API's `status` values)."""

    NO_DATA = "no_data"
    ON_TRACK = "on_track"
    OFF_TRACK = "off_track"
    MET = "met"
    MISSED = "missed"

    LABELS: dict[str, Promise] = {
        NO_DATA: _("No data yet"),
        ON_TRACK: _("On track"),
        OFF_TRACK: _("Off track"),
        MET: _("Met"),
        MISSED: _("Missed"),
    }
    CHOICES = list(LABELS)


@dataclass(frozen=True)
class Progress:
    """A goal's figure so far over `[period_start, period_end)` (dates, the end exclusive)."""

    goal: CoachingGoal
    period_start: date
    period_end: date
    value: float | None
    sample: int
    sample_unit: str
    met_so_far: bool | None  # None: no figure yet
    status: str
    is_due: bool  # the due date has passed: `value` is the whole goal period's figure

    @property
    def status_label(self) -> str:
        return str(GoalStatus.LABELS[self.status])

    @property
    def sample_text(self) -> str:
        return sample_text(self.sample_unit, self.sample)

    @property
    def final_value(self) -> float | None:
        """The figure of the whole goal period, once it is due."""
        return self.value if self.is_due else None


def progress_period(goal: CoachingGoal, today: date) -> tuple[date, date]:
    """`[starts_on, min(today + 1, due_on + 1))`; empty (start == end) before the start."""
    end = min(today, goal.due_on) + timedelta(days=1)
    return goal.starts_on, max(end, goal.starts_on)


def is_met(goal: CoachingGoal, value: float) -> bool:
    figure = Decimal(str(value))
    if goal.comparison == GoalComparison.AT_MOST:
        return figure <= goal.target
    return figure >= goal.target


def goal_progress(goal: CoachingGoal, today: date | None = None) -> Progress:
    """The goal's progress on `today` (default: today in TIME_ZONE).

    Status: before the due date has passed, "no data" without a figure, else "on track" or
    "off track" by whether the figure so far meets the target; after it, "met" or "missed"
    (a goal with no figure at all by then is missed)."""
    return progress_of([goal], today)[0]


def progress_of(goals: Iterable[CoachingGoal], today: date | None = None) -> list[Progress]:
    """The progress of several goals; goals that ask the same question share one reading."""
    today = today or timezone.localdate()
    readings: dict[tuple[str, date, date, int], Reading] = {}
    result = []
    for goal in goals:
        start, end = progress_period(goal, today)
        key = (goal.kpi, start, end, goal.agent_id)
        if key not in readings:
            readings[key] = (
                read_kpi(goal.kpi, Period.of(start, end), goal.agent_id)
                if end > start
                else Reading(None, 0)
            )
        reading = readings[key]
        is_due = today > goal.due_on
        met = None if reading.value is None else is_met(goal, reading.value)
        if is_due:
            status = GoalStatus.MET if met else GoalStatus.MISSED
        elif met is None:
            status = GoalStatus.NO_DATA
        else:
            status = GoalStatus.ON_TRACK if met else GoalStatus.OFF_TRACK
        result.append(
            Progress(
                goal=goal,
                period_start=start,
                period_end=end,
                value=reading.value,
                sample=reading.sample,
                sample_unit=sample_unit(goal.kpi),
                met_so_far=met,
                status=status,
                is_due=is_due,
            )
        )
    return result
