"""Every list shows a ticket (or an answer about it) once, however many ways the person may
see it: an agent in two teams, holding a ticket of one of them, finds it once in each queue,
in the API, in the tab counts, in the customer's counts and among the survey answers."""

import pytest
from django.urls import reverse

from cases import services
from cases.models import Status
from cases.queues import customers_with_counts, queue_counts
from surveys.models import SurveyInvitation
from surveys.services import answer_survey
from tests.api.helpers import token_client, url
from tests.factories import AgentFactory, CustomerFactory, make_ticket

QUEUE_URL = reverse("cases:queue")


@pytest.fixture
def elena(team_n1, team_n2):
    """An agent of two teams."""
    return AgentFactory(
        username="elena", first_name="Elena", last_name="Mora", teams=[team_n1, team_n2]
    )


@pytest.fixture
def customer_of_both(db):
    return CustomerFactory(name="Inés Duarte", email="ines@example.com")


@pytest.fixture
def tickets(elena, carla, team_n1, team_n2, customer_of_both):
    """Elena's ticket of N2 (her team, and hers), an unassigned one of N1, one of N2 held by
    Carla, and another customer's ticket of a team she is not in (assigned to her)."""
    return {
        "held": make_ticket(by=elena, team=team_n2, assignee=elena, customer=customer_of_both),
        "free": make_ticket(by=elena, team=team_n1, customer=customer_of_both),
        "carla": make_ticket(by=carla, team=team_n2, assignee=carla, customer=customer_of_both),
    }


def shown(response) -> list[int]:
    return [ticket.pk for ticket in response.context["page_obj"]]


@pytest.mark.parametrize(
    ("queue", "expected"),
    [("mine", ["held"]), ("unassigned", ["free"]), ("teams", ["held", "free", "carla"])],
)
def test_an_agent_of_two_teams_sees_each_ticket_once_in_every_queue(
    queue, expected, tickets, elena, client
):
    client.force_login(elena)
    response = client.get(QUEUE_URL, {"queue": queue})
    listed = shown(response)
    assert sorted(listed) == sorted(tickets[name].pk for name in expected)
    assert len(listed) == len(set(listed))
    assert response.context["page_obj"].paginator.count == len(expected)


def test_the_tab_counts_count_each_ticket_once(tickets, elena):
    assert queue_counts(elena) == {"mine": 1, "unassigned": 1, "teams": 3}


def test_the_api_lists_each_ticket_once(tickets, elena):
    body = token_client(elena).get(url("ticket-list")).json()
    listed = [ticket["id"] for ticket in body["results"]]
    assert sorted(listed) == sorted(ticket.pk for ticket in tickets.values())
    assert body["count"] == 3


def test_the_api_search_finds_a_ticket_once_whichever_way_it_matches(
    tickets, elena, customer_of_both
):
    held = tickets["held"]
    services.classify_ticket(ticket=held, by=elena, subject="ines@example.com wrote twice")
    body = token_client(elena).get(url("ticket-list"), {"search": "ines@example"}).json()
    listed = [ticket["id"] for ticket in body["results"]]
    assert sorted(listed) == sorted(ticket.pk for ticket in tickets.values())


def test_a_customers_counts_count_each_ticket_once(tickets, elena, customer_of_both):
    elena.role  # noqa: B018
    [row] = list(customers_with_counts(elena))
    assert (row.name, row.ticket_count, row.active_count) == ("Inés Duarte", 3, 3)


def test_an_answer_about_a_ticket_of_her_team_that_she_resolved_is_listed_once(
    tickets, elena, client
):
    held = tickets["held"]
    services.add_reply(ticket=held, by=elena, body="Fixed.")
    services.resolve_ticket(ticket=held, by=elena, resolution="Replaced it.")
    answer = answer_survey(invitation=SurveyInvitation.objects.get(ticket=held), csat=5)
    client.force_login(elena)
    response = client.get(reverse("surveys:response_list"))
    assert [r.pk for r in response.context["page_obj"]] == [answer.pk]
    assert response.context["summary"]["count"] == 1


def test_a_ticket_stays_visible_to_its_assignee_after_she_left_its_team(
    tickets, elena, team_n2, client
):
    """Visibility is still "her teams' tickets and those she holds": out of N2, Elena keeps
    the N2 ticket she holds and loses Carla's."""
    team_n2.members.remove(elena)
    client.force_login(elena)
    assert shown(client.get(QUEUE_URL, {"queue": "mine"})) == [tickets["held"].pk]
    assert shown(client.get(QUEUE_URL, {"queue": "teams"})) == [tickets["free"].pk]
    listed = {t["id"] for t in token_client(elena).get(url("ticket-list")).json()["results"]}
    assert listed == {tickets["held"].pk, tickets["free"].pk}


def test_an_agent_without_a_team_sees_only_what_she_holds(carla, team_n2, client):
    loner = AgentFactory(username="lone", first_name="Lone", last_name="Wolf", teams=[team_n2])
    ticket = make_ticket(by=carla, team=team_n2, assignee=loner)
    make_ticket(by=carla, team=team_n2)
    team_n2.members.remove(loner)
    client.force_login(loner)
    assert shown(client.get(QUEUE_URL, {"queue": "teams"})) == []
    assert shown(client.get(QUEUE_URL, {"queue": "mine"})) == [ticket.pk]
    listed = [t["id"] for t in token_client(loner).get(url("ticket-list")).json()["results"]]
    assert listed == [ticket.pk]


def test_closed_tickets_are_listed_once_too(tickets, elena, client):
    held = tickets["held"]
    services.add_reply(ticket=held, by=elena, body="Fixed.")
    services.resolve_ticket(ticket=held, by=elena, resolution="Replaced it.")
    services.close_ticket(ticket=held, by=elena)
    client.force_login(elena)
    response = client.get(QUEUE_URL, {"queue": "teams", "status": Status.CLOSED})
    assert shown(response) == [held.pk]
