"""A coaching goal's progress is the KPI engine's own figure for the agent and the goal's
dates, and its status follows the calendar."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from metrics import kpis
from metrics.kpis import Filters, Period
from quality import kpis as quality_kpis
from quality.errors import QualityError, QualityPermissionDenied
from quality.goals import GoalStatus, goal_progress, progress_of, target_error
from quality.models import CoachingGoal
from quality.services.coaching import set_goal, update_goal

from .coaching_fixtures import completed_review, goal, local, worked_ticket

START = date(2026, 3, 2)
DUE = date(2026, 3, 31)
MID = date(2026, 3, 15)  # "today" while the goal runs


@pytest.fixture
def ana_worked(ana, bruno, team_n1):
    """Ana's March: five tickets, FRT 1, 2, 3, 4, 10 h, resolved after 5, 6, 7, 8, 20 h,
    CSAT 5, 4, 2, 5, (none); one escalated. Bruno's ticket (FRT 30 min) must not count."""
    rows = [(1, 5, 5), (2, 6, 4), (3, 7, 2), (4, 8, 5), (10, 20, None)]
    for n, (frt, art, csat) in enumerate(rows):
        worked_ticket(
            agent=ana,
            team=team_n1,
            created=local(START + timedelta(days=n), 9),
            first_reply_after=timedelta(hours=frt),
            resolve_after=timedelta(hours=art),
            csat=csat,
            escalate=n == 4,
        )
    worked_ticket(
        agent=bruno,
        team=team_n1,
        created=local(START, 9),
        first_reply_after=timedelta(minutes=30),
        resolve_after=timedelta(hours=1),
        csat=1,
    )


def engine(agent, start, end):
    return kpis.summary(Period.of(start, end), Filters(agent=agent.pk))


def test_csat_progress_is_the_engines_csat_for_the_agent_with_its_answers(ana, marta, ana_worked):
    g = goal(agent=ana, by=marta, kpi="csat", target="80", starts_on=START, due_on=DUE)
    progress = goal_progress(g, today=MID)
    figure = engine(ana, START, MID + timedelta(days=1))["csat"]
    assert progress.value == figure["percent"] == 75.0  # 3 of 4 answers are 4 or 5
    assert progress.sample == figure["responses"] == 4
    assert progress.sample_unit == "answers"
    assert progress.met_so_far is False
    assert progress.status == GoalStatus.OFF_TRACK


def test_frt_median_progress_is_the_engines_median_in_hours(ana, marta, ana_worked):
    g = goal(
        agent=ana, by=marta, kpi="frt_median", target="4", comparison="at_most",
        starts_on=START, due_on=DUE,
    )  # fmt: skip
    progress = goal_progress(g, today=MID)
    frt = engine(ana, START, MID + timedelta(days=1))["frt"]
    assert frt["median"] == 3 * 3600
    assert progress.value == frt["median"] / 3600 == 3.0
    assert progress.sample == frt["count"] == 5
    assert progress.status == GoalStatus.ON_TRACK


@pytest.mark.parametrize(
    ("kpi", "read"),
    [
        ("art_median", lambda s: round(s["art"]["median"] / 3600, 2)),
        ("fcr", lambda s: s["fcr"]["percent"]),
        ("reopen_rate", lambda s: s["reopen_rate"]),
        ("escalation_rate", lambda s: s["escalation_rate"]),
        ("nps", lambda s: s["nps"]["score"]),
        ("ces", lambda s: s["ces"]["average"]),
    ],
)
def test_every_kpi_reads_the_engines_figure_for_the_same_period(ana, marta, ana_worked, kpi, read):
    g = goal(agent=ana, by=marta, kpi=kpi, target="1", starts_on=START, due_on=DUE)
    assert goal_progress(g, today=MID).value == read(engine(ana, START, MID + timedelta(days=1)))


def test_the_engine_figures_behind_the_goals_are_the_hand_computed_ones(ana, marta, ana_worked):
    summary = engine(ana, START, MID + timedelta(days=1))
    assert summary["art"]["median"] == 7 * 3600
    assert summary["escalation_rate"] == 20.0  # 1 of 5 tickets escalated
    assert summary["fcr"]["percent"] == 80.0  # the escalated one is not a first contact


