"""Related tickets: linked both ways with a note, each change in both timelines."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..errors import PermissionDenied, ValidationError
from ..models import EventKind, Ticket, TicketRelation, User
from ..selectors import can_see_ticket
from .steps import require_staff
from .tickets import _event

NOTE_MAX = 500


def _check_may_work_on(by: User, *tickets: Ticket) -> None:
    require_staff(by)
    if not all(can_see_ticket(by, ticket) for ticket in tickets):
        raise PermissionDenied(_("You cannot work on this ticket."))


@transaction.atomic
def relate_tickets(*, ticket: Ticket, other: Ticket, by: User, note: str = "") -> TicketRelation:
    """Relate two tickets the user may both see. Relating a ticket to itself, or twice, is
    refused with the reason."""
    _check_may_work_on(by, ticket, other)
    if ticket.pk == other.pk:
        raise ValidationError(_("A ticket cannot be related to itself."), field="reference")
    note = " ".join((note or "").split())
    if len(note) > NOTE_MAX:
        raise ValidationError(
            _("The note has at most %(max)d characters.") % {"max": NOTE_MAX}, field="note"
        )
    first, second = sorted((ticket, other), key=lambda t: t.pk)
    try:
        with transaction.atomic():
            relation = TicketRelation.objects.create(
                first=first, second=second, note=note, created_by=by
            )
    except IntegrityError:
        raise ValidationError(
            _("%(reference)s is already related to this ticket.") % {"reference": other.reference},
            field="reference",
        ) from None
    at = timezone.now()
    for one, two in ((ticket, other), (other, ticket)):
        _event(one, by, EventKind.RELATED, at, other=two.pk, reference=two.reference, note=note)
    return relation


@transaction.atomic
def unrelate_tickets(*, relation: TicketRelation, by: User) -> None:
    """Undo a relation: anyone who may see both tickets."""
    first = Ticket.objects.get(pk=relation.first_id)
    second = Ticket.objects.get(pk=relation.second_id)
    _check_may_work_on(by, first, second)
    relation.delete()
    at = timezone.now()
    for one, two in ((first, second), (second, first)):
        _event(one, by, EventKind.UNRELATED, at, other=two.pk, reference=two.reference)
