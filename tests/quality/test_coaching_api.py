"""The coaching API: managers write sessions and goals for any agent, agents read their own,
and every refusal is a 4xx JSON body that says why."""

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse

from metrics import kpis
from metrics.kpis import Filters, Period
from quality.models import CoachingGoal, CoachingSession
from tests.api.helpers import token_client

from .coaching_fixtures import completed_review, goal, local, worked_ticket

TODAY = date(2026, 3, 15)
START = date(2026, 3, 1)
DUE = date(2026, 3, 31)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(local(TODAY, 10), tick=False):
        yield


def url(name, *args):
    return reverse(f"quality-api:{name}", args=args)


@pytest.fixture
def ana_goal(ana, marta):
    return goal(agent=ana, by=marta, kpi="csat", target="80", starts_on=START, due_on=DUE)


@pytest.fixture
def ana_session(ana, marta):
    return CoachingSession.objects.create(agent=ana, coach=marta, held_on=TODAY, notes="Greetings")


def goal_body(agent, **changes):
    body = {
        "agent": agent.pk, "kpi": "csat", "comparison": "at_least", "target": 85,
        "starts_on": "2026-03-01", "due_on": "2026-03-31", "note": "Warmer replies",
    }  # fmt: skip
    return body | changes


# --- goals ------------------------------------------------------------------------------------


