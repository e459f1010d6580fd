"""Helpers shared by the workspace tests (this module holds no tests).

State is reached through the real services, as the rest of the suite does."""

from django.urls import reverse

from cases import services
from cases.models import Status, Ticket


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def move_to(ticket: Ticket, status: str, *, by) -> Ticket:
    """Walk a new ticket along the lifecycle to `status` with the services."""
    if status == Status.NEW:
        return fresh(ticket)
    services.add_reply(ticket=ticket, by=by, body="We are looking into it.")
    if status == Status.PENDING:
        services.set_pending(ticket=ticket, by=by)
    elif status in (Status.RESOLVED, Status.CLOSED):
        services.resolve_ticket(ticket=ticket, by=by, resolution="Replaced the toner.")
        if status == Status.CLOSED:
            services.close_ticket(ticket=ticket, by=by)
    return fresh(ticket)


def action_url(ticket: Ticket, slug: str) -> str:
    return reverse("cases:ticket_action", args=[ticket.pk, slug])


def act(client, ticket: Ticket, slug: str, headers=None, **data):
    """POST an action as the ticket page would: with the version the page showed."""
    if "version" not in data:
        data["version"] = fresh(ticket).version
    return client.post(action_url(ticket, slug), data, headers=headers or {})


def detail_url(ticket: Ticket) -> str:
    return reverse("cases:ticket_detail", args=[ticket.pk])
