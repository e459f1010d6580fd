"""Tags on a ticket: added and removed through one service, for the ticket page, the API,
macros and bulk work alike."""

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from .. import lifecycle
from ..errors import ValidationError
from ..lifecycle import Action
from ..models import EventKind, Tag, Ticket, TicketTag, User
from ..tags import normalise_tags
from .tickets import _event, _lock, _now, _save


@transaction.atomic
def change_tags(
    *,
    ticket: Ticket,
    by: User,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Add and remove tags (normalised: cases/tags.py). A tag both added and removed is a
    mistake, refused; adding one the ticket has or removing one it lacks changes nothing. A
    real change bumps the version and is one `tagged` event saying what was added and
    removed."""
    at = _now(at)
    added, removed = normalise_tags(add), normalise_tags(remove)
    if both := set(added) & set(removed):
        raise ValidationError(
            _("“%(tag)s” cannot be added and removed at once.") % {"tag": sorted(both)[0]},
            field="tags",
        )
    ticket = _lock(ticket, by, expected_version)
    lifecycle.transition(Action.TAG, ticket.status)
    present = set(ticket.tags.values_list("name", flat=True))
    added = [name for name in added if name not in present]
    removed = [name for name in removed if name in present]
    if not added and not removed:
        return ticket
    for name in added:
        tag, _created = Tag.objects.get_or_create(name=name)
        TicketTag.objects.create(ticket=ticket, tag=tag, added_at=at, added_by=by)
    if removed:
        TicketTag.objects.filter(ticket=ticket, tag__name__in=removed).delete()
    _save(ticket, [], at)
    _event(ticket, by, EventKind.TAGGED, at, added=added, removed=removed)
    return ticket
