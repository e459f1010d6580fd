"""Coaching in the browser: managers keep every agent's record; an agent reads only their
own; forms keep what was typed and say what is wrong."""

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse

from quality.models import CoachingGoal, CoachingSession

from .coaching_fixtures import completed_review, goal, local, worked_ticket

TODAY = date(2026, 3, 15)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(local(TODAY, 10), tick=False):
        yield


@pytest.fixture
def ana_goal(ana, marta):
    return goal(
        agent=ana, by=marta, kpi="csat", target="80",
        starts_on=TODAY - timedelta(days=14), due_on=TODAY + timedelta(days=14),
    )  # fmt: skip


@pytest.fixture
def ana_session(ana, marta):
    return CoachingSession.objects.create(
        agent=ana, coach=marta, held_on=TODAY, notes="Talked about greetings"
    )


def page(client, user, name, *args, method="get", data=None):
    client.force_login(user)
    return getattr(client, method)(reverse(f"quality:{name}", args=args), data or {})


# --- who sees what ----------------------------------------------------------------------------


def test_managers_see_every_agent_with_open_goals_and_last_session(
    client, marta, ana, bruno, carla, ana_goal, ana_session
):
    response = page(client, marta, "coaching")
    assert response.status_code == 200
    html = response.content.decode()
    for agent in (ana, bruno, carla):
        assert f'data-agent="{agent.pk}"' in html
    assert f'data-goal="{ana_goal.pk}"' in html
    assert marta.display_name not in html.split("coaching-overview", 1)[1]  # managers aren't rows


def test_a_manager_in_a_team_may_list_only_that_teams_agents(client, marta, ana, carla, team_n2):
    marta.teams.add(team_n2)
    response = page(client, marta, "coaching", data={"mine": "on"})
    html = response.content.decode()
    assert f'data-agent="{carla.pk}"' in html
    assert f'data-agent="{ana.pk}"' not in html


def test_an_agent_reads_their_own_record_without_any_way_to_change_it(
    client, ana, ana_goal, ana_session
):
    response = page(client, ana, "coaching_agent", ana.pk)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Talked about greetings" in html
    assert f'data-goal="{ana_goal.pk}"' in html
    assert reverse("quality:coaching_goal_edit", args=[ana_goal.pk]) not in html
    assert reverse("quality:coaching_session_create", args=[ana.pk]) not in html
    assert page(client, ana, "coaching_me").status_code == 200
    assert page(client, ana, "coaching").url == reverse("quality:coaching_me")


def test_an_agent_never_sees_another_agents_record(client, bruno, ana, ana_goal, ana_session):
    assert page(client, bruno, "coaching_agent", ana.pk).status_code == 404
    assert "Talked about" not in page(client, bruno, "coaching_me").content.decode()


@pytest.mark.parametrize(
    ("name", "obj"),
    [
        ("coaching_session_create", "agent"),
        ("coaching_goal_create", "agent"),
        ("coaching_session_edit", "session"),
        ("coaching_goal_edit", "goal"),
        ("coaching_goal_delete", "goal"),
    ],
)
def test_agents_cannot_write_even_their_own_record(client, ana, ana_goal, ana_session, name, obj):
    arg = {"agent": ana.pk, "session": ana_session.pk, "goal": ana_goal.pk}[obj]
    assert page(client, ana, name, arg).status_code == 403
    assert page(client, ana, name, arg, method="post", data={"notes": "x"}).status_code == 403
    assert CoachingGoal.objects.count() == 1
    assert CoachingSession.objects.get().notes == "Talked about greetings"


@pytest.mark.parametrize(
    "name", ["coaching", "coaching_me", "my_goals", "coaching_agent", "coaching_goal_create"]
)
def test_anonymous_visitors_are_sent_to_sign_in(client, ana, name):
    args = [ana.pk] if name in ("coaching_agent", "coaching_goal_create") else []
    response = client.get(reverse(f"quality:{name}", args=args))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_manager_has_no_record_of_their_own(client, marta):
    assert page(client, marta, "coaching_me").status_code == 404
    assert page(client, marta, "coaching_agent", marta.pk).status_code == 404


