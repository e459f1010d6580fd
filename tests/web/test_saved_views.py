"""Saved views on the queue: saving the current filters under a name, the views listed beside
the built-in tabs with their counts, their links, and the page where each person renames and
deletes what is theirs."""

import pytest
from django.urls import reverse

from cases import services
from cases.models import Priority, SavedView
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db

QUEUE_URL = reverse("cases:queue")
SAVE_URL = reverse("cases:saved_view_create")
MANAGE_URL = reverse("cases:saved_view_list")


@pytest.fixture
def urgent_tickets(ana, carla, team_n1, team_n2):
    """Two urgent unassigned tickets in Soporte N1, one in Soporte N2, one low in N1."""
    return [
        make_ticket(by=ana, team=team_n1, priority=Priority.URGENT, subject="Caída total"),
        make_ticket(by=ana, team=team_n1, priority=Priority.URGENT, subject="Sin acceso"),
        make_ticket(by=carla, team=team_n2, priority=Priority.URGENT, subject="Router"),
        make_ticket(by=ana, team=team_n1, priority=Priority.LOW, subject="Toner"),
    ]


def view_tabs(response) -> dict[str, int]:
    return {tab.view.name: tab.count for tab in response.context["saved_views"]}


def test_an_agent_saves_the_current_filters_and_sees_the_view_with_its_count(
    client, ana, urgent_tickets
):
    client.force_login(ana)
    response = client.post(
        SAVE_URL, {"name": "Urgentes", "query": "queue=unassigned&priority=urgent&page=2"}
    )
    view = SavedView.objects.get()
    assert response.status_code == 302
    assert response.url == f"{QUEUE_URL}?queue=unassigned&priority=urgent&sort=-created"
    assert (view.owner, view.query) == (ana, "queue=unassigned&priority=urgent&sort=-created")

    page = client.get(response.url)
    assert view_tabs(page) == {"Urgentes": 2}
    assert page.context["active_view"] == view.pk
    html = page.content.decode()
    assert "View “Urgentes” saved." in html
    assert f'data-view="{view.pk}"' in html
    assert 'href="/tickets/?queue=unassigned&amp;priority=urgent&amp;sort=-created"' in html
    assert {t.subject for t in page.context["page_obj"]} == {"Caída total", "Sin acceso"}


def test_another_agent_does_not_see_a_personal_view(client, ana, bruno, urgent_tickets):
    services.save_view(by=ana, name="De Ana", query="priority=urgent")
    client.force_login(bruno)
    page = client.get(QUEUE_URL)
    assert view_tabs(page) == {}
    assert "De Ana" not in page.content.decode()


def test_a_shared_view_is_listed_for_its_teams_with_each_agents_own_count(
    client, ana, carla, marta, team_n1, urgent_tickets
):
    services.save_view(
        by=marta, name="Urgentes sin asignar", query="queue=unassigned&priority=urgent", shared=True
    )
    services.save_view(by=marta, name="Solo N1", query="", shared=True, teams=[team_n1])
    client.force_login(carla)
    assert view_tabs(client.get(QUEUE_URL)) == {"Urgentes sin asignar": 1}
    client.force_login(ana)
    assert view_tabs(client.get(QUEUE_URL)) == {"Urgentes sin asignar": 2, "Solo N1": 3}
    client.force_login(marta)
    assert view_tabs(client.get(QUEUE_URL)) == {"Urgentes sin asignar": 3, "Solo N1": 4}


def test_a_manager_shares_a_view_from_the_queue(client, marta, team_n2):
    client.force_login(marta)
    response = client.post(
        SAVE_URL,
        {"name": "N2 urgentes", "query": "priority=urgent", "shared": "on", "teams": [team_n2.pk]},
    )
    assert response.status_code == 302
    view = SavedView.objects.get()
    assert view.owner is None and list(view.teams.all()) == [team_n2]


def test_an_agent_cannot_share_a_view_and_nothing_is_saved(client, ana):
    client.force_login(ana)
    response = client.post(SAVE_URL, {"name": "Para todos", "query": "", "shared": "on"})
    assert response.status_code == 403
    assert not SavedView.objects.exists()
    assert 'name="shared"' not in client.get(QUEUE_URL).content.decode()


