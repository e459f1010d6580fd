"""IQS (KPI.md): the mean review score of reviews completed in the period, with its count,
per agent, per team (the reviewed ticket's) and for the desk; beside CSAT from the engine."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from metrics.kpis import Filters, Grouping, Period, survey_kpis
from quality.kpis import iqs, iqs_against_csat, iqs_by

from .conftest import completed_review, resolve

TODAY = timezone.localdate()
PERIOD = Period.of(TODAY - timedelta(days=6), TODAY + timedelta(days=1))


@pytest.fixture
def reviewed(ana, bruno, carla, team_n1, team_n2, marta, scorecard):
    """Ana 71.67 and 100, Bruno 0 (critical), Carla 50; one of Ana's completed 10 days ago
    (outside) at 20; one of Bruno's still to do."""
    ana1 = resolve(agent=ana, team=team_n1, csat=5)
    ana2 = resolve(agent=ana, team=team_n1, csat=2)
    completed_review(ticket=ana1, reviewer=marta, scorecard=scorecard, scores=[5, 3, 7])
    completed_review(ticket=ana2, reviewer=marta, scorecard=scorecard, scores=[5, 5, 10])
    completed_review(
        ticket=resolve(agent=bruno, team=team_n1, csat=4),
        reviewer=marta,
        scorecard=scorecard,
        scores=[5, 5, 0],
    )
    completed_review(
        ticket=resolve(agent=carla, team=team_n2),
        reviewer=marta,
        scorecard=scorecard,
        scores=[0, 5, 5],  # 100 × (0 + 2 + 1.5) / 6 = 58.33
    )
    with time_machine.travel(timezone.now() - timedelta(days=10)):
        old = resolve(agent=ana, team=team_n1)
        completed_review(ticket=old, reviewer=marta, scorecard=scorecard, scores=[1, 1, 1])
    from quality.services.reviews import start_review

    start_review(ticket=resolve(agent=bruno, team=team_n1), by=marta, scorecard=scorecard)


def test_the_desks_iqs_is_the_mean_of_the_periods_completed_reviews(reviewed):
    # (71.67 + 100 + 0 + 58.33) / 4 = 57.50
    assert iqs(PERIOD) == {"iqs": 57.5, "reviews": 4, "low_sample": True}


def test_iqs_per_agent_team_and_with_filters(reviewed, ana, bruno, carla, team_n1, team_n2):
    by_agent = iqs_by(PERIOD, Filters(), "agent")
    assert by_agent[ana.pk]["iqs"] == 85.84  # (71.67 + 100) / 2 = 85.835 → half up
    assert by_agent[ana.pk]["reviews"] == 2
    assert by_agent[bruno.pk]["iqs"] == 0.0
    assert by_agent[carla.pk]["iqs"] == 58.33
    by_team = iqs_by(PERIOD, Filters(), "team")
    assert by_team[team_n1.pk] == {"iqs": 57.22, "reviews": 3, "low_sample": True}
    assert by_team[team_n2.pk]["reviews"] == 1
    assert iqs(PERIOD, Filters(team=team_n2.pk))["iqs"] == 58.33
    assert iqs(PERIOD, Filters(agent=ana.pk))["reviews"] == 2


def test_an_empty_period_has_no_iqs(reviewed):
    empty = Period.of(TODAY + timedelta(days=5), TODAY + timedelta(days=6))
    assert iqs(empty) == {"iqs": None, "reviews": 0, "low_sample": True}


def test_iqs_against_csat_reads_csat_from_the_metrics_engine(reviewed, ana, bruno, carla):
    rows = {row["agent"]: row for row in iqs_against_csat(PERIOD)}
    engine = survey_kpis(PERIOD, Filters(), Grouping(by="agent"))
    assert rows[ana.pk]["csat"] == engine[ana.pk]["csat"]["percent"] == 50.0
    assert rows[ana.pk]["csat_answers"] == 2
    assert rows[ana.pk]["iqs"] == 85.84 and rows[ana.pk]["reviews"] == 2
    assert rows[bruno.pk]["csat"] == 100.0
    assert rows[carla.pk]["csat"] is None and rows[carla.pk]["csat_answers"] == 0