# --- writing ----------------------------------------------------------------------------------


def test_a_manager_records_a_session_with_tickets_and_reviews(client, marta, ana, team_n1):
    ticket = worked_ticket(
        agent=ana, team=team_n1, created=local(TODAY - timedelta(days=2)),
        first_reply_after=timedelta(hours=1), resolve_after=timedelta(hours=2),
    )  # fmt: skip
    review = completed_review(
        ticket=ticket, agent=ana, reviewer=marta, score="90", at=local(TODAY - timedelta(days=1))
    )
    response = page(
        client, marta, "coaching_session_create", ana.pk, method="post",
        data={"held_on": "2026-03-14", "notes": "Went well", "tickets": ticket.reference,
              "reviews": [review.pk]},
    )  # fmt: skip
    assert response.status_code == 302
    session = CoachingSession.objects.get()
    assert (session.agent, session.coach, session.held_on) == (ana, marta, date(2026, 3, 14))
    assert list(session.tickets.all()) == [ticket]
    assert list(session.reviews.all()) == [review]
    record = page(client, marta, "coaching_agent", ana.pk).content.decode()
    assert ticket.reference in record and "Went well" in record


def test_a_session_naming_unknown_tickets_keeps_what_was_typed(client, marta, ana, carla, team_n2):
    carlas = worked_ticket(agent=carla, team=team_n2, created=local(TODAY))
    typed = f"PUL-999999, {carlas.reference}"
    response = page(
        client, marta, "coaching_session_create", ana.pk, method="post",
        data={"held_on": "2026-03-14", "notes": "Notes I typed", "tickets": typed},
    )  # fmt: skip
    assert response.status_code == 400
    html = response.content.decode()
    assert "PUL-999999" in html and carlas.reference in html
    assert "Notes I typed" in html
    assert "invalid-feedback" in html
    assert not CoachingSession.objects.exists()


def test_a_goal_with_a_target_out_of_range_and_dates_reversed_shows_both_errors(client, marta, ana):
    response = page(
        client, marta, "coaching_goal_create", ana.pk, method="post",
        data={"kpi": "ces", "comparison": "at_least", "target": "9.5",
              "starts_on": "2026-03-20", "due_on": "2026-03-10", "note": "Typed note"},
    )  # fmt: skip
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="9.5"' in html and 'value="Typed note"' in html
    assert 'value="2026-03-20"' in html and 'value="2026-03-10"' in html
    assert "between 1 and 7" in html
    assert "cannot be before the start date" in html
    assert not CoachingGoal.objects.exists()


def test_a_manager_sets_edits_and_deletes_a_goal(client, marta, ana):
    data = {
        "kpi": "frt_median", "comparison": "at_most", "target": "2.5",
        "starts_on": "2026-03-01", "due_on": "2026-03-31", "note": "",
    }  # fmt: skip
    assert (
        page(client, marta, "coaching_goal_create", ana.pk, method="post", data=data).status_code
        == 302
    )
    g = CoachingGoal.objects.get()
    assert (g.agent, g.kpi, str(g.target), g.created_by) == (ana, "frt_median", "2.50", marta)
    data["target"] = "2"
    assert (
        page(client, marta, "coaching_goal_edit", g.pk, method="post", data=data).status_code == 302
    )
    g.refresh_from_db()
    assert str(g.target) == "2.00"
    assert page(client, marta, "coaching_goal_delete", g.pk).status_code == 200  # asks first
    assert CoachingGoal.objects.exists()
    assert page(client, marta, "coaching_goal_delete", g.pk, method="post").status_code == 302
    assert not CoachingGoal.objects.exists()


# --- the agent's dashboard fragment -----------------------------------------------------------


