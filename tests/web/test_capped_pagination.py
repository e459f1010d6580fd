"""Large lists count their matches only up to a cap (`cases.paginator`): the pager says
"1000+", Next and Previous keep working past it, and the API says `count: null` while its
`next` links still reach every row. The tests lower the cap to a handful of rows."""

import pytest
from django.core.paginator import EmptyPage, Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from cases.models import Ticket
from cases.paginator import CappedPaginator
from tests.api.helpers import token_client, url
from tests.factories import make_ticket

QUEUE_URL = reverse("cases:queue")


@pytest.fixture
def small_cap(monkeypatch):
    monkeypatch.setattr("cases.paginator.COUNT_CAP", 3)
    monkeypatch.setattr("cases.views.workspace.PAGE_SIZE", 2)


@pytest.fixture
def seven(ana, team_n1):
    """Seven tickets of Ana's team, newest last."""
    return [make_ticket(by=ana, team=team_n1, subject=f"Case {n}") for n in range(7)]


# --- the paginator ----------------------------------------------------------------------------


def test_under_the_cap_it_is_djangos_paginator():
    rows = list(range(7))
    capped, plain = CappedPaginator(rows, 3, cap=10), Paginator(rows, 3)
    assert (capped.count, capped.num_pages, capped.count_is_capped) == (7, 3, False)
    assert list(capped.page(3)) == list(plain.page(3)) == [6]
    assert not capped.page(3).has_next()
    with pytest.raises(EmptyPage):
        capped.page(4)


def test_over_the_cap_pages_go_on_until_the_rows_end():
    paginator = CappedPaginator(list(range(10)), 3, cap=4)
    assert (paginator.count, paginator.count_is_capped) == (4, True)
    first = paginator.page(1)
    assert list(first) == [0, 1, 2] and first.has_next() and not first.has_previous()
    last = paginator.page(4)
    assert list(last) == [9] and not last.has_next() and last.has_previous()
    assert (last.start_index(), last.end_index()) == (10, 10)
    assert paginator.num_pages == 4  # the furthest page known to exist
    with pytest.raises(EmptyPage):
        paginator.page(5)
    assert paginator.get_page(5).number == 1  # the last page is unknown: back to the first
    assert paginator.get_page("x").number == 1


def test_the_count_reads_at_most_one_row_more_than_the_cap(seven):
    paginator = CappedPaginator(Ticket.objects.order_by("-created_at", "-id"), 2, cap=3)
    with CaptureQueriesContext(connection) as captured:
        assert paginator.count == 3 and paginator.count_is_capped
    [count] = captured.captured_queries
    assert "LIMIT 4" in count["sql"] and "ORDER BY" not in count["sql"]


def test_a_short_list_is_read_among_the_ids_it_counted(seven):
    """Within the cap every match's id is known: the page is read among them, so the
    database never walks a whole index looking for rare matches."""
    tickets = Ticket.objects.filter(subject__in=["Case 1", "Case 4"]).order_by("-created_at")
    paginator = CappedPaginator(tickets, 2, cap=3)
    with CaptureQueriesContext(connection) as captured:
        page = paginator.page(1)
        assert [t.subject for t in page] == ["Case 4", "Case 1"]
    ids_query, page_query = (q["sql"] for q in captured.captured_queries)
    assert "LIMIT 4" in ids_query
    assert '."id" IN (' in page_query and "ORDER BY" in page_query


# --- the pages --------------------------------------------------------------------------------


def test_a_long_queue_says_more_than_the_cap_and_pages_past_it(small_cap, seven, ana, client):
    client.force_login(ana)
    first = client.get(QUEUE_URL, {"queue": "teams"})
    html = first.content.decode()
    assert "1–2 of 3+" in html and 'rel="next"' in html
    newest = [t.pk for t in reversed(seven)]
    assert [t.pk for t in first.context["page_obj"]] == newest[:2]
    last = client.get(QUEUE_URL, {"queue": "teams", "page": 4})
    html = last.content.decode()
    assert [t.pk for t in last.context["page_obj"]] == newest[6:]
    assert "7–7 of 3+" in html and 'rel="prev"' in html and 'rel="next"' not in html


def test_a_page_past_the_end_of_a_long_queue_shows_the_first(small_cap, seven, ana, client):
    client.force_login(ana)
    response = client.get(QUEUE_URL, {"queue": "teams", "page": 9})
    assert response.status_code == 200 and response.context["page_obj"].number == 1


def test_a_queue_within_the_cap_shows_its_exact_count(small_cap, ana, team_n1, client):
    for n in range(3):
        make_ticket(by=ana, team=team_n1, subject=f"Case {n}")
    client.force_login(ana)
    html = client.get(QUEUE_URL, {"queue": "teams"}).content.decode()
    assert "1–2 of 3<" in html and "2 / 2" not in html and "1 / 2" in html


def test_the_capped_pager_speaks_spanish(small_cap, seven, ana, client):
    client.force_login(ana)
    with translation.override("es"):
        html = client.get(QUEUE_URL, {"queue": "teams"}, HTTP_ACCEPT_LANGUAGE="es").content
    assert "1–2 de 3+" in html.decode()


# --- the API ----------------------------------------------------------------------------------


def test_the_api_says_null_past_the_cap_and_its_next_links_reach_every_ticket(
    small_cap, seven, ana
):
    client = token_client(ana)
    body = client.get(url("ticket-list"), {"page_size": 2}).json()
    assert body["count"] is None and body["previous"] is None
    seen = [t["id"] for t in body["results"]]
    while body["next"]:
        body = client.get(body["next"]).json()
        assert body["count"] is None
        seen += [t["id"] for t in body["results"]]
    assert seen == [t.pk for t in reversed(seven)]


def test_the_api_still_answers_404_past_the_last_page(small_cap, seven, ana):
    response = token_client(ana).get(url("ticket-list"), {"page_size": 2, "page": 5})
    assert response.status_code == 404


def test_the_api_counts_exactly_within_the_cap(small_cap, ana, team_n1):
    for n in range(3):
        make_ticket(by=ana, team=team_n1, subject=f"Case {n}")
    body = token_client(ana).get(url("ticket-list"), {"page_size": 2}).json()
    assert body["count"] == 3 and "page=2" in body["next"]
