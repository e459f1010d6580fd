"""Saved views in the REST API: the same rules as the web pages — personal views for anyone,
shared ones for managers, nobody changes another's — with live counts over what the caller
may see, and 400s that say which filter is wrong."""

import pytest

from cases import services
from cases.models import Priority, SavedView
from tests.factories import make_ticket

from .helpers import url

pytestmark = pytest.mark.django_db


@pytest.fixture
def urgent(ana, carla, team_n1, team_n2):
    make_ticket(by=ana, team=team_n1, priority=Priority.URGENT)
    make_ticket(by=carla, team=team_n2, priority=Priority.URGENT)


def test_an_agent_keeps_a_personal_view_and_lists_it_with_its_count(as_ana, ana, urgent):
    response = as_ana.post(
        url("saved-view-list"),
        {"name": "Urgentes", "query": "?priority=urgent&sort=deadline"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["query"] == "queue=all&priority=urgent&sort=deadline"
    assert body["filters"] == {"queue": ["all"], "priority": ["urgent"], "sort": ["deadline"]}
    assert body["url"] == "/tickets/?queue=all&priority=urgent&sort=deadline"
    assert (body["shared"], body["owner"]["id"], body["count"]) == (False, ana.pk, 1)

    listed = as_ana.get(url("saved-view-list")).json()
    assert [(v["name"], v["count"], v["count_is_capped"]) for v in listed["results"]] == [
        ("Urgentes", 1, False)
    ]


def test_another_agent_neither_lists_nor_deletes_a_personal_view(as_carla, ana):
    view = services.save_view(by=ana, name="De Ana", query="")
    assert as_carla.get(url("saved-view-list")).json()["results"] == []
    assert as_carla.delete(url("saved-view-detail", view.pk)).status_code == 404
    assert as_carla.patch(
        url("saved-view-detail", view.pk), {"name": "Mía"}, format="json"
    ).status_code == (404)
    assert SavedView.objects.get().name == "De Ana"


def test_a_manager_shares_a_view_and_agents_count_their_own_tickets(
    as_marta, as_carla, team_n2, urgent
):
    response = as_marta.post(
        url("saved-view-list"),
        {"name": "Urgentes", "query": "priority=urgent", "shared": True},
        format="json",
    )
    assert response.status_code == 201
    assert (response.json()["shared"], response.json()["owner"], response.json()["count"]) == (
        True,
        None,
        2,
    )
    [row] = as_carla.get(url("saved-view-list")).json()["results"]
    assert (row["name"], row["count"]) == ("Urgentes", 1)


def test_an_agent_cannot_create_rename_or_delete_shared_views(as_ana, marta, team_n1):
    view = services.save_view(by=marta, name="Desk", query="", shared=True)
    refused = as_ana.post(
        url("saved-view-list"), {"name": "Mía", "query": "", "shared": True}, format="json"
    )
    assert refused.status_code == 403
    assert "Only managers" in refused.json()["detail"]
    assert (
        as_ana.patch(url("saved-view-detail", view.pk), {"name": "X"}, format="json").status_code
        == 403
    )
    assert as_ana.delete(url("saved-view-detail", view.pk)).status_code == 403
    assert list(SavedView.objects.values_list("name", flat=True)) == ["Desk"]


def test_unknown_filter_keys_and_bad_values_are_a_400_naming_them(as_ana):
    response = as_ana.post(
        url("saved-view-list"), {"name": "Rara", "query": "colour=red&page=3"}, format="json"
    )
    assert response.status_code == 400
    assert "Unknown filters: colour, page." in response.json()["query"][0]
    response = as_ana.post(
        url("saved-view-list"), {"name": "Rara", "query": "priority=soon"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["query"][0].startswith("Priority:")
    response = as_ana.post(url("saved-view-list"), {"name": "Rara", "colour": "x"}, format="json")
    assert response.status_code == 400 and "colour" in response.json()
    assert not SavedView.objects.exists()


def test_renaming_and_deleting_ones_own_view(as_ana, ana):
    view = services.save_view(by=ana, name="Vieja", query="")
    response = as_ana.patch(url("saved-view-detail", view.pk), {"name": "Nueva"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "Nueva"
    assert as_ana.delete(url("saved-view-detail", view.pk)).status_code == 204
    assert not SavedView.objects.exists()
