"""The queue by tag: every tag or any of them, typed with commas or repeated in the URL,
tag counts of what the filters match, and nothing of other teams' tickets."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import services
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def tagged_tickets(ana, carla, team_n1, team_n2):
    def ticket(subject, team, by, tags):
        made = make_ticket(by=by, team=team, subject=subject)
        services.change_tags(ticket=made, by=by, add=tags)
        return made

    return {
        "vip_envio": ticket("Pedido retenido en aduana", team_n1, ana, ["VIP", "Envío"]),
        "vip": ticket("Cambio de plan", team_n1, ana, ["vip"]),
        "envio": ticket("Paquete dañado", team_n1, ana, ["envío"]),
        "plain": ticket("Consulta general", team_n1, ana, []),
        "other_team": ticket("Factura de otra área", team_n2, carla, ["vip", "envío"]),
    }


def shown(response) -> set[int]:
    return {int(pk) for pk in re.findall(r'<tr data-ticket="(\d+)"', response.content.decode())}


def queue(client, query):
    return client.get(reverse("cases:queue") + query)


def test_the_queue_shows_the_tickets_with_every_tag_asked_for(client, ana, tagged_tickets):
    client.force_login(ana)
    t = tagged_tickets
    assert shown(queue(client, "?queue=teams&tag=vip")) == {t["vip_envio"].pk, t["vip"].pk}
    both = {t["vip_envio"].pk}
    assert shown(queue(client, "?queue=teams&tag=vip&tag=Env%C3%ADo")) == both
    assert shown(queue(client, "?queue=teams&tag=vip,+envío")) == both
    assert shown(queue(client, "?queue=teams&tag=vip&tag=nunca-usada")) == set()


def test_any_of_the_tags_widens_instead(client, ana, tagged_tickets):
    client.force_login(ana)
    t = tagged_tickets
    response = queue(client, "?queue=teams&tag=vip,envío,nunca-usada&tag_match=any")
    assert shown(response) == {t["vip_envio"].pk, t["vip"].pk, t["envio"].pk}


def test_tag_counts_cover_what_the_filters_match_and_link_to_the_tag(client, ana, tagged_tickets):
    client.force_login(ana)
    page = queue(client, "?queue=teams").content.decode()
    counts = dict(re.findall(r'class="[^"]*tag-count"[^>]*>([^<]+) <span[^>]*>(\d+)<', page))
    # Carla's team's ticket carries both tags too, but Ana cannot see it.
    assert counts == {"envío": "2", "vip": "2"}
    assert 'href="?queue=teams&amp;tag=vip"' in page

    page = queue(client, "?queue=teams&q=Paquete").content.decode()
    counts = dict(re.findall(r'class="[^"]*tag-count"[^>]*>([^<]+) <span[^>]*>(\d+)<', page))
    assert counts == {"envío": "1"}


def test_each_row_and_the_ticket_page_show_the_tickets_tags(client, ana, tagged_tickets):
    client.force_login(ana)
    page = queue(client, "?queue=teams").content.decode()
    row = page.split(f'<tr data-ticket="{tagged_tickets["vip_envio"].pk}"')[1].split("</tr>")[0]
    assert re.findall(r'ticket-tag">([^<]+)<', row) == ["envío", "vip"]
    detail = client.get(reverse("cases:ticket_detail", args=[tagged_tickets["vip"].pk]))
    assert "bi-tag" in detail.content.decode() and "> vip</a>" in detail.content.decode()


def test_a_tag_that_cannot_be_one_is_reported_on_the_form_not_a_server_error(
    client, ana, tagged_tickets
):
    client.force_login(ana)
    response = queue(client, "?queue=teams&tag=" + "x" * 60)
    assert response.status_code == 200
    assert "at most 50 characters" in response.content.decode()
    assert 'value="' + "x" * 60 in response.content.decode()  # what was typed is kept


def test_the_page_reads_the_tags_of_its_rows_in_one_query(
    client, ana, tagged_tickets, django_assert_max_num_queries
):
    client.force_login(ana)
    queue(client, "?queue=teams")
    with CaptureQueriesContext(connection) as before:
        queue(client, "?queue=teams")
    for n in range(10):
        extra = make_ticket(by=ana, team=tagged_tickets["vip"].team, subject=f"Más {n}")
        services.change_tags(ticket=extra, by=ana, add=[f"lote-{n}", "vip"])
    # Ten more rows with their tags cost no query more; the page's fixed lookups (the
    # session, the tabs' counts, the filters' and the bulk bar's option lists) stay bounded.
    with django_assert_max_num_queries(len(before.captured_queries)):
        queue(client, "?queue=teams")
    assert len(before.captured_queries) <= 18
