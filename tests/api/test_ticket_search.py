"""`GET /api/v1/tickets/?search=` (cases/search.py, docs/search.md): the queue's search, with
the best matches first unless an ordering is asked for, and each found ticket's passage in
`search_fragment` — HTML, escaped, the words in <mark>."""

import pytest

from cases import services
from cases.models import Priority
from tests.factories import CustomerFactory, make_ticket

from .helpers import url


@pytest.fixture
def tickets(ana, team_n1):
    lucia = CustomerFactory(name="Lucía Núñez", email="lucia@example.com")
    noisy = make_ticket(
        by=ana,
        team=team_n1,
        subject="Pedido incompleto",
        description="Falta una pieza <b>del</b> pedido & la caja llegó abierta.",
        priority=Priority.HIGH,
    )
    services.add_reply(ticket=noisy, by=ana, body="Te enviamos la pieza de repuesto hoy mismo.")
    return {
        "noisy": noisy,
        "in_subject": make_ticket(
            by=ana, team=team_n1, subject="Pieza rota", customer=lucia, description="Llegó así."
        ),
        "other": make_ticket(by=ana, team=team_n1, subject="Factura", description="Dos cargos."),
    }


def search(client, text, **params):
    response = client.get(url("ticket-list"), {"search": text, **params})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_search_finds_accented_and_unaccented_words_best_first(as_ana, tickets):
    results = search(as_ana, "PIEZA")
    assert [t["id"] for t in results] == [tickets["in_subject"].pk, tickets["noisy"].pk]
    assert [t["id"] for t in search(as_ana, "llego")] == [t["id"] for t in search(as_ana, "llegó")]
    assert {t["id"] for t in search(as_ana, "nunez")} == {tickets["in_subject"].pk}


def test_an_ordering_replaces_the_relevance(as_ana, tickets):
    results = search(as_ana, "pieza", ordering="created_at")
    assert [t["id"] for t in results] == [tickets["noisy"].pk, tickets["in_subject"].pk]


def test_search_combines_with_the_filters(as_ana, tickets):
    results = search(as_ana, "pieza", priority="high")
    assert [t["id"] for t in results] == [tickets["noisy"].pk]


def test_each_found_ticket_says_where_its_words_are_escaped(as_ana, tickets):
    by_id = {t["id"]: t for t in search(as_ana, "repuesto")}
    assert "<mark>repuesto</mark>" in by_id[tickets["noisy"].pk]["search_fragment"]
    fragment = search(as_ana, "caja")[0]["search_fragment"]
    assert "<mark>caja</mark>" in fragment and "&amp; la" in fragment
    assert "<b>" not in fragment  # the text's HTML is never HTML


def test_a_ticket_found_by_its_subject_has_a_null_fragment(as_ana, tickets):
    by_id = {t["id"]: t for t in search(as_ana, "rota")}
    assert by_id[tickets["in_subject"].pk]["search_fragment"] is None


def test_the_fragment_is_absent_from_lists_without_a_search(as_ana, tickets):
    results = as_ana.get(url("ticket-list")).json()["results"]
    assert results and all("search_fragment" not in t for t in results)
    detail = as_ana.get(url("ticket-detail", tickets["noisy"].pk)).json()
    assert "search_fragment" not in detail


def test_a_search_never_reveals_tickets_the_caller_may_not_see(as_carla, as_marta, tickets):
    assert search(as_carla, "pieza") == []
    assert search(as_carla, tickets["noisy"].reference) == []
    assert len(search(as_marta, "pieza")) == 2
