"""Related tickets through the REST API: listed both ways, related by id with a note,
removed; refusals are 4xx with a JSON reason and write nothing."""

import pytest

from cases.models import TicketRelation
from tests.api.helpers import token_client, url
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def test_relate_list_both_ways_and_remove(ana, ticket, team_n1):
    other = make_ticket(by=ana, team=team_n1, subject="Caída del portal")
    client = token_client(ana)
    created = client.post(
        url("ticket-related", ticket.pk), {"ticket": other.pk, "note": "Misma caída"}, format="json"
    )
    assert created.status_code == 201
    [row] = created.json()["results"]
    assert (row["ticket"], row["reference"], row["note"]) == (
        other.pk,
        other.reference,
        "Misma caída",
    )
    back = client.get(url("ticket-related", other.pk)).json()
    assert back["results"][0]["ticket"] == ticket.pk and back["not_visible"] == 0

    assert client.delete(url("ticket-relation", other.pk, row["id"])).status_code == 204
    assert client.get(url("ticket-related", ticket.pk)).json()["results"] == []


@pytest.mark.parametrize("which", ["itself", "invisible", "missing", "twice"])
def test_what_cannot_be_related_is_a_400_saying_why(ana, carla, ticket, team_n1, team_n2, which):
    client = token_client(ana)
    friend = make_ticket(by=ana, team=team_n1)
    target = {
        "itself": ticket.pk,
        "invisible": make_ticket(by=carla, team=team_n2).pk,
        "missing": 999_999,
        "twice": friend.pk,
    }[which]
    if which == "twice":
        client.post(url("ticket-related", ticket.pk), {"ticket": friend.pk}, format="json")
    before = TicketRelation.objects.count()
    response = client.post(url("ticket-related", ticket.pk), {"ticket": target}, format="json")
    assert response.status_code == 400
    assert set(response.json()) & {"ticket", "reference"}
    assert TicketRelation.objects.count() == before
