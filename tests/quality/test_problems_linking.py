"""Linking tickets to a problem: from the ticket page, the API and the queue's bulk bar. Nobody
links, unlinks or even sees a ticket they may not see."""

import pytest
from django.urls import reverse

from quality.errors import QualityError
from quality.models import Problem, ProblemEvent, ProblemTicket
from quality.services import problems as problem_services
from tests.quality.problem_fixtures import open_ticket, problem_with


@pytest.fixture
def n1_ticket(ana, team_n1):
    return open_ticket(agent=ana, team=team_n1)


@pytest.fixture
def n2_ticket(carla, team_n2):
    return open_ticket(agent=carla, team=team_n2, subject="VPN drops")


@pytest.fixture
def problem(ana, n1_ticket):
    return problem_with(ana, [n1_ticket])


def _linked(problem):
    return set(ProblemTicket.objects.filter(problem=problem).values_list("ticket_id", flat=True))


def test_an_agent_cannot_link_a_ticket_they_cannot_see(problem, ana, n2_ticket):
    outcome = problem_services.link_tickets(problem=problem, by=ana, ticket_ids=[n2_ticket.pk])
    assert outcome.not_visible == [n2_ticket.pk] and outcome.linked == []
    assert n2_ticket.pk not in _linked(problem)


def test_an_agent_cannot_open_a_problem_with_a_ticket_they_cannot_see(ana, n2_ticket):
    with pytest.raises(QualityError):
        problem_with(ana, [n2_ticket])


def test_the_ticket_fragment_lists_links_and_unlinks(client, ana, problem, n1_ticket, team_n1):
    other = problem_with(ana, [], title="Slow login")
    client.force_login(ana)
    url = reverse("quality:ticket_problems", args=[n1_ticket.pk])
    fragment = client.get(url)
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert problem.title in html and "Slow login" in html  # linked; offered
    linked = client.post(
        reverse("quality:ticket_problem_link", args=[n1_ticket.pk]),
        {"problem": other.pk},
        HTTP_HX_REQUEST="true",
    )
    assert linked.status_code == 200
    assert n1_ticket.pk in _linked(other)
    unlinked = client.post(
        reverse("quality:ticket_problem_unlink", args=[n1_ticket.pk, other.pk]),
        HTTP_HX_REQUEST="true",
    )
    assert unlinked.status_code == 200
    assert n1_ticket.pk not in _linked(other)
    assert list(ProblemEvent.objects.filter(problem=other).values_list("kind", flat=True)) == [
        "opened",
        "tickets_linked",
        "ticket_unlinked",
    ]


def test_the_ticket_fragment_of_a_ticket_one_cannot_see_is_404(client, carla, n1_ticket, problem):
    client.force_login(carla)
    assert client.get(reverse("quality:ticket_problems", args=[n1_ticket.pk])).status_code == 404
    response = client.post(
        reverse("quality:ticket_problem_unlink", args=[n1_ticket.pk, problem.pk])
    )
    assert response.status_code == 404
    assert n1_ticket.pk in _linked(problem)


def test_linking_a_problem_that_is_not_offered_is_a_400(client, ana, n1_ticket, problem):
    offered = problem_with(ana, [], title="Slow login")  # so the fragment shows its choice
    client.force_login(ana)
    url = reverse("quality:ticket_problem_link", args=[n1_ticket.pk])
    events = ProblemEvent.objects.count()
    for value in ("abc", problem.pk):  # not an id; the problem it is already linked to
        response = client.post(url, {"problem": value}, HTTP_HX_REQUEST="true")
        assert response.status_code == 400, value
        html = response.content.decode()
        assert "Select a valid choice. That choice is not one of the available choices." in html
        assert f'<option value="{offered.pk}">Slow login</option>' in html
    assert _linked(problem) == {n1_ticket.pk} and _linked(offered) == set()
    assert ProblemEvent.objects.count() == events