def test_a_manager_sets_a_goal_and_reads_its_progress_from_the_engine(ana, marta, team_n1):
    for csat in (5, 5, 3):
        worked_ticket(
            agent=ana, team=team_n1, created=local(date(2026, 3, 10)),
            first_reply_after=timedelta(hours=1), resolve_after=timedelta(hours=2), csat=csat,
        )  # fmt: skip
    response = token_client(marta).post(
        url("quality-coaching-goal-list"), goal_body(ana), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    engine = kpis.summary(Period.of(START, TODAY + timedelta(days=1)), Filters(agent=ana.pk))
    assert body["agent"]["id"] == ana.pk
    assert body["target"] == 85.0
    assert body["progress"]["value"] == engine["csat"]["percent"] == 66.7
    assert body["progress"]["sample"] == 3
    assert body["progress"]["sample_unit"] == "answers"
    assert body["progress"]["status"] == "off_track"
    assert body["progress"]["period_from"] == "2026-03-01"
    assert body["progress"]["period_to"] == "2026-03-16"
    assert body["progress"]["final_value"] is None


def test_goals_with_bad_input_are_refused_with_reasons(ana, marta):
    client = token_client(marta)
    cases = [
        (goal_body(ana, target=101), "target"),
        (goal_body(ana, kpi="ces", target=0), "target"),
        (goal_body(ana, kpi="frt_median", target=0), "target"),
        (goal_body(ana, due_on="2026-02-01"), "due_on"),
        (goal_body(ana, kpi="speed"), "kpi"),
        (goal_body(ana, target="85"), "target"),  # a string is not a number
        (goal_body(ana, target=1e12), "target"),
        (goal_body(ana, starts_on="yesterday"), "starts_on"),
        (goal_body(ana) | {"agent": marta.pk}, "agent"),  # a manager has no goals
        (goal_body(ana) | {"agent": 999999}, "agent"),
        (goal_body(ana, colour="red"), "colour"),
    ]
    for body, field in cases:
        response = client.post(url("quality-coaching-goal-list"), body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert field in response.json(), (body, response.json())
    assert (
        client.post(
            url("quality-coaching-goal-list"), "[1", content_type="application/json"
        ).status_code
        == 400
    )
    assert client.post(url("quality-coaching-goal-list"), [1, 2], format="json").status_code == 400
    assert not CoachingGoal.objects.exists()


def test_a_manager_changes_and_deletes_a_goal(marta, ana_goal):
    client = token_client(marta)
    response = client.patch(
        url("quality-coaching-goal-detail", ana_goal.pk), {"target": 90}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["target"] == 90.0
    assert response.json()["kpi"] == "csat"  # untouched
    refused = client.patch(
        url("quality-coaching-goal-detail", ana_goal.pk), {"due_on": "2026-02-01"}, format="json"
    )
    assert refused.status_code == 400 and "due_on" in refused.json()
    moved = client.patch(
        url("quality-coaching-goal-detail", ana_goal.pk), {"agent": 1}, format="json"
    )
    assert moved.status_code == 400 and "agent" in moved.json()
    assert client.delete(url("quality-coaching-goal-detail", ana_goal.pk)).status_code == 204
    assert not CoachingGoal.objects.exists()
    assert client.get(url("quality-coaching-goal-detail", ana_goal.pk)).status_code == 404


def test_agents_read_only_their_own_goals(ana, bruno, marta, ana_goal):
    bruno_goal = goal(agent=bruno, by=marta, kpi="fcr", target="70", starts_on=START, due_on=DUE)
    as_ana = token_client(ana)
    listed = as_ana.get(url("quality-coaching-goal-list")).json()
    assert [g["id"] for g in listed["results"]] == [ana_goal.pk]
    assert as_ana.get(url("quality-coaching-goal-detail", ana_goal.pk)).status_code == 200
    assert as_ana.get(url("quality-coaching-goal-detail", bruno_goal.pk)).status_code == 404
    everyone = token_client(marta).get(url("quality-coaching-goal-list")).json()
    assert {g["id"] for g in everyone["results"]} == {ana_goal.pk, bruno_goal.pk}
    only_bruno = (
        token_client(marta).get(url("quality-coaching-goal-list"), {"agent": bruno.pk}).json()
    )
    assert [g["id"] for g in only_bruno["results"]] == [bruno_goal.pk]


def test_agents_write_nothing_and_are_told_why(ana, bruno, ana_goal, ana_session):
    as_ana = token_client(ana)
    attempts = [
        as_ana.post(url("quality-coaching-goal-list"), goal_body(ana), format="json"),
        as_ana.patch(
            url("quality-coaching-goal-detail", ana_goal.pk), {"target": 10}, format="json"
        ),
        as_ana.delete(url("quality-coaching-goal-detail", ana_goal.pk)),
        as_ana.post(
            url("quality-coaching-session-list"),
            {"agent": bruno.pk, "held_on": "2026-03-10", "notes": "x"},
            format="json",
        ),
        as_ana.patch(
            url("quality-coaching-session-detail", ana_session.pk), {"notes": "x"}, format="json"
        ),
    ]
    for response in attempts:
        assert response.status_code == 403
        assert "managers" in response.json()["detail"]
    ana_goal.refresh_from_db()
    assert str(ana_goal.target) == "80.00"


@pytest.mark.parametrize("name", ["quality-coaching-goal-list", "quality-coaching-session-list"])
def test_anonymous_callers_get_401_json(db, name):
    response = token_client(None).get(url(name))
    assert response.status_code == 401
    assert "detail" in response.json()


def test_a_caller_without_a_role_gets_403_json(db):
    from tests.factories import UserFactory

    response = token_client(UserFactory()).get(url("quality-coaching-goal-list"))
    assert response.status_code == 403
    assert "detail" in response.json()


# --- sessions ---------------------------------------------------------------------------------


def test_a_manager_records_a_session_with_tickets_and_reviews(ana, marta, team_n1):
    ticket = worked_ticket(agent=ana, team=team_n1, created=local(date(2026, 3, 10)))
    review = completed_review(
        ticket=ticket, agent=ana, reviewer=marta, score="72.5", at=local(date(2026, 3, 11))
    )
    response = token_client(marta).post(
        url("quality-coaching-session-list"),
        {"agent": ana.pk, "held_on": "2026-03-12", "notes": "Tone",
         "tickets": [ticket.reference], "reviews": [review.pk]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["coach"]["id"] == marta.pk
    assert body["tickets"] == [{"id": ticket.pk, "reference": ticket.reference}]
    assert body["reviews"][0]["id"] == review.pk
    assert body["reviews"][0]["score"] == 72.5


def test_a_session_must_name_the_agents_tickets_and_reviews(ana, carla, marta, team_n2):
    carlas = worked_ticket(agent=carla, team=team_n2, created=local(date(2026, 3, 10)))
    not_anas = completed_review(
        ticket=carlas, agent=carla, reviewer=marta, score="50", at=local(date(2026, 3, 11))
    )
    client = token_client(marta)
    base = {"agent": ana.pk, "held_on": "2026-03-12", "notes": "Tone"}
    cases = [
        (base | {"tickets": ["PUL-424242"]}, "tickets"),
        (base | {"tickets": [carlas.reference]}, "tickets"),  # Carla's team, not Ana's
        (base | {"tickets": ["hello"]}, "tickets"),
        (base | {"reviews": [not_anas.pk]}, "reviews"),
        (base | {"reviews": ["1"]}, "reviews"),
        (base | {"notes": "   "}, "notes"),
        (base | {"held_on": "2026-13-01"}, "held_on"),
        ({"held_on": "2026-03-12", "notes": "x"}, "agent"),
    ]
    for body, field in cases:
        response = client.post(url("quality-coaching-session-list"), body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert field in response.json(), (body, response.json())
    assert not CoachingSession.objects.exists()


def test_a_manager_corrects_a_session_and_agents_see_only_theirs(ana, bruno, marta, ana_session):
    client = token_client(marta)
    response = client.patch(
        url("quality-coaching-session-detail", ana_session.pk), {"notes": "Greetings and tone"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200
    assert response.json()["notes"] == "Greetings and tone"
    assert response.json()["held_on"] == TODAY.isoformat()
    assert (
        token_client(ana).get(url("quality-coaching-session-detail", ana_session.pk)).status_code
        == 200
    )
    assert (
        token_client(bruno).get(url("quality-coaching-session-detail", ana_session.pk)).status_code
        == 404
    )
    assert token_client(bruno).get(url("quality-coaching-session-list")).json()["results"] == []


def test_hostile_values_are_400s_never_500s(ana, marta, ana_goal, ana_session):
    client = token_client(marta)
    base = {"agent": ana.pk, "held_on": "2026-03-12", "notes": "Tone"}
    for body in (
        base | {"reviews": [2**70]},
        base | {"reviews": [0]},
        base | {"tickets": ["9" * 40]},
        base | {"tickets": ["PUL-" + "9" * 20]},
        base | {"tickets": ["PUL-1"] * 51},
        base | {"agent": 2**70},
        base | {"agent": True},
        base | {"held_on": None},
    ):
        response = client.post(url("quality-coaching-session-list"), body, format="json")
        assert response.status_code == 400, (body, response.content)
    # JSON text naming a lone UTF-16 surrogate: no database stores it
    lone_surrogate = f'{{"agent": {ana.pk}, "held_on": "2026-03-12", "notes": "\\ud800"}}'
    response = client.post(
        url("quality-coaching-session-list"), lone_surrogate, content_type="application/json"
    )
    assert response.status_code == 400 and "notes" in response.json()
    for body in (
        {"target": None},
        {"target": "NaN"},
        {"kpi": None},
        {"starts_on": "2026-04-01"},  # after the due date
        {"note": "x" * 256},
    ):
        response = client.patch(
            url("quality-coaching-goal-detail", ana_goal.pk), body, format="json"
        )
        assert response.status_code == 400, (body, response.content)
    assert client.get(url("quality-coaching-goal-list"), {"agent": ""}).status_code == 400
    assert client.get(url("quality-coaching-goal-list"), {"agent": "x"}).status_code == 400
    assert client.get(url("quality-coaching-goal-list"), {"kpi": "speed"}).status_code == 400
    assert client.get(url("quality-coaching-goal-detail", 2**62)).status_code == 404
