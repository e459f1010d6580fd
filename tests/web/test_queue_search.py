"""The queue's search box (cases/search.py, docs/search.md): words found in the whole
conversation and the customer, accents ignored, combined with the tab and the filters, best
matches first with the passage under each subject."""

import pytest
from django.urls import reverse

from cases import services
from cases.models import Priority, Status
from cases.queues import describe_view_query, saved_view_tickets
from tests.factories import CustomerFactory, make_ticket
from tests.web.test_workspace_support import move_to

QUEUE_URL = reverse("cases:queue")
PAYLOAD = "<img src=x onerror=alert(1)>"


@pytest.fixture
def desk(ana, bruno, carla, team_n1, team_n2):
    """Reembolso mentioned: in a subject (N1, high), in a note (N1, normal), in a resolved
    ticket (N1) and in team N2's ticket; the customer Begoña Ibáñez."""
    begona = CustomerFactory(name="Begoña Ibáñez", email="bego@example.com")
    subject = make_ticket(
        by=ana, team=team_n1, priority=Priority.HIGH, subject="Reembolso pendiente", customer=begona
    )
    note = make_ticket(by=ana, team=team_n1, assignee=ana, subject="Cobro en la tarjeta")
    services.add_reply(
        ticket=note,
        by=ana,
        body=f"Revisado: el reembolso se tramitó el lunes. {PAYLOAD}",
        public=False,
    )
    resolved = make_ticket(by=ana, team=team_n1, assignee=ana, subject="Reembolsó ayer")
    move_to(resolved, Status.RESOLVED, by=ana)
    other_team = make_ticket(by=carla, team=team_n2, subject="Reembolso de la fianza")
    return {"subject": subject, "note": note, "resolved": resolved, "other_team": other_team}


def shown(response) -> list[int]:
    return [ticket.pk for ticket in response.context["page_obj"]]


def test_the_search_finds_the_words_of_the_conversation_and_the_customer(desk, client, marta):
    client.force_login(marta)
    active = {desk["subject"].pk, desk["note"].pk, desk["other_team"].pk}
    assert set(shown(client.get(QUEUE_URL, {"queue": "all", "q": "reembolso"}))) == active
    assert set(shown(client.get(QUEUE_URL, {"queue": "all", "q": "REEMBOLSÓ"}))) == active
    found = shown(client.get(QUEUE_URL, {"queue": "all", "q": "begona ibanez"}))
    assert found == [desk["subject"].pk]


def test_the_search_combines_with_the_filters_and_the_statuses(desk, client, marta):
    client.force_login(marta)
    query = {"queue": "all", "q": "reembolso"}
    assert shown(client.get(QUEUE_URL, {**query, "priority": "high"})) == [desk["subject"].pk]
    resolved = shown(client.get(QUEUE_URL, {**query, "status": "resolved"}))
    assert resolved == [desk["resolved"].pk]


def test_an_agent_finds_only_what_they_may_see(desk, client, ana, carla):
    client.force_login(ana)
    found = shown(client.get(QUEUE_URL, {"queue": "teams", "q": "reembolso"}))
    assert set(found) == {desk["subject"].pk, desk["note"].pk}
    client.force_login(carla)
    found = shown(client.get(QUEUE_URL, {"queue": "all", "q": "reembolso"}))
    assert found == [desk["other_team"].pk]


def test_best_matches_come_first_and_the_newest_on_request(desk, client, marta):
    client.force_login(marta)
    response = client.get(QUEUE_URL, {"queue": "all", "q": "reembolso"})
    html = response.content.decode()
    assert response.context["sort"] == "relevance"
    assert shown(response)[-1] == desk["note"].pk  # only in a note: the weakest match
    assert "Best matches first." in html
    assert 'href="?queue=all&amp;q=reembolso&amp;sort=-created"' in html

    newest = client.get(QUEUE_URL, {"queue": "all", "q": "reembolso", "sort": "-created"})
    assert shown(newest) == [desk["other_team"].pk, desk["note"].pk, desk["subject"].pk]
    assert 'href="?queue=all&amp;q=reembolso&amp;sort=relevance"' in newest.content.decode()


def test_relevance_without_a_search_is_the_newest_first(desk, client, marta):
    client.force_login(marta)
    response = client.get(QUEUE_URL, {"queue": "all", "sort": "relevance"})
    assert response.context["sort"] == "-created"
    assert "Best matches first" not in response.content.decode()


def test_each_row_shows_the_passage_escaped_and_marked(desk, client, marta):
    client.force_login(marta)
    html = client.get(QUEUE_URL, {"queue": "all", "q": "reembolso tramito"}).content.decode()
    assert 'class="small text-body-secondary search-fragment"' in html
    assert "<mark>reembolso</mark>" in html and "<mark>tramitó</mark>" in html
    assert PAYLOAD not in html


def test_beyond_the_window_the_page_says_only_the_newest_are_ranked(
    desk, client, marta, monkeypatch
):
    monkeypatch.setattr("cases.paginator.COUNT_CAP", 2)
    monkeypatch.setattr("cases.search.RELEVANCE_WINDOW", 3)
    client.force_login(marta)
    html = client.get(QUEUE_URL, {"queue": "all", "q": "reembolso"}).content.decode()
    assert "More than 2 tickets match: the newest 2 are ranked." in html


def test_a_saved_search_keeps_the_best_matches_first(desk, marta):
    query = services.normalise_view_query("queue=all&q=reembolso")

    assert query == "queue=all&q=reembolso&sort=relevance"
    assert ("Sort", "Best matches first") in describe_view_query(query)
    found = {ticket.pk for ticket in saved_view_tickets(marta, query)}
    assert found == {desk["subject"].pk, desk["note"].pk, desk["other_team"].pk}
