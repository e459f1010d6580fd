"""Tags from the ticket page: added as typed, removed by ticking, refused with the reason and
what was typed kept, never on a closed ticket, and stale pages refused like any action."""

import pytest
from django.urls import reverse

from cases import services
from cases.models import EventKind, Status, Ticket, TicketEvent
from tests.cases.lifecycle_helpers import bring_to

pytestmark = pytest.mark.django_db


def post_tags(client, ticket, **data):
    data.setdefault("version", Ticket.objects.get(pk=ticket.pk).version)
    return client.post(reverse("cases:ticket_action", args=[ticket.pk, "tags"]), data)


def tags_of(ticket):
    return sorted(Ticket.objects.get(pk=ticket.pk).tags.values_list("name", flat=True))


def test_an_agent_adds_tags_typed_with_commas_and_removes_one_by_ticking(client, ana, ticket):
    client.force_login(ana)
    response = post_tags(client, ticket, add="VIP, Envío")
    assert response.status_code == 302
    assert tags_of(ticket) == ["envío", "vip"]

    page = client.get(reverse("cases:ticket_detail", args=[ticket.pk])).content.decode()
    assert 'name="remove" value="vip"' in page  # the current tags, to tick off
    post_tags(client, ticket, remove=["vip"])
    assert tags_of(ticket) == ["envío"]
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.TAGGED).count() == 2


def test_a_bad_tag_is_refused_on_the_form_and_what_was_typed_is_kept(client, ana, ticket):
    client.force_login(ana)
    typed = "vip, " + "x" * 60
    response = post_tags(client, ticket, add=typed)
    assert response.status_code == 400
    page = response.content.decode()
    assert "at most 50 characters" in page
    assert "x" * 60 in page
    assert tags_of(ticket) == []


def test_an_empty_submit_says_what_to_do(client, ana, ticket):
    client.force_login(ana)
    response = post_tags(client, ticket, add="  ")
    assert response.status_code == 400
    assert "Type a tag to add or tick one to remove." in response.content.decode()


def test_a_stale_page_is_refused_and_changes_nothing(client, ana, bruno, ticket):
    client.force_login(ana)
    seen = Ticket.objects.get(pk=ticket.pk).version
    services.change_tags(ticket=ticket, by=bruno, add=["urgente"])
    response = post_tags(client, ticket, add="vip", version=seen)
    assert response.status_code == 409
    assert tags_of(ticket) == ["urgente"]


def test_a_closed_ticket_offers_no_tag_form_and_refuses_one(client, ana, ticket):
    closed = bring_to(ticket, Status.CLOSED, by=ana)
    client.force_login(ana)
    page = client.get(reverse("cases:ticket_detail", args=[closed.pk])).content.decode()
    assert 'data-action="tags"' not in page
    assert post_tags(client, closed, add="vip").status_code == 409
    assert tags_of(closed) == []


def test_another_teams_agent_cannot_tag_the_ticket(client, carla, ticket):
    client.force_login(carla)
    assert post_tags(client, ticket, add="vip").status_code == 404
    assert tags_of(ticket) == []
