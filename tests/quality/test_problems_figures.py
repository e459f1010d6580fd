"""A problem's figures equal a hand computation (docs/quality.md, "Problems: figures")."""

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from metrics.definitions import zone
from quality import problem_figures
from tests.quality.problem_fixtures import fix, open_ticket, problem_with, resolved_ticket


@pytest.fixture
def fixed_problem(ana, team_n1, marta):
    """Fixed 10 days ago. Before it: four resolved tickets (CSAT 5, 2, 4 and one unanswered;
    NPS 10, 3, 8; the first reopened once). After: two (CSAT 5, 4; NPS 9, 10; the second
    reopened). Plus one still open and one merged away: in neither side."""
    now = timezone.now()
    fixed_at = now - timedelta(days=10)
    before = [
        resolved_ticket(
            agent=ana, team=team_n1, at=fixed_at - timedelta(days=3), csat=5, nps=10, reopen=True
        ),
        resolved_ticket(agent=ana, team=team_n1, at=fixed_at - timedelta(days=2), csat=2, nps=3),
        resolved_ticket(agent=ana, team=team_n1, at=fixed_at - timedelta(hours=1), csat=4, nps=8),
        resolved_ticket(agent=ana, team=team_n1, at=fixed_at - timedelta(days=1)),
    ]
    after = [
        resolved_ticket(agent=ana, team=team_n1, at=fixed_at, csat=5, nps=9),
        resolved_ticket(
            agent=ana, team=team_n1, at=fixed_at + timedelta(days=2), csat=4, nps=10, reopen=True
        ),
    ]
    still_open = open_ticket(agent=ana, team=team_n1)
    merged = open_ticket(agent=ana, team=team_n1)
    case_services.merge_tickets(
        source=merged, target=still_open, by=ana, other_customer_confirmed=True
    )
    problem = problem_with(ana, [*before, *after, still_open, merged])
    return fix(problem, marta, at=fixed_at), before, after


def test_before_and_after_the_fix_equal_a_hand_computation(fixed_problem):
    problem, _before, _after = fixed_problem
    sides = problem_figures.before_after(problem)
    assert sides is not None
    before, after = sides["before"], sides["after"]
    # Before: 4 tickets; CSAT 2 of 3 answers at 4–5; NPS 1 promoter and 1 detractor of 3;
    # 1 of 4 tickets reopened.
    assert (before.tickets, before.csat, before.csat_answers) == (4, 66.7, 3)
    assert (before.nps, before.nps_answers) == (0.0, 3)
    assert (before.reopen_rate, before.reopened) == (25.0, 1)
    # After (resolved on or after the fix date): 2 tickets, 2 of 2 satisfied, 2 promoters of
    # 2, 1 of 2 reopened.
    assert (after.tickets, after.csat, after.csat_answers) == (2, 100.0, 2)
    assert (after.nps, after.nps_answers) == (100.0, 2)
    assert (after.reopen_rate, after.reopened) == (50.0, 1)
    # KPI_MIN_SAMPLE is 20: every figure here is marked.
    assert before.csat_low_sample and after.nps_low_sample and after.reopen_low_sample


def test_each_side_lists_its_tickets_on_the_problem_page(client, fixed_problem, marta):
    problem, before, after = fixed_problem
    client.force_login(marta)
    url = reverse("quality:problem_detail", args=[problem.pk])
    page = client.get(url).content.decode()
    assert "few answers" in page
    listed = client.get(url, {"show": "before"}).context["tickets"]
    assert {t.pk for t in listed} == {t.pk for t in before}
    listed = client.get(url, {"show": "after"}).context["tickets"]
    assert {t.pk for t in listed} == {t.pk for t in after}


def test_a_problem_not_fixed_has_no_before_and_after(ana, team_n1):
    problem = problem_with(ana, [open_ticket(agent=ana, team=team_n1)])
    assert problem_figures.before_after(problem) is None


def test_linked_tickets_are_counted_per_week_empty_weeks_included(ana, team_n1, client):
    monday = datetime(2026, 11, 2, 9, 0, tzinfo=zone())
    tickets = [
        open_ticket(agent=ana, team=team_n1, at=monday),
        open_ticket(agent=ana, team=team_n1, at=monday + timedelta(days=6, hours=14)),  # Sunday
        open_ticket(agent=ana, team=team_n1, at=monday + timedelta(days=14)),
    ]
    problem = problem_with(ana, tickets)
    weeks = problem_figures.weekly_counts(problem)
    assert [(w.isoformat(), n) for w, n in weeks] == [
        ("2026-11-02", 2),
        ("2026-11-09", 0),
        ("2026-11-16", 1),
    ]
    client.force_login(ana)
    url = reverse("quality:problem_detail", args=[problem.pk])
    listed = client.get(url, {"week": "2026-11-02"}).context["tickets"]
    assert {t.pk for t in listed} == {tickets[0].pk, tickets[1].pk}
    assert client.get(url, {"week": "not-a-date"}).status_code == 404


def test_the_figures_api_gives_the_same_numbers(client, fixed_problem, ana):
    problem, _before, _after = fixed_problem
    client.force_login(ana)
    body = client.get(reverse("quality-api:quality-problem-figures", args=[problem.pk])).json()
    assert body["before"]["csat"] == {
        "percent": 66.7,
        "responses": 3,
        "interval": body["before"]["csat"]["interval"],
        "low_sample": True,
    }
    assert body["after"]["reopen_rate"]["percent"] == 50.0
    assert body["before"]["nps"]["score"] == 0.0
