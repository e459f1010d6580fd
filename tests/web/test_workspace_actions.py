"""Every action of the ticket page through the web: its happy path (the ticket and its
events in the database afterwards) and its refusals (nothing changed, a clear message, what
was typed kept)."""

import re

import pytest
from django.urls import reverse

from cases.models import EventKind, Priority, Reply, Status, Ticket
from tests.factories import make_ticket
from tests.web.test_workspace_support import act, action_url, detail_url, fresh, move_to

HTMX = {"HX-Request": "true"}


@pytest.fixture
def as_ana(client, ana):
    client.force_login(ana)
    return client


def last_event(ticket) -> str:
    return ticket.events.order_by("-at", "-id").first().kind


def test_classify_changes_what_was_edited(ticket, as_ana, billing):
    response = act(
        as_ana,
        ticket,
        "classify",
        subject="Printer offline",
        category=billing.pk,
        priority="high",
        channel="email",
    )
    assert response.status_code == 302
    assert response.url == detail_url(ticket)
    ticket = fresh(ticket)
    assert (ticket.subject, ticket.category, ticket.priority, ticket.channel) == (
        "Printer offline",
        billing,
        Priority.HIGH,
        "email",
    )
    event = ticket.events.get(kind=EventKind.CLASSIFIED)
    assert set(event.data["changes"]) == {"subject", "category", "priority", "channel"}
    assert "Ticket classified." in as_ana.get(response.url).content.decode()


def test_assign_gives_the_ticket_to_an_agent_of_its_team(ticket, as_ana, bruno):
    assert act(as_ana, ticket, "assign", assignee=bruno.pk).status_code == 302
    assert fresh(ticket).assignee == bruno
    assert last_event(ticket) == EventKind.ASSIGNED


def test_assign_with_no_agent_unassigns(ticket, as_ana, ana):
    act(as_ana, ticket, "assign-me")
    assert act(as_ana, ticket, "assign", assignee="").status_code == 302
    assert fresh(ticket).assignee is None


def test_assign_to_an_agent_of_another_team_is_refused(ticket, as_ana, carla):
    response = act(as_ana, ticket, "assign", assignee=carla.pk)
    assert response.status_code == 400
    assert fresh(ticket).assignee is None
    assert "Select a valid choice" in response.content.decode()


def test_assign_me_takes_the_ticket(ticket, as_ana, ana):
    assert act(as_ana, ticket, "assign-me").status_code == 302
    assert fresh(ticket).assignee == ana


def test_assign_me_outside_the_team_shows_the_service_refusal(ticket, client, marta):
    client.force_login(marta)
    response = act(client, ticket, "assign-me")
    assert response.status_code == 400
    assert "is not a member of the team" in response.content.decode()
    assert fresh(ticket).assignee is None


def test_auto_assign_picks_the_least_loaded_agent_of_the_team(ticket, as_ana, ana, bruno, team_n1):
    make_ticket(by=ana, team=team_n1, assignee=ana)
    assert act(as_ana, ticket, "auto-assign").status_code == 302
    ticket = fresh(ticket)
    assert ticket.assignee == bruno
    assert ticket.events.get(kind=EventKind.ASSIGNED).data["auto"] is True


def test_a_public_reply_answers_the_customer_and_opens_the_ticket(ticket, as_ana, ana):
    assert act(as_ana, ticket, "reply", body="On our way", kind="public").status_code == 302
    ticket = fresh(ticket)
    assert ticket.status == Status.OPEN
    assert ticket.first_response_at is not None
    assert ticket.replies.get().public is True
    assert last_event(ticket) == EventKind.REPLIED


def test_an_internal_note_changes_nothing_for_the_customer(ticket, as_ana):
    assert act(as_ana, ticket, "reply", body="Call back at 5", kind="note").status_code == 302
    ticket = fresh(ticket)
    assert ticket.status == Status.NEW
    assert ticket.first_response_at is None
    assert ticket.replies.get().public is False


