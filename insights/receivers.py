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
    sender: type[Ticket], ticket: Ticket, replay: bool = False, **kwargs: Any
) -> None:
    """A new ticket is read for the auto-apply rules once it is committed (never while
    history is replayed, nor when no rule is switched on)."""
    if replay or not any_enabled():
        return
    ticket_id = ticket.pk
    transaction.on_commit(lambda: auto_apply_ticket.delay(ticket_id))
