"""How sure a figure is (docs/kpis.md, "Confidence and samples"): Wilson intervals, NPS's
margin, "few answers", "within noise", and chart points chosen by their sample."""

import re
from datetime import date, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from metrics import confidence
from metrics.confidence import Confidence, nps_margin, within_noise
from metrics.forms import DashboardFilterForm
from metrics.kpis import Period, wilson
from metrics.presentation.dashboard import sampled_interval
from tests.api.helpers import token_client
from tests.metrics.test_api import api
from tests.metrics.test_dashboard import DASHBOARD, cards, charts, handled  # noqa: F401

TODAY = timezone.localdate()
SEVEN_DAYS_AGO = (TODAY - timedelta(days=6)).isoformat()


# --- the arithmetic, against hand computations ------------------------------------------------


def test_kpi_md_wilson_vector_seven_of_ten():
    assert wilson(7, 10) == {"low": 39.7, "high": 89.2}


@pytest.mark.parametrize(
    ("part", "whole", "low", "high"),
    [
        (0, 1, 0.0, 79.3),  # nothing satisfied of one: still a wide range
        (1, 1, 20.7, 100.0),
        (50, 100, 40.4, 59.6),
        (900, 1000, 88.0, 91.7),
    ],
)
def test_wilson_intervals_by_hand(part, whole, low, high):
    assert wilson(part, whole) == {"low": low, "high": high}


def test_wilson_over_nothing_is_none():
    assert wilson(0, 0) is None


def test_kpi_md_nps_margin_of_the_twelve_answers():
    # 5 promoters, 4 detractors of 12: 100 · 1.96 · √((0.4167 + 0.3333 − 0.0833²) / 12) = 48.77
    assert nps_margin(5, 4, 12) == 48.8


def test_nps_margin_by_hand_for_a_larger_sample():
    # P = 0.30, D = 0.10, n = 100: 196 · √((0.4 − 0.04) / 100) = 11.76
    assert nps_margin(30, 10, 100) == 11.8
    assert nps_margin(0, 0, 0) is None
    assert nps_margin(12, 0, 12) == 0.0  # everyone a promoter: no spread


def test_a_change_is_noise_when_the_ranges_overlap():
    def figure(low, high):
        return Confidence(100, False, interval={"low": low, "high": high})

    assert within_noise(figure(60, 70), figure(65, 75))
    assert not within_noise(figure(60, 70), figure(71, 80))
    nps = Confidence(100, False, margin=5.0, value=20.0)
    assert within_noise(nps, Confidence(100, False, margin=5.0, value=29.0))
    assert not within_noise(nps, Confidence(100, False, margin=5.0, value=31.0))
    # without a range (a mean, a count) nothing is called noise
    assert not within_noise(Confidence(5, True), Confidence(5, True))


@override_settings(KPI_MIN_SAMPLE=30)
def test_the_minimum_sample_is_a_setting():
    assert confidence.of("ces", 29, {}).low_sample
    assert not confidence.of("ces", 30, {}).low_sample


# --- chart points chosen by their sample ------------------------------------------------------


def test_points_are_the_finest_grain_that_holds_the_minimum_on_average():
    month = Period.of(date(2026, 11, 1), date(2026, 12, 1))  # 30 days; 6 ISO weeks touched
    assert sampled_interval(month, 600, 20) == "day"  # 20 a day
    assert sampled_interval(month, 599, 20) == "week"
    assert sampled_interval(month, 120, 20) == "week"  # 6 weeks × 20
    assert sampled_interval(month, 119, 20) == "month"
    assert sampled_interval(month, 3, 20) == "month"  # none holds it: the coarsest
    assert sampled_interval(month, 0, 20) == "day"  # nothing to protect
    year = Period.of(date(2025, 12, 1), date(2026, 12, 1))
    assert sampled_interval(year, 100_000, 20) == "week"  # never finer than the length allows


def test_the_dashboard_says_which_points_it_chose_and_why(client, marta, ana, handled):  # noqa: F811
    for _ in range(3):
        handled(ana, csat=5)
    client.force_login(marta)
    response = client.get(DASHBOARD, {"period": "30"})
    data = charts(response)
    assert data["interval"] == "month"
    assert data["minSample"] == 20
    assert sum(data["trend"]["csatN"]) == 3
    html = response.content.decode()
    note = re.search(
        r'class="small text-body-secondary mb-2 dashboard-interval"[^>]*>(.*?)</p>', html
    )
    assert note and "Monthly points" in note.group(1)
    assert "Hollow points have fewer than 20" in note.group(1)


def test_the_user_can_choose_the_points(client, marta, ana, handled):  # noqa: F811
    handled(ana, csat=5)
    client.force_login(marta)
    data = charts(client.get(DASHBOARD, {"period": "30", "points": "day"}))
    assert data["interval"] == "day"
    assert len(data["trend"]["labels"]) == 30


