"""Two agents on one ticket learn about each other before either sends anything: each ticket
page reports every few seconds, and the answer says who else has the ticket open and who is
writing a reply (cases/presence.py)."""

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases import presence

pytestmark = pytest.mark.django_db


def heartbeat(client, ticket, activity="viewing"):
    return client.post(reverse("cases:ticket_presence", args=[ticket.pk]), {"activity": activity})


def test_an_agent_sees_a_colleague_viewing_then_writing_on_the_same_ticket(
    client, ana, bruno, ticket
):
    client.force_login(ana)
    alone = heartbeat(client, ticket)
    assert alone.status_code == 200
    assert "is viewing" not in alone.content.decode()

    client.force_login(bruno)
    heartbeat(client, ticket, "viewing")
    client.force_login(ana)
    page = heartbeat(client, ticket).content.decode()
    assert "Bruno Díaz is viewing this ticket" in page

    client.force_login(bruno)
    answer = heartbeat(client, ticket, "writing").content.decode()
    assert "Ana Pérez is viewing this ticket" in answer  # Bruno sees Ana too
    client.force_login(ana)
    page = heartbeat(client, ticket).content.decode()
    assert "Bruno Díaz is writing a reply" in page
    assert "Ana Pérez" not in page  # nobody is told about themselves


def test_a_closed_page_disappears_after_the_presence_expires(client, ana, bruno, ticket):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client.force_login(bruno)
        heartbeat(client, ticket, "writing")
        clock.move_to(start + timedelta(seconds=presence.PRESENCE_SECONDS - 1))
        client.force_login(ana)
        assert "Bruno Díaz is writing" in heartbeat(client, ticket).content.decode()
        clock.move_to(start + timedelta(seconds=presence.PRESENCE_SECONDS + 1))
        assert "Bruno Díaz" not in heartbeat(client, ticket).content.decode()


def test_spanish_agents_read_it_in_spanish(client, ana, bruno, ticket):
    bruno.language = "es"
    bruno.save(update_fields=["language"])
    client.force_login(ana)
    heartbeat(client, ticket, "writing")
    client.force_login(bruno)
    page = client.post(
        reverse("cases:ticket_presence", args=[ticket.pk]),
        {"activity": "viewing"},
        HTTP_ACCEPT_LANGUAGE="es",
    ).content.decode()
    assert "Ana Pérez está escribiendo una respuesta" in page


def test_only_people_who_may_see_the_ticket_report_on_it(client, ana, carla, ticket):
    # Carla works in Soporte N2: the ticket is Soporte N1's.
    client.force_login(carla)
    assert heartbeat(client, ticket, "writing").status_code == 404
    client.force_login(ana)
    assert "Carla" not in heartbeat(client, ticket).content.decode()  # nothing was recorded
    client.logout()
    assert heartbeat(client, ticket).status_code == 302  # to the login page


def test_the_heartbeat_is_a_post(client, ana, ticket):
    client.force_login(ana)
    response = client.get(reverse("cases:ticket_presence", args=[ticket.pk]))
    assert response.status_code == 405


def test_an_unknown_activity_counts_as_viewing(client, ana, bruno, ticket):
    client.force_login(bruno)
    heartbeat(client, ticket, "<script>alert(1)</script>")
    client.force_login(ana)
    page = heartbeat(client, ticket).content.decode()
    assert "Bruno Díaz is viewing this ticket" in page
    assert "<script>" not in page


def test_without_the_cache_the_page_shows_nobody_and_does_not_fail(client, ana, bruno, ticket):
    client.force_login(bruno)
    heartbeat(client, ticket, "writing")
    client.force_login(ana)
    with mock.patch.object(presence.cache, "set", side_effect=ConnectionError("redis down")):
        response = heartbeat(client, ticket)
    assert response.status_code == 200
    assert "Bruno" not in response.content.decode()


def test_the_ticket_page_reports_itself_and_marks_drafts_as_writing(client, ana, ticket):
    client.force_login(ana)
    page = client.get(reverse("cases:ticket_detail", args=[ticket.pk])).content.decode()
    url = reverse("cases:ticket_presence", args=[ticket.pk])
    assert f'hx-post="{url}"' in page
    assert 'hx-trigger="load, every 10s"' in page
    assert presence.HEARTBEAT_SECONDS == 10
    assert 'id="presence-activity" name="activity" value="viewing"' in page
