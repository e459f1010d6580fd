"""Helpers of the API tests: clients that authenticate like real callers, and tickets driven
to a status through the real services."""

from django.urls import reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

from cases import services
from cases.models import Status, Ticket


def token_client(user=None) -> APIClient:
    """A client sending `Authorization: Token <key>` for `user`, anonymous for None."""
    client = APIClient()
    if user is not None:
        _instance, token = AuthToken.objects.create(user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def url(name: str, *args) -> str:
    return reverse(f"api:{name}", args=args)


def bring_to(ticket: Ticket, status: str, *, by) -> Ticket:
    """Drive `ticket` to `status` the way agents would."""
    if status == Status.NEW:
        return ticket
    services.add_reply(ticket=ticket, by=by, body="We are on it.")
    if status == Status.OPEN:
        return Ticket.objects.get(pk=ticket.pk)
    if status == Status.PENDING:
        return services.set_pending(ticket=ticket, by=by)
    ticket = services.resolve_ticket(ticket=ticket, by=by, resolution="Replaced the cartridge.")
    if status == Status.RESOLVED:
        return ticket
    return services.close_ticket(ticket=ticket, by=by)