def test_unknown_filters_are_refused_on_the_queue_keeping_what_was_typed(client, ana):
    client.force_login(ana)
    response = client.post(SAVE_URL, {"name": "Rara", "query": "priority=high&colour=red"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Unknown filters: colour." in html
    assert 'value="Rara"' in html
    assert '<details class="mb-3 save-view" open>' in html
    assert not SavedView.objects.exists()


def test_a_taken_name_is_refused(client, ana):
    services.save_view(by=ana, name="Mías", query="queue=mine")
    client.force_login(ana)
    response = client.post(SAVE_URL, {"name": "mías", "query": "priority=high"})
    assert response.status_code == 400
    assert "You already have a view with this name." in response.content.decode()
    assert SavedView.objects.count() == 1


def test_the_lasting_link_opens_the_views_current_filters(client, ana, marta):
    view = services.save_view(by=marta, name="Desk", query="priority=high", shared=True)
    client.force_login(ana)
    response = client.get(QUEUE_URL, {"view": view.pk})
    assert response.status_code == 302
    assert response.url == f"{QUEUE_URL}?queue=all&priority=high&sort=-created"


def test_the_lasting_link_of_someone_elses_view_opens_the_plain_queue(client, ana, bruno):
    view = services.save_view(by=bruno, name="Secreta de Bruno", query="priority=high")
    client.force_login(ana)
    response = client.get(QUEUE_URL, {"view": view.pk}, follow=True)
    html = response.content.decode()
    assert response.redirect_chain == [(QUEUE_URL, 302)]
    assert "That saved view is not available to you." in html
    assert "Secreta de Bruno" not in html
    assert client.get(QUEUE_URL, {"view": "99999999999999999999999"}).status_code == 302


def test_the_manage_page_renames_and_deletes_only_what_is_yours(client, ana, bruno, marta):
    mine = services.save_view(by=ana, name="Mías", query="queue=mine")
    shared = services.save_view(by=marta, name="Desk", query="priority=urgent", shared=True)
    brunos = services.save_view(by=bruno, name="De Bruno", query="")
    client.force_login(ana)
    html = client.get(MANAGE_URL).content.decode()
    assert reverse("cases:saved_view_rename", args=[mine.pk]) in html
    assert reverse("cases:saved_view_rename", args=[shared.pk]) not in html  # shown, not editable
    assert "Desk" in html and "Priority:</span> Urgent" in html
    assert "De Bruno" not in html

    response = client.post(reverse("cases:saved_view_rename", args=[mine.pk]), {"name": "Lo mío"})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.name == "Lo mío"
    # a shared view: refused; another person's: not even found
    assert client.post(reverse("cases:saved_view_delete", args=[shared.pk])).status_code == 403
    assert client.post(reverse("cases:saved_view_delete", args=[brunos.pk])).status_code == 404
    assert (
        client.post(reverse("cases:saved_view_rename", args=[brunos.pk]), {"name": "X"}).status_code
        == 404
    )
    assert SavedView.objects.count() == 3
    client.post(reverse("cases:saved_view_delete", args=[mine.pk]))
    assert set(SavedView.objects.all()) == {shared, brunos}


def test_renaming_to_an_empty_name_shows_the_error_on_the_manage_page(client, ana):
    mine = services.save_view(by=ana, name="Mías", query="queue=mine")
    client.force_login(ana)
    response = client.post(reverse("cases:saved_view_rename", args=[mine.pk]), {"name": " "})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    mine.refresh_from_db()
    assert mine.name == "Mías"


def test_saved_view_pages_are_for_staff_only(client, nobody_user):
    client.force_login(nobody_user)
    assert client.get(MANAGE_URL).status_code == 403
    assert client.post(SAVE_URL, {"name": "X", "query": ""}).status_code == 403
    client.logout()
    assert client.get(MANAGE_URL).status_code == 302


@pytest.fixture
def nobody_user(db):
    from tests.factories import UserFactory

    return UserFactory(username="nadie")