def test_a_goal_past_its_due_date_reads_the_whole_goal_period(ana, marta, ana_worked):
    g = goal(agent=ana, by=marta, kpi="csat", target="70", starts_on=START, due_on=MID)
    progress = goal_progress(g, today=DUE + timedelta(days=30))
    assert (progress.period_start, progress.period_end) == (START, MID + timedelta(days=1))
    assert progress.is_due
    assert progress.final_value == engine(ana, START, MID + timedelta(days=1))["csat"]["percent"]
    assert progress.status == GoalStatus.MET


def test_statuses_around_the_dates(ana, marta, ana_worked):
    at_least_80 = goal(agent=ana, by=marta, kpi="csat", target="80", starts_on=START, due_on=MID)
    at_least_70 = goal(agent=ana, by=marta, kpi="csat", target="70", starts_on=START, due_on=MID)
    # running, but before the agent's first answer: no data yet
    early = goal(
        agent=ana,
        by=marta,
        kpi="csat",
        target="80",
        starts_on=START - timedelta(days=7),
        due_on=MID,
    )
    assert goal_progress(early, today=START - timedelta(days=1)).status == GoalStatus.NO_DATA
    assert goal_progress(early, today=START).status == GoalStatus.ON_TRACK  # CSAT 5 that day
    # while it runs, by the figure so far
    assert goal_progress(at_least_80, today=MID).status == GoalStatus.OFF_TRACK
    assert goal_progress(at_least_70, today=MID).status == GoalStatus.ON_TRACK
    assert goal_progress(at_least_80, today=MID).final_value is None  # not due yet
    # the day after its due date
    after = MID + timedelta(days=1)
    assert goal_progress(at_least_80, today=after).status == GoalStatus.MISSED
    assert goal_progress(at_least_70, today=after).status == GoalStatus.MET


def test_a_goal_not_started_yet_has_no_data(ana, marta, ana_worked):
    g = goal(agent=ana, by=marta, kpi="csat", target="70", starts_on=MID, due_on=DUE)
    progress = goal_progress(g, today=START)
    assert (progress.value, progress.sample, progress.status) == (None, 0, GoalStatus.NO_DATA)


def test_a_goal_due_without_any_data_is_missed(ana, marta, db):
    g = goal(agent=ana, by=marta, kpi="nps", target="10", starts_on=START, due_on=MID)
    assert goal_progress(g, today=DUE).status == GoalStatus.MISSED


def test_iqs_progress_is_the_mean_of_the_agents_completed_reviews(ana, bruno, marta, team_n1):
    ticket = worked_ticket(
        agent=ana, team=team_n1, created=local(START, 9), first_reply_after=timedelta(hours=1),
        resolve_after=timedelta(hours=2),
    )  # fmt: skip
    completed_review(ticket=ticket, agent=ana, reviewer=marta, score="80", at=local(START, 15))
    completed_review(ticket=ticket, agent=ana, reviewer=marta, score="95", at=local(MID, 15))
    completed_review(ticket=ticket, agent=ana, reviewer=marta, score="10", at=local(DUE, 15))
    g = goal(agent=ana, by=marta, kpi="iqs", target="85", starts_on=START, due_on=DUE)
    progress = goal_progress(g, today=MID)
    assert (progress.value, progress.sample, progress.sample_unit) == (87.5, 2, "reviews")
    figure = quality_kpis.iqs(Period.of(START, MID + timedelta(days=1)), Filters(agent=ana.pk))
    assert (progress.value, progress.sample) == (figure["iqs"], figure["reviews"])
    assert progress.status == GoalStatus.ON_TRACK


def test_goals_asking_the_same_question_share_one_reading(
    ana, marta, ana_worked, django_assert_max_num_queries
):
    goals = [
        goal(agent=ana, by=marta, kpi="csat", target=str(t), starts_on=START, due_on=DUE)
        for t in (50, 60, 70, 80)
    ]
    with django_assert_max_num_queries(6):
        progress = progress_of(goals, today=MID)
    assert {p.status for p in progress} == {GoalStatus.ON_TRACK, GoalStatus.OFF_TRACK}