def test_the_agents_dashboard_fragment_shows_their_goals_progress(
    client, ana, bruno, marta, team_n1, ana_goal
):
    worked_ticket(
        agent=ana, team=team_n1, created=local(TODAY - timedelta(days=3)),
        first_reply_after=timedelta(hours=1), resolve_after=timedelta(hours=2), csat=5,
    )  # fmt: skip
    goal(agent=bruno, by=marta, kpi="nps", target="10", starts_on=TODAY, due_on=TODAY)
    client.force_login(ana)
    response = client.get(reverse("quality:my_goals"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # a fragment
    assert f'data-goal="{ana_goal.pk}"' in html
    assert 'data-status="on_track"' in html
    assert "100.0" in html and "1 answer<" in html
    assert html.count("data-goal=") == 1  # not Bruno's


def test_the_fragment_has_the_name_and_address_the_dashboard_includes():
    assert reverse("quality:my_goals") == "/quality/coaching/me/goals/"


def test_a_refused_review_is_said_even_when_the_agent_has_no_review_to_choose(client, marta, ana):
    """Without a completed review there are no boxes to tick: a forged `reviews` value
    still comes back with its reason, and nothing is written."""
    response = page(
        client, marta, "coaching_session_create", ana.pk, method="post",
        data={"held_on": "2026-03-14", "notes": "Notes I typed", "reviews": ["999999"]},
    )  # fmt: skip
    assert response.status_code == 400
    html = response.content.decode()
    assert "The agent has no completed review to discuss yet." in html
    no_reviews = html[html.index("session-no-reviews") :]
    shown = no_reviews[: no_reviews.index("</div>\n")]
    assert (
        'invalid-feedback d-block">Select a valid choice. 999999 is not one of the available '
        "choices." in shown
    )
    assert "Notes I typed" in html
    assert not CoachingSession.objects.exists()


def test_a_new_session_is_dated_today_unless_changed(client, marta, ana):
    html = page(client, marta, "coaching_session_create", ana.pk).content.decode()
    assert 'value="2026-03-15"' in html


def test_the_fragment_says_so_when_there_are_no_goals(client, bruno):
    client.force_login(bruno)
    html = client.get(reverse("quality:my_goals"), headers={"HX-Request": "true"}).content
    assert "No coaching goals yet." in html.decode()


def test_the_fragment_opened_directly_sends_to_the_whole_record(client, ana, marta):
    """Typed in the address bar (no htmx), the fragment would be a bare page."""
    response = page(client, ana, "my_goals")
    assert response.status_code == 302 and response.url == reverse("quality:coaching_me")
    response = page(client, marta, "my_goals")  # managers have no record: the overview
    assert response.status_code == 302 and response.url == reverse("quality:coaching")


def test_notes_and_goal_notes_are_shown_as_text(client, marta, ana):
    CoachingSession.objects.create(
        agent=ana, coach=marta, held_on=TODAY, notes="<img src=x onerror=alert(1)>"
    )
    g = goal(agent=ana, by=marta, kpi="fcr", target="70", starts_on=TODAY, due_on=TODAY)
    g.note = "<script>alert(2)</script>"
    g.save(update_fields=["note"])
    html = page(client, marta, "coaching_agent", ana.pk).content.decode()
    assert "<img src=x" not in html and "&lt;img src=x" in html
    assert "<script>alert(2)" not in html


def test_an_admin_corrects_a_session_and_its_form_starts_from_what_was_saved(
    client, adrian, ana, ana_session
):
    form = page(client, adrian, "coaching_session_edit", ana_session.pk).content.decode()
    assert "Talked about greetings" in form
    response = page(
        client, adrian, "coaching_session_edit", ana_session.pk, method="post",
        data={"held_on": "2026-03-13", "notes": "Greetings, then tone", "tickets": ""},
    )  # fmt: skip
    assert response.status_code == 302
    ana_session.refresh_from_db()
    assert (ana_session.held_on, ana_session.notes) == (date(2026, 3, 13), "Greetings, then tone")
    assert ana_session.coach.username == "marta"  # who held it stays
