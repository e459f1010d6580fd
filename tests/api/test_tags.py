"""Tags through the REST API: the tags action, tags on every ticket, the list filtered by
every tag or any of them; refusals are 4xx with a JSON reason and change nothing."""

import pytest

from cases import services
from cases.models import Status, Ticket
from tests.api.helpers import bring_to, token_client, url
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def tags_of(ticket):
    return sorted(Ticket.objects.get(pk=ticket.pk).tags.values_list("name", flat=True))


def test_the_tags_action_adds_and_removes_and_answers_with_the_ticket(ana, ticket):
    client = token_client(ana)
    response = client.post(url("ticket-tags", ticket.pk), {"add": ["VIP", "Envío"]}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["tags"] == ["envío", "vip"]
    assert "tag" in body["allowed_actions"]

    response = client.post(
        url("ticket-tags", ticket.pk),
        {"remove": ["vip"], "version": body["version"]},
        format="json",
    )
    assert response.json()["tags"] == ["envío"]
    assert client.get(url("ticket-detail", ticket.pk)).json()["tags"] == ["envío"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "add"),
        ({"add": ["x" * 60]}, "tags"),
        ({"add": ["uno,dos"]}, "tags"),
        ({"add": "vip"}, "add"),
        ({"add": [f"t{n}" for n in range(21)]}, "add"),
        ({"add": ["vip"], "remove": ["VIP"]}, "tags"),
    ],
)
def test_a_tag_change_that_cannot_be_made_is_a_400_saying_why(ana, ticket, payload, field):
    response = token_client(ana).post(url("ticket-tags", ticket.pk), payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert tags_of(ticket) == []


def test_stale_closed_and_invisible_tickets_are_refused(ana, bruno, carla, ticket):
    seen = Ticket.objects.get(pk=ticket.pk).version
    services.change_tags(ticket=ticket, by=bruno, add=["urgente"])
    stale = token_client(ana).post(
        url("ticket-tags", ticket.pk), {"add": ["vip"], "version": seen}, format="json"
    )
    assert stale.status_code == 409
    assert (
        token_client(carla)
        .post(url("ticket-tags", ticket.pk), {"add": ["vip"]}, format="json")
        .status_code
        == 404
    )
    closed = bring_to(ticket, Status.CLOSED, by=ana)
    assert (
        token_client(ana)
        .post(url("ticket-tags", closed.pk), {"add": ["vip"]}, format="json")
        .status_code
        == 409
    )
    assert tags_of(ticket) == ["urgente"]


def test_the_list_filters_by_every_tag_or_any_of_them(ana, team_n1):
    def ticket(tags):
        made = make_ticket(by=ana, team=team_n1)
        if tags:
            services.change_tags(ticket=made, by=ana, add=tags)
        return made.pk

    both, vip, envio, _plain = (
        ticket(["vip", "envío"]),
        ticket(["vip"]),
        ticket(["envío"]),
        ticket([]),
    )
    client = token_client(ana)

    def ids(query):
        response = client.get(url("ticket-list"), query)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids({"tag": "vip"}) == {both, vip}
    assert ids({"tag": ["vip", "Envío"]}) == {both}
    assert ids({"tag": "vip,envío"}) == {both}
    assert ids({"tag": ["vip", "envío"], "tag_match": "any"}) == {both, vip, envio}
    assert ids({"tag": "nunca-usada"}) == set()
    bad = client.get(url("ticket-list"), {"tag": "x" * 60})
    assert bad.status_code == 400 and "tag" in bad.json()
    rows = client.get(url("ticket-list"), {"tag": "vip"}).json()["results"]
    assert {tuple(row["tags"]) for row in rows} == {("envío", "vip"), ("vip",)}
