"""Similar solved cases: found by their words on a planted desk, measured on the newest fifth
against five random tickets, and shown to an agent only among the tickets they may see — on
the ticket page's panel and in the API."""

import pytest
from django.test import Client
from django.urls import reverse

from cases import services as case_services
from cases.models import Status
from cases.portal_session import sign_in
from insights import store
from insights.models import ModelKind, ModelStatus
from insights.selectors import similar_solved
from insights.services.training import train_model
from surveys.models import SurveyInvitation
from surveys.services import answer_survey
from tests.factories import AgentFactory, UserFactory, make_ticket
from tests.insights.histories import planted_desk

pytestmark = pytest.mark.django_db

BILLING_WORDS = "Factura con IVA mal: el importe de la factura rectificativa no cuadra"


def panel(ticket):
    return reverse("insights:ticket_similar", args=[ticket.pk])


def api(ticket):
    return reverse("insights-api:insights-ticket-similar", args=[ticket.pk])


@pytest.fixture
def desk():
    """300 solved tickets, none misfiled, and the index learned from them."""
    desk = planted_desk(300, noise=0)
    assert train_model(kind=ModelKind.SIMILAR).status == ModelStatus.READY
    return desk


def billing_question(desk, by):
    return make_ticket(
        by=by, team=desk.teams["Billing"], subject="Factura mal", description=BILLING_WORDS
    )


def test_an_empty_desk_gets_no_index_and_says_how_much_it_needs():
    record = train_model(kind=ModelKind.SIMILAR)
    assert record.status == ModelStatus.TOO_LITTLE_DATA
    assert record.quality == {"needed": 100, "have": 0}
    assert store.load(ModelKind.SIMILAR) is None


def test_the_five_nearest_share_the_category_far_more_often_than_five_random_ones():
    planted_desk(600)
    record = train_model(kind=ModelKind.SIMILAR)
    assert record.status == ModelStatus.READY and record.documents == 600
    quality = record.quality
    assert quality["baseline"] == "five random indexed tickets"
    assert quality["trained_on"] == 480 and quality["tested_on"] == 120
    # Four categories: five random tickets already hold the ticket's one ~76 % of the time.
    assert quality["baseline_hit_rate_at_5"] == pytest.approx(0.76, abs=0.05)
    assert quality["hit_rate_at_5"] > quality["baseline_hit_rate_at_5"] + 0.1
    # Of the five, how many share it: a quarter at random.
    assert quality["share_at_5"] > quality["baseline_share_at_5"] + 0.4


def test_the_five_found_are_solved_cases_of_the_planted_category(desk, marta):
    question = billing_question(desk, marta)
    found = similar_solved(question, marta)
    assert len(found) == 5
    assert {case.ticket.category.name for case in found} == {"Billing"}
    assert all(case.ticket.status == Status.RESOLVED for case in found)
    assert all(0 < case.similarity <= 1 for case in found)
    assert [c.similarity for c in found] == sorted((c.similarity for c in found), reverse=True)
    assert all(case.resolution.startswith("Solved: ") for case in found)


def test_the_ticket_itself_is_never_listed(desk, marta):
    solved = desk.tickets[10]
    found = similar_solved(solved, marta)
    assert len(found) == 5
    assert solved.pk not in {case.ticket.pk for case in found}


def test_an_agent_sees_only_cases_of_their_teams(desk, marta):
    sara = AgentFactory(username="sara", teams=[desk.teams["Shipping"]])
    question = make_ticket(
        by=marta,
        team=desk.teams["Shipping"],
        subject="Factura del pedido",
        description="La factura del pedido: el importe del paquete y el IVA del envío",
    )
    billing, shipping = desk.teams["Billing"].pk, desk.teams["Shipping"].pk
    everyone = similar_solved(question, marta, limit=20)
    assert {c.ticket.team_id for c in everyone} == {billing, shipping}
    found = similar_solved(question, sara, limit=20)
    assert found and {c.ticket.team_id for c in found} == {shipping}
    # In the same order as the manager's, without the tickets she may not see.
    theirs = [c.ticket.pk for c in everyone if c.ticket.team_id == shipping]
    assert [c.ticket.pk for c in found][: len(theirs)] == theirs


def test_a_case_reopened_since_the_training_is_not_listed(desk, marta):
    question = billing_question(desk, marta)
    first = similar_solved(question, marta)[0].ticket
    case_services.reopen_ticket(ticket=first, by=marta, reason="Not fixed after all")
    assert first.pk not in {c.ticket.pk for c in similar_solved(question, marta)}


