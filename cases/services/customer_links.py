"""Customers' private links: what a link opens, withdrawing a case's links, and a new link
by e-mail for someone who holds an expired or withdrawn one.

A link is a 256-bit random token of which only the SHA-256 is stored
(`notifications.issue_access_token`, one per e-mail to the customer). It opens its case while
the case is not closed and for `CUSTOMER_LINK_DAYS_AFTER_CLOSE` days after it closed —
counted from the link's issue when it was sent after the close — unless an agent withdrew
it. A new link is only ever sent to the customer's address on file.
"""

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..errors import PermissionDenied
from ..models import (
    EventKind,
    NotificationKind,
    OutboundEmail,
    Ticket,
    TicketAccessToken,
    TicketEvent,
    User,
)
from ..selectors import can_see_ticket
from .notifications import hash_token, queue_email

TOKEN_MAX_LENGTH = 100


class LinkState(enum.Enum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True)
class LinkAccess:
    """A known link: its ticket and whether it still opens it."""

    link: TicketAccessToken
    ticket: Ticket
    state: LinkState

    @property
    def usable(self) -> bool:
        return self.state is LinkState.VALID


def link_expires_at(link: TicketAccessToken, ticket: Ticket) -> datetime | None:
    """When the link stops opening its case; None while the case is not closed."""
    if ticket.closed_at is None:
        return None
    start = max(ticket.closed_at, link.created_at)
    return start + timedelta(days=settings.CUSTOMER_LINK_DAYS_AFTER_CLOSE)


def _state(link: TicketAccessToken, ticket: Ticket, now: datetime) -> LinkState:
    if link.revoked_at is not None:
        return LinkState.REVOKED
    expires = link_expires_at(link, ticket)
    if expires is not None and now >= expires:
        return LinkState.EXPIRED
    return LinkState.VALID


def _find(token: str) -> TicketAccessToken | None:
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return (
        TicketAccessToken.objects.select_related("ticket", "ticket__customer")
        .filter(token_hash=hash_token(token))
        .first()
    )


def access_for_token(token: str) -> LinkAccess | None:
    """What a link token opens, or None for a token that was never issued (malformed,
    truncated or altered ones included). A usable link's use is noted."""
    link = _find(token)
    if link is None:
        return None
    now = timezone.now()
    state = _state(link, link.ticket, now)
    if state is LinkState.VALID:
        TicketAccessToken.objects.filter(pk=link.pk).update(last_used_at=now)
    return LinkAccess(link=link, ticket=link.ticket, state=state)


def ticket_for_access_token(token: str) -> Ticket | None:
    """The ticket a link opens now, or None (unknown, expired or withdrawn: the same)."""
    access = access_for_token(token)
    return access.ticket if access is not None and access.usable else None


@transaction.atomic
def revoke_customer_links(*, ticket: Ticket, by: User) -> int:
    """Withdraw every link of the case at once (a forwarded or leaked e-mail). The
    customer's next e-mail about the case carries a new one. Returns how many were open."""
    if by is None or not by.is_active or by.role is None or not can_see_ticket(by, ticket):
        raise PermissionDenied(_("You cannot work on this ticket."))
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    now = timezone.now()
    count = TicketAccessToken.objects.filter(ticket=ticket, revoked_at__isnull=True).update(
        revoked_at=now
    )
    TicketEvent.objects.create(
        ticket=ticket, actor=by, kind=EventKind.LINKS_REVOKED, at=now, data={"count": count}
    )
    return count


def request_new_link(token: str) -> None:
    """Someone holding an expired or withdrawn link asks for a new one: it goes by e-mail
    to the case's customer address on file, at most once per case every
    `CUSTOMER_LINK_RESEND_MINUTES`. Returns nothing on purpose: the caller answers the
    same whether or not an e-mail left (unknown token, valid link, no address, too soon)."""
    link = _find(token)
    if link is None:
        return
    with transaction.atomic():
        # The lock makes two simultaneous requests queue one e-mail, not two.
        ticket = (
            Ticket.objects.select_for_update().select_related("customer").get(pk=link.ticket_id)
        )
        now = timezone.now()
        state = _state(link, ticket, now)
        if state is LinkState.VALID or not ticket.customer.email:
            return
        since = now - timedelta(minutes=settings.CUSTOMER_LINK_RESEND_MINUTES)
        if OutboundEmail.objects.filter(
            ticket=ticket, kind=NotificationKind.CUSTOMER_LINK, created_at__gte=since
        ).exists():
            return
        if queue_email(ticket=ticket, kind=NotificationKind.CUSTOMER_LINK) is None:
            return
        TicketEvent.objects.create(
            ticket=ticket,
            actor=None,
            kind=EventKind.LINK_RESENT,
            at=now,
            data={"because": state.value},
        )