def test_an_empty_reply_is_refused_and_the_choice_kept(ticket, as_ana):
    response = act(as_ana, ticket, "reply", body="   ", kind="note")
    assert response.status_code == 400
    assert not Reply.objects.exists()
    html = response.content.decode()
    assert "This field is required." in html
    assert re.search(r'value="note"\s+id="id_reply_kind_1" required checked', html)


def test_a_public_reply_on_a_resolved_ticket_is_refused_by_the_lifecycle(ticket, as_ana, ana):
    ticket = move_to(ticket, Status.RESOLVED, by=ana)
    response = act(as_ana, ticket, "reply", body="One more thing", kind="public")
    assert response.status_code == 409
    assert fresh(ticket).status == Status.RESOLVED
    html = response.content.decode()
    assert "cannot be replied to" in html
    assert "One more thing" in html


def test_escalate_raises_the_level_and_hands_over(ticket, as_ana, team_n2):
    response = act(as_ana, ticket, "escalate", reason="Needs a specialist", team=team_n2.pk)
    ticket = fresh(ticket)
    assert (ticket.level, ticket.team) == (2, team_n2)
    event = ticket.events.get(kind=EventKind.ESCALATED)
    assert event.data["reason"] == "Needs a specialist"
    # Ana is not in the new team: she lands on her queue, told where the ticket went.
    assert response.status_code == 302
    assert response.url == reverse("cases:queue")
    html = as_ana.get(response.url).content.decode()
    assert "Ticket escalated." in html
    assert "moved out of your teams" in html


def test_escalate_within_the_team_stays_on_the_ticket(ticket, as_ana):
    response = act(as_ana, ticket, "escalate", reason="Tricky", headers=HTMX)
    assert response.status_code == 200
    assert "Ticket escalated." in response.content.decode()
    assert fresh(ticket).level == 2


def test_with_htmx_a_ticket_leaving_the_view_redirects_the_browser(ticket, as_ana, team_n2):
    response = act(as_ana, ticket, "escalate", reason="Specialist", team=team_n2.pk, headers=HTMX)
    assert response["HX-Redirect"] == reverse("cases:queue")


def test_escalate_without_a_reason_is_refused_and_keeps_the_team_chosen(ticket, as_ana, team_n2):
    response = act(as_ana, ticket, "escalate", reason="  ", team=team_n2.pk)
    assert response.status_code == 400
    assert fresh(ticket).level == 1
    html = response.content.decode()
    assert "This field is required." in html
    assert f'<option value="{team_n2.pk}" selected>' in html
    assert '<details class="action-details" open>' in html


def test_escalate_at_the_highest_level_shows_why(marta, team_n3, client):
    client.force_login(marta)
    ticket = make_ticket(by=marta, team=team_n3)
    response = act(client, ticket, "escalate", reason="More!")
    assert response.status_code == 400
    html = response.content.decode()
    assert "already at the highest support level" in html
    assert "More!" in html
    assert fresh(ticket).escalation_count == 0


def test_pending_and_resume(ticket, as_ana, ana):
    ticket = move_to(ticket, Status.OPEN, by=ana)
    assert act(as_ana, ticket, "pending").status_code == 302
    assert fresh(ticket).status == Status.PENDING
    assert act(as_ana, ticket, "resume").status_code == 302
    assert fresh(ticket).status == Status.OPEN
    assert list(ticket.events.values_list("kind", flat=True))[-2:] == [
        EventKind.PENDING,
        EventKind.RESUMED,
    ]


def test_resolve_records_the_resolution(ticket, as_ana, ana):
    ticket = move_to(ticket, Status.OPEN, by=ana)
    response = act(as_ana, ticket, "resolve", resolution="Cleaned the drum.")
    assert response.status_code == 302
    ticket = fresh(ticket)
    assert ticket.status == Status.RESOLVED
    assert ticket.resolution == "Cleaned the drum."
    assert "Ticket resolved." in as_ana.get(response.url).content.decode()