def test_each_case_carries_its_survey_rating(marta, ana, team_n1):
    planted_desk(200, noise=0)
    rated = make_ticket(
        by=ana, team=team_n1, assignee=ana, subject="Factura IVA", description=BILLING_WORDS
    )
    case_services.add_reply(ticket=rated, by=ana, body="Te enviamos la factura corregida.")
    case_services.resolve_ticket(ticket=rated, by=ana, resolution="Factura rectificativa emitida")
    answer_survey(invitation=SurveyInvitation.objects.get(ticket=rated), csat=5, nps=9)
    train_model(kind=ModelKind.SIMILAR)
    question = make_ticket(by=ana, team=team_n1, subject="Factura mal", description=BILLING_WORDS)
    found = similar_solved(question, marta)
    assert found[0].ticket.pk == rated.pk
    assert (found[0].csat, found[0].nps) == (5, 9)
    assert found[0].resolution == "Factura rectificativa emitida"
    assert all((c.csat, c.nps) == (None, None) for c in found[1:])


# --- the ticket page's panel ---------------------------------------------------------------


def test_on_an_empty_desk_the_panel_says_how_many_solved_tickets_it_needs(client, ana, ticket):
    client.force_login(ana)
    response = client.get(panel(ticket), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "once the desk has 100 solved tickets" in response.content.decode()
    train_model(kind=ModelKind.SIMILAR)
    response = client.get(panel(ticket), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "100 solved tickets (0 so far)" in response.content.decode()
    assert 'class="mb-2 similar-case"' not in response.content.decode()


def test_the_panel_lists_the_cases_with_resolution_rating_and_similarity(client, desk, marta):
    question = billing_question(desk, marta)
    client.force_login(marta)
    response = client.get(panel(question), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    found = similar_solved(question, marta)
    assert html.count('class="mb-2 similar-case"') == 5
    for case in found:
        assert reverse("cases:ticket_detail", args=[case.ticket.pk]) in html
        assert case.ticket.reference in html
        assert f"{round(case.similarity * 100)} % similar" in html
    assert "Not rated" in html
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]


def test_the_panel_says_when_nothing_is_similar(client, desk, marta):
    question = make_ticket(by=marta, team=desk.teams["Billing"], subject="Zzz", description="Qqq")
    client.force_login(marta)
    response = client.get(panel(question), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "No solved case you can see is similar to this one." in response.content.decode()


def test_the_panel_is_staff_only_and_404_for_a_ticket_one_cannot_see(client, ticket, carla):
    assert client.get(panel(ticket)).status_code == 302  # to the login page
    client.force_login(UserFactory(username="nadie"))
    assert client.get(panel(ticket)).status_code == 403
    client.force_login(carla)  # Soporte N2: the ticket is Soporte N1's
    assert client.get(panel(ticket)).status_code == 404


def test_the_ticket_page_loads_the_panel(client, ana, ticket):
    client.force_login(ana)
    html = client.get(reverse("cases:ticket_detail", args=[ticket.pk])).content.decode()
    assert f'hx-get="{panel(ticket)}"' in html


# --- the API -------------------------------------------------------------------------------


def test_the_api_lists_the_similar_cases(client, desk, marta):
    question = billing_question(desk, marta)
    client.force_login(marta)
    response = client.get(api(question))
    assert response.status_code == 200
    body = response.json()
    found = similar_solved(question, marta)
    assert [row["id"] for row in body] == [c.ticket.pk for c in found]
    first = body[0]
    assert set(first) == {
        "id",
        "reference",
        "subject",
        "resolution",
        "similarity",
        "csat",
        "nps",
        "url",
    }
    assert first["reference"] == found[0].ticket.reference
    assert first["url"] == reverse("cases:ticket_detail", args=[found[0].ticket.pk])
    assert first["similarity"] == found[0].similarity
    assert (first["csat"], first["nps"]) == (None, None)


def test_the_api_without_an_index_answers_an_empty_list(client, ana, ticket):
    client.force_login(ana)
    response = client.get(api(ticket))
    assert response.status_code == 200 and response.json() == []


def test_the_api_refuses_whoever_may_not_see_the_ticket(client, ticket, carla, customer):
    assert client.get(api(ticket)).status_code == 401  # anonymous
    portal = Client()
    request = type("Request", (), {"session": portal.session})()
    sign_in(request, customer)
    request.session.save()
    portal.cookies["sessionid"] = request.session.session_key
    assert portal.get(api(ticket)).status_code == 401  # a customer signed in to the portal
    client.force_login(UserFactory(username="nadie"))
    assert client.get(api(ticket)).status_code == 403  # signed in, no role
    client.force_login(carla)
    assert client.get(api(ticket)).status_code == 404  # another team's ticket
