"""What insights hears from the apps below it."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import receiver

from cases.models import Ticket
from cases.signals import ticket_registered
from insights.services.auto_apply import any_enabled
from insights.tasks import auto_apply_ticket


@receiver(ticket_registered, sender=Ticket, dispatch_uid="insights_auto_apply_new_ticket")
def auto_apply_new_ticket(
    sender: type[Ticket], ticket: Ticket, by: Any = None, replay: bool = False, **kwargs: Any
) -> None:
    """A ticket a customer opened (e-mail, web form, portal) is read for the auto-apply rules
    once it is committed. An agent who registers a ticket classifies it: what they chose, or
    left for later, is theirs (the ticket page suggests). Never while history is replayed,
    nor when no rule is switched on."""
    if replay or by is not None or not any_enabled():
        return
    ticket_id = ticket.pk
    transaction.on_commit(lambda: auto_apply_ticket.delay(ticket_id))