def test_the_api_links_and_unlinks_and_answers_why_it_refuses(
    client, ana, carla, problem, n1_ticket, n2_ticket
):
    client.force_login(ana)
    url = reverse("quality-api:quality-problem-tickets", args=[problem.pk])
    body = client.post(
        url, {"tickets": [n1_ticket.pk, n2_ticket.pk, 999999]}, content_type="application/json"
    ).json()
    assert body == {"linked": [], "already": [n1_ticket.pk], "not_visible": [n2_ticket.pk, 999999]}
    for bad in (
        {"tickets": []},
        {"tickets": ["x"]},
        {"tickets": [0]},
        {"tickets": 5},
        {},
        {"tickets": list(range(1, 200))},
    ):
        response = client.post(url, bad, content_type="application/json")
        assert response.status_code == 400, bad
        assert "tickets" in response.json()
    client.force_login(carla)
    unlink = reverse("quality-api:quality-problem-ticket", args=[problem.pk, n1_ticket.pk])
    response = client.delete(unlink)
    assert response.status_code == 404 and "detail" in response.json()
    client.force_login(ana)
    assert client.delete(unlink).status_code == 204
    response = client.delete(unlink)
    assert response.status_code == 400 and "ticket" in response.json()
    assert (
        client.post(
            reverse("quality-api:quality-problem-tickets", args=[987654]),
            {"tickets": [1]},
            content_type="application/json",
        ).status_code
        == 404
    )


def test_the_bulk_bar_offers_a_link_to_a_problem(client, ana, n1_ticket):
    client.force_login(ana)
    html = client.get(reverse("cases:queue")).content.decode()
    assert f'formaction="{reverse("quality:link_tickets")}"' in html


def test_the_bulk_bar_flow_links_the_visible_selection(
    client, ana, problem, n1_ticket, n2_ticket, team_n1
):
    second = open_ticket(agent=ana, team=team_n1, subject="Second")
    client.force_login(ana)
    url = reverse("quality:link_tickets")
    selection = [f"{n1_ticket.pk}:3", f"{second.pk}:1", f"{n2_ticket.pk}:1"]
    page = client.post(url, {"ticket": selection, "action": "", "next": "/tickets/"})
    assert page.status_code == 200
    shown = [t.pk for t in page.context["tickets"]]
    assert shown == [n1_ticket.pk, second.pk]  # Carla's ticket is not shown to Ana
    assert page.context["hidden"] == [n2_ticket.pk]

    result = client.post(url, {"ticket": selection, "confirm": "1", "problem": problem.pk})
    assert result.status_code == 200
    assert [t.pk for t in result.context["linked"]] == [second.pk]
    assert [t.pk for t in result.context["already"]] == [n1_ticket.pk]
    assert result.context["not_visible"] == [n2_ticket.pk]
    assert _linked(problem) == {n1_ticket.pk, second.pk}


def test_the_bulk_bar_flow_opens_a_new_problem_with_the_tickets(client, ana, n1_ticket):
    client.force_login(ana)
    result = client.post(
        reverse("quality:link_tickets"),
        {"ticket": [f"{n1_ticket.pk}:1"], "confirm": "1", "new_title": "Printer driver"},
    )
    assert result.status_code == 200
    new = result.context["problem"]
    assert new.title == "Printer driver" and new.origin == {"kind": "tickets"}
    assert _linked(new) == {n1_ticket.pk}


@pytest.mark.parametrize(
    ("data", "shown"),
    [
        ({"ticket": ["abc"]}, "The selection holds something that is not a ticket: choose again."),
        ({"ticket": [str(i) for i in range(1, 150)]}, "Choose at most 100 tickets."),
        ({}, "Select the tickets to link in the queue first."),
        (  # neither a problem nor a title
            {"ticket": ["1"], "confirm": "1"},
            "Choose a problem or give a new one&#x27;s title (one of them).",
        ),
        (
            {"ticket": ["1"], "confirm": "1", "problem": "x"},
            "Select a valid choice. That choice is not one of the available choices.",
        ),
        (
            {"ticket": ["1"], "confirm": "1", "new_title": "x" * 300},
            "Ensure this value has at most 200 characters (it has 300).",
        ),
    ],
)
def test_the_bulk_bar_flow_refuses_bad_input_with_a_400(client, ana, n1_ticket, data, shown):
    offered = problem_with(ana, [], title="Slow login")
    events = ProblemEvent.objects.count()
    client.force_login(ana)
    if data.get("ticket") == ["1"]:
        data = {**data, "ticket": [str(n1_ticket.pk)]}
    response = client.post(reverse("quality:link_tickets"), data)
    assert response.status_code == 400
    if shown:
        assert shown in response.content.decode()
    assert not ProblemTicket.objects.exists()  # the ticket stays unlinked, no problem opened
    assert list(Problem.objects.values_list("pk", flat=True)) == [offered.pk]
    assert ProblemEvent.objects.count() == events
