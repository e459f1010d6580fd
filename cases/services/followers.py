"""A ticket's followers: people kept in copy of its public replies — the addresses in the
`Cc` of the customer's e-mails, and those an agent adds. A follower's e-mail reply threads
into the ticket as theirs; it never moves the ticket's status, so nobody who is not a party
to the case reopens or resumes it (docs/workspace.md, "Followers")."""

from datetime import datetime
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import lifecycle
from ..errors import ValidationError
from ..lifecycle import Action
from ..models import EventKind, Reply, Ticket, TicketFollower, User
from ..selectors import customers_with_email, merged_target
from .steps import NO_BODY, advance, require_staff, required_text
from .tickets import _event, _lock, _store

# At most this many followers on one ticket: a Cc of a whole department stays readable.
FOLLOWERS_MAX = 20


def desk_addresses() -> set[str]:
    """Our own addresses, which never follow a ticket (a loop)."""
    return {settings.SUPPORT_EMAIL.lower(), parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()}


def _customer_addresses(ticket: Ticket) -> set[str]:
    customer = ticket.customer
    own = {customer.email.lower()} if customer.email else set()
    return own | {address.lower() for address in customer.addresses.values_list("email", flat=True)}


def _clean_address(email: str) -> str:
    address = (email or "").strip()
    try:
        validate_email(address)
    except DjangoValidationError:
        raise ValidationError(
            _("“%(email)s” is not an e-mail address.") % {"email": address[:100]}, field="email"
        ) from None
    return address


def _follow(
    ticket: Ticket, *, email: str, name: str, by: User | None, at: datetime
) -> TicketFollower | None:
    """Add one follower to a locked ticket; None when the address already follows it, is the
    customer's or the desk's (nothing to do)."""
    lowered = email.lower()
    if lowered in desk_addresses() or lowered in _customer_addresses(ticket):
        return None
    if ticket.followers.annotate(lowered=Lower("email")).filter(lowered=lowered).exists():
        return None
    if ticket.followers.count() >= FOLLOWERS_MAX:
        raise ValidationError(
            _("A ticket has at most %(max)d followers.") % {"max": FOLLOWERS_MAX}, field="email"
        )
    customer = customers_with_email(email).first()
    try:
        with transaction.atomic():
            follower = TicketFollower.objects.create(
                ticket=ticket,
                email=email,
                name=(name or (customer.name if customer else ""))[:150],
                customer=customer,
                added_by=by,
                added_at=at,
            )
    except IntegrityError:  # added meanwhile by another message or agent
        return None
    _event(ticket, by, EventKind.FOLLOWER_ADDED, at, email=email, name=follower.name)
    return follower


@transaction.atomic
def add_follower(
    *, ticket: Ticket, by: User, email: str, name: str = "", at: datetime | None = None
) -> TicketFollower:
    """An agent keeps someone in copy of the ticket's public replies."""
    require_staff(by)
    address = _clean_address(email)
    at = at or timezone.now()
    locked = _lock(ticket, by, None)
    lifecycle.transition(Action.NOTE, locked.status)  # closed and merged tickets take none
    if address.lower() in desk_addresses():
        raise ValidationError(_("This is the desk's own address."), field="email")
    if address.lower() in _customer_addresses(locked):
        raise ValidationError(
            _("This is the customer's address: they get every public reply anyway."),
            field="email",
        )
    follower = _follow(locked, email=address, name=name.strip(), by=by, at=at)
    if follower is None:
        message = _("%(email)s already follows this ticket.") % {"email": address}
        raise ValidationError(message, field="email")
    return follower


@transaction.atomic
def remove_follower(*, follower: TicketFollower, by: User, at: datetime | None = None) -> None:
    require_staff(by)
    locked = _lock(follower.ticket, by, None)
    follower.delete()
    _event(locked, by, EventKind.FOLLOWER_REMOVED, at or timezone.now(), email=follower.email)


def follow_from_mail(
    ticket: Ticket, copied: list[tuple[str, str]], at: datetime | None = None
) -> list[TicketFollower]:
    """The `Cc` of a customer's e-mail ([(name, address)]): each address not yet following
    the ticket (and not the customer's or the desk's) follows it. Precondition: inside the
    transaction that filed the message."""
    at = at or timezone.now()
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    added = []
    for name, address in copied:
        try:
            address = _clean_address(address)
        except ValidationError:
            continue
        try:
            follower = _follow(locked, email=address, name=name, by=None, at=at)
        except ValidationError:  # the ticket has its share of followers
            break
        if follower is not None:
            added.append(follower)
    return added


def follower_of(ticket: Ticket, address: str) -> TicketFollower | None:
    return ticket.followers.annotate(lowered=Lower("email")).filter(lowered=address.lower()).first()


@transaction.atomic
def add_follower_reply(
    *, ticket: Ticket, follower: TicketFollower, body: str, at: datetime | None = None
) -> Reply:
    """A follower writes on the ticket (by e-mail): their message, as theirs, in the
    conversation. The status stays what it is (lifecycle: FOLLOWER_REPLY). On a merged ticket
    it goes to the ticket it was merged into."""
    at = at or timezone.now()
    body = required_text(body, "body", NO_BODY)
    target = merged_target(ticket)
    locked = _lock(target, None, None)
    lifecycle.transition(Action.FOLLOWER_REPLY, locked.status)
    step = advance(locked, [], at)
    _store(locked, step)
    reply = Reply.objects.create(
        ticket=locked,
        author=None,
        body=body,
        public=True,
        created_at=at,
        from_email=follower.email,
        from_name=follower.name,
    )
    _event(locked, None, EventKind.FOLLOWER_REPLIED, at, reply_id=reply.pk, email=follower.email)
    return reply
