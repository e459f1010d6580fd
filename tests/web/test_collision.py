"""The traffic cop: a reply sent after someone else replied, or changed the status or the
assignee, since the page was loaded is not lost and not sent blindly — the page shows what
changed above the kept draft, and sending again sends it."""

import re

import pytest
from django.urls import reverse

from cases import services
from cases.models import Reply, Ticket
from cases.selectors import last_event_id

pytestmark = pytest.mark.django_db


def reply_form_fields(html: str) -> dict[str, str]:
    match = re.search(r'<form[^>]*data-action="reply".*?</form>', html, re.S)
    assert match, "the page has a reply form"
    form = match.group(0)
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="(\d+)"', form))


def send(client, ticket, body, fields):
    return client.post(
        reverse("cases:ticket_action", args=[ticket.pk, "reply"]),
        {"body": body, "kind": "public", **fields},
    )


def test_a_colleagues_reply_meanwhile_is_shown_above_the_kept_draft(client, ana, bruno, ticket):
    client.force_login(ana)
    page = client.get(reverse("cases:ticket_detail", args=[ticket.pk])).content.decode()
    fields = reply_form_fields(page)
    assert fields["seen"] == str(last_event_id(ticket))

    services.add_reply(ticket=ticket, by=bruno, body="Ya le llamé: el envío sale mañana.")
    services.assign_ticket(ticket=ticket, by=bruno, assignee=bruno)

    draft = "Hola Lucía, revisamos tu pedido y te escribimos hoy."
    response = send(client, ticket, draft, fields)
    assert response.status_code == 409
    html = response.content.decode()
    cop = re.search(r'<div class="alert alert-warning collision".*?Your draft is kept', html, re.S)
    assert cop, "the changes are shown above the draft"
    changes = cop.group(0)
    assert "Ya le llamé: el envío sale mañana." in changes
    assert "Assigned to Bruno Díaz." in changes
    assert "Registered" not in changes and "Ticket created" not in changes  # only what is new
    assert draft in html  # the draft is kept
    assert "Send anyway" in html
    assert not Reply.objects.filter(body=draft).exists()

    # Sending again sends it, as it is.
    again = reply_form_fields(html)
    assert again["version"] == str(Ticket.objects.get(pk=ticket.pk).version)
    assert send(client, ticket, draft, again).status_code == 302
    assert Reply.objects.filter(body=draft, author=ana).count() == 1


def test_a_reply_on_an_unchanged_ticket_goes_straight_out(client, ana, ticket):
    client.force_login(ana)
    page = client.get(reverse("cases:ticket_detail", args=[ticket.pk])).content.decode()
    response = send(client, ticket, "Hola, ya lo vemos.", reply_form_fields(page))
    assert response.status_code == 302
    assert Reply.objects.filter(body="Hola, ya lo vemos.").exists()


def test_a_forged_seen_value_shows_only_this_tickets_own_changes(
    client, ana, bruno, ticket, team_n1
):
    from tests.factories import make_ticket

    other = make_ticket(by=bruno, team=team_n1, subject="Otro cliente, otro caso")
    services.add_reply(ticket=other, by=bruno, body="Mensaje de otro ticket")
    client.force_login(ana)
    page = client.get(reverse("cases:ticket_detail", args=[ticket.pk])).content.decode()
    fields = reply_form_fields(page)
    services.add_reply(ticket=ticket, by=bruno, body="Respuesta de Bruno")
    response = send(client, ticket, "Mi borrador", {**fields, "seen": "0"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "Respuesta de Bruno" in html
    assert "Mensaje de otro ticket" not in html
