"""Who may use the workspace: anonymous people go to the login page, people without a role
get 403, agents of another team get 404 on tickets they cannot see, and CSRF holds."""

import pytest
from django.test import Client
from django.urls import reverse

from cases.models import Status
from tests.factories import UserFactory
from tests.web.test_workspace_support import act, action_url, detail_url, fresh, move_to

ACTIONS = [
    "classify",
    "assign",
    "assign-me",
    "auto-assign",
    "reply",
    "escalate",
    "pending",
    "resume",
    "resolve",
    "reopen",
    "close",
]
# Enough for each action to succeed if the request got through.
ACTION_DATA = {
    "classify": {"subject": "Hacked", "priority": "urgent", "channel": "email"},
    "reply": {"body": "Hi", "kind": "public"},
    "escalate": {"reason": "Because"},
    "resolve": {"resolution": "Done"},
    "reopen": {"reason": "Again"},
}


def workspace_get_urls(ticket):
    customer = ticket.customer_id
    return [
        reverse("cases:queue"),
        reverse("cases:ticket_create"),
        detail_url(ticket),
        reverse("cases:customer_list"),
        reverse("cases:customer_create"),
        reverse("cases:customer_detail", args=[customer]),
        reverse("cases:customer_edit", args=[customer]),
    ]


def test_anonymous_visitors_are_sent_to_the_login_page_from_every_page(ticket, client):
    login = reverse("login")
    for url in workspace_get_urls(ticket):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(f"{login}?next="), url


@pytest.mark.parametrize("slug", ACTIONS)
def test_anonymous_posts_to_actions_are_sent_to_login_and_change_nothing(slug, ticket, client):
    before = fresh(ticket)
    response = act(client, ticket, slug, **ACTION_DATA.get(slug, {}))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert fresh(ticket).version == before.version


def test_anonymous_posts_to_the_forms_are_sent_to_login(ticket, client):
    for url in (
        reverse("cases:ticket_create"),
        reverse("cases:customer_create"),
        reverse("cases:customer_edit", args=[ticket.customer_id]),
    ):
        response = client.post(url, {"subject": "x", "name": "x"})
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_a_user_without_a_role_gets_403_everywhere(ticket, client):
    client.force_login(UserFactory(username="nobody"))
    for url in workspace_get_urls(ticket):
        assert client.get(url).status_code == 403, url
    assert act(client, ticket, "assign-me").status_code == 403
    assert fresh(ticket).assignee is None


def test_an_agent_of_another_team_gets_404_on_the_ticket_page(ticket, client, carla):
    client.force_login(carla)
    assert client.get(detail_url(ticket)).status_code == 404


@pytest.mark.parametrize("slug", ACTIONS)
def test_an_agent_of_another_team_gets_404_on_every_action(slug, ticket, client, carla, ana):
    if slug in ("pending", "resolve"):
        ticket = move_to(ticket, Status.OPEN, by=ana)
    elif slug == "resume":
        ticket = move_to(ticket, Status.PENDING, by=ana)
    elif slug in ("reopen", "close"):
        ticket = move_to(ticket, Status.RESOLVED, by=ana)
    before = fresh(ticket)
    client.force_login(carla)
    assert act(client, ticket, slug, **ACTION_DATA.get(slug, {})).status_code == 404
    after = fresh(ticket)
    assert (after.version, after.status, after.assignee_id) == (
        before.version,
        before.status,
        before.assignee_id,
    )


def test_a_manager_outside_the_team_sees_the_ticket_page(ticket, client, marta):
    client.force_login(marta)
    assert client.get(detail_url(ticket)).status_code == 200


def test_a_post_without_the_csrf_token_is_refused(ticket, ana):
    client = Client(enforce_csrf_checks=True)
    client.force_login(ana)
    response = client.post(action_url(ticket, "assign-me"), {"version": ticket.version})
    assert response.status_code == 403
    assert fresh(ticket).assignee is None