def test_daily_points_over_years_are_refused_on_the_form(client, marta):
    client.force_login(marta)
    response = client.get(DASHBOARD, {"from": "2024-01-01", "to": "2026-01-01", "points": "day"})
    assert response.status_code == 400
    assert "Daily points are offered for periods of up to 366 days." in response.content.decode()
    form = DashboardFilterForm({"period": "this_year", "points": "day"}, today=TODAY)
    assert form.is_valid()


# --- the cards --------------------------------------------------------------------------------


def test_a_card_below_the_minimum_sample_is_muted_with_few_answers(client, marta, ana, handled):  # noqa: F811
    handled(ana, csat=5, nps=10)
    client.force_login(marta)
    response = client.get(DASHBOARD, {"period": "7"})
    shown = cards(response)
    assert shown["csat"]["low_sample"] and shown["csat"]["few"] == "Few answers"
    assert shown["frt"]["few"] == "Few tickets"
    assert not shown["volume"]["low_sample"]  # a count is not an estimate
    html = response.content.decode()
    csat = html[html.index('data-kpi="csat"') :]
    assert csat.startswith('data-kpi="csat"') and "kpi-few" in csat[:600]
    assert 'class="card h-100 kpi-card kpi-low-sample"' in html


def test_how_it_is_computed_shows_the_interval_and_the_margin(client, marta, ana, handled):  # noqa: F811
    for score in (5, 4, 2):
        handled(ana, csat=score, nps=9)
    client.force_login(marta)
    shown = cards(client.get(DASHBOARD, {"period": "7"}))
    low, high = (f"{value:.1f} %" for value in wilson(2, 3).values())
    assert shown["csat"]["confidence"] == [
        f"95 % interval (Wilson): {low} to {high}",
        "Previous period: —",
    ]
    assert shown["nps"]["confidence"][0] == "Margin of error (95 %): ± 0.0"


@pytest.fixture
def steady_then_better(ana, handled):  # noqa: F811
    """Forty answers a period: 20 satisfied of 40 before, 38 of 40 now — a real rise."""
    before = timezone.now() - timedelta(days=10)
    for index in range(40):
        handled(ana, at=before, csat=5 if index < 20 else 1)
        handled(ana, csat=5 if index < 38 else 1)


def test_a_change_beyond_the_noise_is_coloured(client, marta, steady_then_better):
    client.force_login(marta)
    shown = cards(client.get(DASHBOARD, {"period": "7"}))
    assert shown["csat"]["value"] == "95.0 %" and shown["csat"]["previous"] == "50.0 %"
    assert not shown["csat"]["noise"] and not shown["csat"]["low_sample"]
    assert shown["csat"]["delta"].css == "text-success"


def test_a_change_inside_the_noise_is_grey_and_labelled(client, marta, ana, handled):  # noqa: F811
    before = timezone.now() - timedelta(days=10)
    handled(ana, at=before, csat=2)
    handled(ana, csat=5)
    client.force_login(marta)
    response = client.get(DASHBOARD, {"period": "7"})
    csat = cards(response)["csat"]
    assert csat["noise"] and csat["delta"].css == "text-body-secondary kpi-noise"
    assert "within noise" in response.content.decode()


def test_the_summary_api_carries_each_kpis_confidence(marta, steady_then_better):
    body = token_client(marta).get(api("summary"), {"from": SEVEN_DAYS_AGO}).json()
    figure = body["confidence"]["csat"]
    assert figure["sample"] == 40 and figure["low_sample"] is False
    assert figure["interval"] == wilson(38, 40)
    assert body["confidence"]["volume"]["interval"] is None
    assert body["csat"]["responses"] == 40


def test_ces_percent_easy_carries_its_wilson_interval(client, marta, ana, handled):  # noqa: F811
    for score in (7, 6, 2):
        handled(ana, ces=score)
    client.force_login(marta)
    shown = cards(client.get(DASHBOARD, {"period": "7"}))
    low, high = (f"{value:.1f} %" for value in wilson(2, 3).values())
    assert shown["ces"]["confidence"][0] == f"% easy: 95 % interval (Wilson): {low} to {high}"
    body = token_client(marta).get(api("summary"), {"from": SEVEN_DAYS_AGO}).json()
    assert body["confidence"]["ces_percent_easy"]["interval"] == wilson(2, 3)
    assert body["confidence"]["ces_percent_easy"]["sample"] == 3


def test_a_driver_cells_sample_is_its_questions_answers(client, marta, ana, handled):  # noqa: F811
    handled(ana, csat=5, nps=9, ces=7)
    handled(ana, csat=4, nps=10)  # CES left unanswered
    client.force_login(marta)
    response = client.get(DASHBOARD, {"period": "7"})
    table = next(t for t in response.context["driver_tables"] if t.name == "drivers-escalated")
    assert table.rows[0][1] == 2  # answers in the row
    assert table.notes[0, 2] == "2 answers"  # CSAT
    assert table.notes[0, 6] == "1 answer"  # CES: one of them answered it
