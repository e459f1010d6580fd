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
from metrics.kpis import ByGroup, Filters, Grouping, KpiValues, Period

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
_Reader = tuple[str, Callable[[KpiValues], float | None], Callable[[KpiValues], int], str]
_ENGINE: dict[str, Callable[[Period, Filters, Grouping | None], ByGroup]] = {
    "survey": kpis.survey_kpis,
    "created": kpis.created_kpis,
    "resolved": kpis.resolved_kpis,
}
IQS_FAMILY = "iqs"  # quality/kpis.py, not the engine

_READERS: dict[str, _Reader] = {
    GoalKpi.CSAT: (
        "survey",
        lambda v: v["csat"]["percent"],
        lambda v: v["csat"]["responses"],
        "answers",
    ),
    GoalKpi.NPS: (
        "survey",
        lambda v: v["nps"]["score"],
        lambda v: v["nps"]["responses"],
        "answers",
    ),
    GoalKpi.CES: (
        "survey",
        lambda v: v["ces"]["average"],
        lambda v: v["ces"]["responses"],
        "answers",
    ),
    GoalKpi.FRT_MEDIAN: (
        "created",
        lambda v: _hours(v["frt"]["median"]),
        lambda v: v["frt"]["count"],
        "tickets",
    ),
    GoalKpi.ART_MEDIAN: (
        "resolved",
        lambda v: _hours(v["art"]["median"]),
        lambda v: v["art"]["count"],
        "tickets",
    ),
    GoalKpi.FCR: (
        "resolved",
        lambda v: v["fcr"]["percent"],
        lambda v: v["fcr"]["resolved"],
        "tickets",
    ),
    GoalKpi.REOPEN_RATE: (
        "resolved",
        lambda v: v["reopen_rate"],
        lambda v: v["resolved"],
        "tickets",
    ),
    GoalKpi.ESCALATION_RATE: (
        "created",
        lambda v: v["escalation_rate"],
        lambda v: v["volume"],
        "tickets",
    ),
    # KPI.md "IQS" of the agent, as quality/kpis.py computes it for the dashboards: the mean
    # score of the agent's reviews completed in the period, with the number of reviews.
    GoalKpi.IQS: (IQS_FAMILY, lambda v: v["iqs"], lambda v: v["reviews"], "reviews"),
}


def sample_unit(kpi: str) -> str:
    """What a goal's sample counts: survey answers, tickets or reviews."""
    return _READERS[kpi][3]


def _family_of_agents(family: str, period: Period, agent_ids: set[int]) -> dict[int, KpiValues]:
    """One reading of `family` for these agents: {agent: its figures}, an agent with nothing
    in the period left out. One agent is read filtered to them (as the dashboard does);
    several in one call grouped by agent, which answers each agent exactly as the filtered
    call would (the same rows, the same grain of the rollups, the same aggregates)."""
    if len(agent_ids) == 1:
        (agent_id,) = agent_ids
        filters = Filters(agent=agent_id)
        if family == IQS_FAMILY:
            return {agent_id: dict(quality_kpis.iqs(period, filters))}
        values = _ENGINE[family](period, filters, None).get(None)
        return {} if values is None else {agent_id: values}
    if family == IQS_FAMILY:
        iqs_rows = quality_kpis.iqs_by(period, Filters(), "agent")
        return {pk: dict(iqs_rows[pk]) for pk in agent_ids if pk in iqs_rows}
    rows = _ENGINE[family](period, Filters(), Grouping(by="agent"))
    return {pk: rows[pk] for pk in agent_ids if pk in rows}


def _reading(kpi: str, values: KpiValues | None) -> Reading:
    if values is None:
        return Reading(None, 0)
    _family, value, sample, _unit = _READERS[kpi]
    return Reading(value(values), sample(values))


def read_kpi(kpi: str, period: Period, agent_id: int) -> Reading:
    """The agent's figure of `kpi` over `period`, as metrics.kpis computes it."""
    return _reading(kpi, _family_of_agents(_READERS[kpi][0], period, {agent_id}).get(agent_id))


def iqs(period: Period, agent_id: int) -> Reading:
    """The agent's IQS over `period` (see `_READERS`)."""
    return read_kpi(GoalKpi.IQS, period, agent_id)


Question = tuple[str, date, date, int]  # (kpi, start, end, agent)


def read_all(questions: Iterable[Question]) -> dict[Question, Reading]:
    """Each question's reading, in one engine call per (family, start, end) whatever the
    number of agents and goals: an overview of every agent's goals costs a fixed number of
    queries. An empty period (start == end) reads None over 0 without asking."""
    asked = set(questions)
    wanted: dict[tuple[str, date, date], set[int]] = {}
    for kpi, start, end, agent_id in asked:
        if end > start:
            wanted.setdefault((_READERS[kpi][0], start, end), set()).add(agent_id)
    figures: dict[tuple[str, date, date], dict[int, KpiValues]] = {}
    with kpis.one_reading():  # the rollups' freshness is decided once for all of them
        for (family, start, end), agent_ids in wanted.items():
            period = Period.of(start, end)
            figures[(family, start, end)] = _family_of_agents(family, period, agent_ids)
    readings: dict[Question, Reading] = {}
    for kpi, start, end, agent_id in asked:
        found = figures.get((_READERS[kpi][0], start, end), {})
        readings[(kpi, start, end, agent_id)] = _reading(kpi, found.get(agent_id))
    return readings


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
    """The progress of several goals: goals that ask the same question share one reading, and
    goals over the same dates share one engine call whatever their agents (`read_all`)."""
    today = today or timezone.localdate()
    goals = list(goals)
    periods = [progress_period(goal, today) for goal in goals]
    readings = read_all(
        (goal.kpi, start, end, goal.agent_id)
        for goal, (start, end) in zip(goals, periods, strict=True)
    )
    result = []
    for goal, (start, end) in zip(goals, periods, strict=True):
        reading = readings[(goal.kpi, start, end, goal.agent_id)]
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