def test_resolving_a_new_ticket_is_refused_and_nothing_changes(ticket, as_ana):
    before = fresh(ticket)
    response = act(as_ana, ticket, "resolve", resolution="Fixed it")
    assert response.status_code == 409
    after = fresh(ticket)
    assert (after.status, after.version, after.resolution) == (Status.NEW, before.version, "")
    html = response.content.decode()
    assert "A new ticket cannot be resolved" in html
    assert "Fixed it" in html  # the text typed is still in the form
    assert ticket.events.count() == 1


def test_resolve_without_a_resolution_is_refused(ticket, as_ana, ana):
    ticket = move_to(ticket, Status.OPEN, by=ana)
    response = act(as_ana, ticket, "resolve", resolution="")
    assert response.status_code == 400
    assert fresh(ticket).status == Status.OPEN


def test_reopen_and_close(ticket, as_ana, ana):
    ticket = move_to(ticket, Status.RESOLVED, by=ana)
    assert act(as_ana, ticket, "reopen", reason="Came back").status_code == 302
    ticket = fresh(ticket)
    assert (ticket.status, ticket.reopen_count) == (Status.OPEN, 1)
    assert ticket.events.get(kind=EventKind.REOPENED).data["reason"] == "Came back"

    act(as_ana, ticket, "resolve", resolution="Again fixed")
    assert act(as_ana, ticket, "close").status_code == 302
    assert fresh(ticket).status == Status.CLOSED


def test_closing_an_open_ticket_is_refused(ticket, as_ana, ana):
    ticket = move_to(ticket, Status.OPEN, by=ana)
    response = act(as_ana, ticket, "close")
    assert response.status_code == 409
    assert fresh(ticket).status == Status.OPEN
    assert "cannot be closed" in response.content.decode()


def test_a_stale_page_gets_a_conflict_not_a_lost_update(ticket, as_ana, bruno, ana):
    seen = fresh(ticket).version
    act(as_ana, ticket, "assign", assignee=bruno.pk)  # someone else acts meanwhile
    changed = fresh(ticket)

    response = act(
        as_ana,
        ticket,
        "classify",
        subject="My new subject",
        priority="urgent",
        channel="phone",
        version=seen,
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else changed this ticket" in html
    assert "My new subject" in html  # kept …
    assert f'name="version" value="{changed.version}"' in html  # … and ready to resubmit
    after = fresh(ticket)
    assert (after.subject, after.priority, after.version) == (
        ticket.subject,
        Priority.NORMAL,
        changed.version,
    )


def test_a_form_without_the_version_is_refused(ticket, as_ana, ana):
    response = as_ana.post(action_url(ticket, "assign-me"), {})
    assert response.status_code == 400
    assert "This form is out of date" in response.content.decode()
    assert fresh(ticket).assignee is None


def test_with_htmx_the_panel_is_rerendered_in_place(ticket, as_ana, ana):
    response = act(as_ana, ticket, "assign-me", headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="ticket-panel"')
    assert "<html" not in html
    assert "The ticket is now yours." in html
    assert f'data-version="{fresh(ticket).version}"' in html
    assert fresh(ticket).assignee == ana


def test_with_htmx_a_refusal_rerenders_the_panel_with_the_message(ticket, as_ana):
    response = act(as_ana, ticket, "resolve", resolution="Too soon", headers=HTMX)
    assert response.status_code == 409
    html = response.content.decode()
    assert '<div id="ticket-panel"' in html
    assert "cannot be resolved" in html
    assert "Too soon" in html


def test_a_get_on_an_action_is_not_allowed(ticket, as_ana):
    response = as_ana.get(action_url(ticket, "resolve"))
    assert response.status_code == 405
    assert fresh(ticket).status == Status.NEW


def test_an_unknown_action_is_not_found(ticket, as_ana):
    assert as_ana.post(action_url(ticket, "delete"), {"version": 1}).status_code == 404


def test_an_unknown_ticket_is_not_found(as_ana, db):
    assert act(as_ana, Ticket(pk=999999), "close", version=1).status_code == 404
