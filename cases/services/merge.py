"""Merging a duplicate into the ticket that carries on (docs/workspace.md, "Merging").

The duplicate (the source) ends `merged` — the lifecycle's terminal move — pointing at the
target. Its conversation follows: the customer's first message (the source's description)
and every reply, note and file move to the target's timeline at their own times, and so do
the e-mails of the thread (their Message-IDs), so that the customer's next answer to any of
them threads into the target. The target keeps its own status, clocks and counters
(docs/kpis.md: a merged ticket counts only through its target).
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import lifecycle
from ..errors import ConflictError, PermissionDenied, ValidationError
from ..lifecycle import Action
from ..models import (
    Attachment,
    EventKind,
    InboundEmail,
    NotificationKind,
    NotificationStatus,
    OutboundEmail,
    Reply,
    Status,
    Ticket,
    User,
)
from ..selectors import can_see_ticket
from ..signals import is_replaying, ticket_merged
from .notifications import queue_email
from .steps import require_staff
from .tickets import _event

# Statuses a ticket may take a duplicate in: a closed ticket's conversation is over.
TAKES_MERGES = (Status.NEW, Status.OPEN, Status.PENDING, Status.RESOLVED)


def _locked_pair(source: Ticket, target: Ticket) -> tuple[Ticket, Ticket]:
    """Both rows locked, lowest id first, so two merges of the same pair in opposite
    directions wait for each other instead of deadlocking."""
    rows = {
        ticket.pk: ticket
        for ticket in Ticket.objects.select_for_update()
        .filter(pk__in=[source.pk, target.pk])
        .order_by("pk")
        .select_related("customer")
    }
    return rows[source.pk], rows[target.pk]


def _check(
    source: Ticket,
    target: Ticket,
    *,
    by: User,
    expected_version: int | None,
    other_customer_confirmed: bool,
) -> None:
    if source.pk == target.pk:
        raise ValidationError(_("A ticket cannot be merged into itself."), field="into")
    if not (can_see_ticket(by, source) and can_see_ticket(by, target)):
        raise PermissionDenied(_("You cannot work on this ticket."))
    if expected_version is not None and expected_version != source.version:
        raise ConflictError(
            _("Someone else changed this ticket a moment ago. Reload it and try again."),
            status=source.status,
        )
    lifecycle.transition(Action.MERGE, source.status)  # TransitionError for closed / merged
    if target.status not in TAKES_MERGES:
        raise ValidationError(
            _("%(reference)s is %(status)s: merge into a ticket that is not closed.")
            % {"reference": target.reference, "status": Status(target.status).label.lower()},
            field="into",
        )
    if source.customer_id != target.customer_id and not other_customer_confirmed:
        raise ValidationError(
            _(
                "%(reference)s belongs to another customer (%(customer)s). Its customer will "
                "see this conversation: confirm to merge anyway."
            )
            % {"reference": target.reference, "customer": target.customer.name},
            field="confirm_other_customer",
        )


def _move_conversation(source: Ticket, target: Ticket) -> int:
    """The source's first message, replies, notes, files and e-mail thread, onto the target;
    returns how many messages moved (the first message included)."""
    first_message = Reply.objects.create(
        ticket=target,
        author=None,  # the customer's words, as the description of any channel is
        body=_first_message_body(source, target),
        public=True,
        created_at=source.created_at,
    )
    moved = Reply.objects.filter(ticket=source).update(ticket=target)
    # The files of the first message stay with it; the others with their replies.
    Attachment.objects.filter(ticket=source, reply__isnull=True).update(
        ticket=target, reply=first_message
    )
    Attachment.objects.filter(ticket=source).update(ticket=target)
    InboundEmail.objects.filter(ticket=source).update(ticket=target)
    # Customer e-mails already out carry the Message-IDs the customer's client answers;
    # anything still queued is delivered as what it was, about the source.
    OutboundEmail.objects.filter(
        ticket=source, recipient__isnull=True, status=NotificationStatus.SENT
    ).update(ticket=target)
    return moved + 1


def _first_message_body(source: Ticket, target: Ticket) -> str:
    """What the customer first wrote on the source, headed by where it came from (and by
    whom, when the two tickets have different customers)."""
    heading = f"[{source.reference}] {source.subject}"
    if source.customer_id != target.customer_id:
        # Their name only: the target's customer will read this, not the address.
        heading = f"{heading} — {source.customer.name}"
    return f"{heading}\n\n{source.description}"


@transaction.atomic
def merge_tickets(
    *,
    source: Ticket,
    target: Ticket,
    by: User,
    expected_version: int | None = None,
    other_customer_confirmed: bool = False,
    notify_customer: bool = False,
    at: datetime | None = None,
) -> Ticket:
    """Merge `source` into `target`; returns the target. Refused, with nothing changed: the
    same ticket, a ticket the agent may not see, a closed or merged source or target, a
    stale version of the source, or another customer's target without confirmation."""
    require_staff(by)
    at = at or timezone.now()
    source, target = _locked_pair(source, target)
    _check(
        source,
        target,
        by=by,
        expected_version=expected_version,
        other_customer_confirmed=other_customer_confirmed,
    )
    messages = _move_conversation(source, target)
    move = lifecycle.transition(Action.MERGE, source.status)
    source.status = move.target
    source.merged_into = target
    source.merged_at = at
    source.updated_at = at
    source.version += 1
    source.save(update_fields=["status", "merged_into", "merged_at", "updated_at", "version"])
    target.updated_at = at
    target.version += 1
    target.save(update_fields=["updated_at", "version"])
    _event(
        source,
        by,
        EventKind.MERGED,
        at,
        **{"from": move.source, "to": move.target},
        into=target.pk,
        reference=target.reference,
        messages=messages,
    )
    _event(
        target,
        by,
        EventKind.MERGED_IN,
        at,
        source=source.pk,
        reference=source.reference,
        subject=source.subject,
        messages=messages,
        other_customer=source.customer_id != target.customer_id,
    )
    ticket_merged.send(
        sender=Ticket, source=source, target=target, by=by, at=at, replay=is_replaying()
    )
    if notify_customer:
        queue_email(ticket=target, kind=NotificationKind.TICKET_MERGED, at=at)
    return target