# --- what a goal may be ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kpi", "good", "bad"),
    [
        ("csat", ["0", "100"], ["-0.01", "100.01"]),
        ("fcr", ["0", "100"], ["101"]),
        ("reopen_rate", ["5"], ["-1"]),
        ("escalation_rate", ["100"], ["150"]),
        ("iqs", ["90"], ["100.5"]),
        ("nps", ["-100", "0", "100"], ["-101", "101"]),
        ("ces", ["1", "7"], ["0.99", "7.01"]),
        ("frt_median", ["0.01", "1000"], ["0", "-2"]),
        ("art_median", ["48"], ["0"]),
    ],
)
def test_targets_must_lie_in_the_kpis_range(kpi, good, bad):
    assert all(target_error(kpi, Decimal(value)) is None for value in good)
    assert all(target_error(kpi, Decimal(value)) for value in bad)


def test_setting_a_goal_refuses_every_wrong_field_at_once_and_writes_nothing(ana, marta):
    with pytest.raises(QualityError) as refused:
        set_goal(
            by=marta, agent=ana, kpi="ces", comparison="at_least", target=Decimal("8"),
            starts_on=DUE, due_on=START,
        )  # fmt: skip
    assert set(refused.value.errors) == {"target", "due_on"}
    assert not CoachingGoal.objects.exists()


@pytest.mark.parametrize(
    ("starts_on", "due_on", "refused"),
    [
        (date(1969, 12, 31), DUE, {"starts_on"}),
        (START, date(9999, 12, 31), {"due_on"}),
        (date(1, 1, 1), date(9999, 12, 31), {"starts_on", "due_on"}),
    ],
)
def test_goal_dates_outside_the_apps_range_are_refused(ana, marta, starts_on, due_on, refused):
    with pytest.raises(QualityError) as error:
        set_goal(
            by=marta, agent=ana, kpi="csat", comparison="at_least", target=Decimal("80"),
            starts_on=starts_on, due_on=due_on,
        )  # fmt: skip
    assert set(error.value.errors) == refused
    assert all(
        message == "Choose a date from 1970-01-01 to 2100-01-01."
        for message in error.value.errors.values()
    )
    assert not CoachingGoal.objects.exists()


def test_an_agent_cannot_set_goals(ana, bruno):
    with pytest.raises(QualityPermissionDenied):
        set_goal(
            by=ana, agent=bruno, kpi="csat", comparison="at_least", target=Decimal("80"),
            starts_on=START, due_on=DUE,
        )  # fmt: skip


def test_goals_are_kept_for_agents_only(marta, adrian):
    with pytest.raises(QualityError) as refused:
        set_goal(
            by=adrian, agent=marta, kpi="csat", comparison="at_least", target=Decimal("80"),
            starts_on=START, due_on=DUE,
        )  # fmt: skip
    assert set(refused.value.errors) == {"agent"}


def test_updating_a_goal_checks_the_same_rules(ana, marta):
    g = set_goal(
        by=marta, agent=ana, kpi="csat", comparison="at_least", target=Decimal("80"),
        starts_on=START, due_on=DUE,
    )  # fmt: skip
    with pytest.raises(QualityError):
        update_goal(
            goal=g, by=marta, kpi="nps", comparison="at_least", target=Decimal("-150"),
            starts_on=START, due_on=DUE,
        )  # fmt: skip
    g.refresh_from_db()
    assert (g.kpi, g.target) == ("csat", Decimal("80.00"))


def test_a_session_dated_outside_the_apps_range_is_refused(ana, marta):
    from quality.models_coaching import CoachingSession
    from quality.services.coaching import record_session

    with pytest.raises(QualityError) as error:
        record_session(by=marta, agent=ana, held_on=date(9999, 1, 1), notes="Revisamos tonos.")
    assert error.value.errors == {"held_on": "Choose a date from 1970-01-01 to 2100-01-01."}
    assert not CoachingSession.objects.exists()
