"""The customer portal: signing in by e-mailed link, and a new case from the web form.

Sign-in (docs/portal.md):

1. `request_sign_in_link(address=…)`: whoever asks, for whatever address, the caller answers
   the same. The address is looked up (its primary e-mail or another address of a customer,
   `selectors_portal.owner_of_address`, both lookups always run); for a known one the outbox
   gets a `PORTAL_SIGN_IN` notice to that address as the desk has it written. Either way one
   send task is published after the commit (`tasks.enqueue_sign_in_link`, with nothing to
   send for an unknown address), so the request does the same work — the one difference is
   the outbox row's INSERT — and no SMTP, template or token work happens in it.
2. The token is made when the e-mail is sent (`notifications.issue_portal_sign_in`: 256
   random bits, only the SHA-256 kept, deleted again if the send fails) and works for
   `PORTAL_SIGN_IN_MINUTES` from then.
3. `use_sign_in_link(token=…)` spends it once (a conditional UPDATE: of two simultaneous
   uses exactly one wins) and returns the customer; the view starts the session
   (cases/portal_session.py).

Asking again leaves the earlier links working until they expire — e-mails may arrive out of
order, and any of them should sign the customer in — but signing in with one spends every
link of the customer still waiting: a sign-in leaves no working link behind.
"""

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from ..errors import CasesError
from ..models import Category, Channel, Customer, NotificationKind, PortalSignIn, Ticket
from ..publishing import publish_on_commit
from ..selectors_portal import owner_of_address
from .attachments import Upload, check_customer_files, files_forgotten_on_rollback, store_files
from .customers import find_or_create_customer
from .notifications import hash_token, queue_customer_notice
from .tickets import register_ticket

TOKEN_MAX_LENGTH = 100


class SignInState(enum.Enum):
    VALID = "valid"
    USED = "used"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class SignInLink:
    """What a sign-in link is now: its state and, for a known one, whose it is."""

    state: SignInState
    customer: Customer | None = None


class SignInRefused(CasesError):
    """The link does not sign anyone in (any more): `state` says why."""

    def __init__(self, state: SignInState):
        super().__init__(state.value)
        self.state = state


# --- asking for a link ------------------------------------------------------------------------


def request_sign_in_link(*, address: str) -> None:
    """E-mail a sign-in link to `address` if it is a customer's (module docstring). Returns
    nothing on purpose: the caller's answer must not depend on the address."""
    from ..tasks import enqueue_sign_in_link

    owner = owner_of_address(address)
    with transaction.atomic():
        notice = None
        if owner is not None:
            notice = queue_customer_notice(
                customer=owner.customer,
                kind=NotificationKind.PORTAL_SIGN_IN,
                to_address=owner.address,
                publish=False,
            )
        publish_on_commit(enqueue_sign_in_link, notice.pk if notice is not None else None)


# --- following it -----------------------------------------------------------------------------


def _find(token: str) -> PortalSignIn | None:
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return (
        PortalSignIn.objects.select_related("customer").filter(token_hash=hash_token(token)).first()
    )


def _state(link: PortalSignIn) -> SignInState:
    if link.used_at is not None:
        return SignInState.USED
    if link.expires_at <= timezone.now():
        return SignInState.EXPIRED
    return SignInState.VALID


def sign_in_link(token: str) -> SignInLink:
    """What the link is now, without using it (the page a GET shows: mail scanners follow
    links, so only the customer's POST spends one)."""
    link = _find(token)
    if link is None:
        return SignInLink(SignInState.UNKNOWN)
    return SignInLink(_state(link), link.customer)


@transaction.atomic
def use_sign_in_link(*, token: str) -> Customer:
    """Spend the link and every other link of its customer still waiting; the customer it
    signs in. Raises SignInRefused — unknown, used or expired — with nothing written."""
    link = _find(token)
    if link is None:
        raise SignInRefused(SignInState.UNKNOWN)
    now = timezone.now()
    spent = PortalSignIn.objects.filter(
        pk=link.pk, used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    if not spent:
        link.refresh_from_db(fields=["used_at"])
        raise SignInRefused(_state(link))
    PortalSignIn.objects.filter(customer_id=link.customer_id, used_at__isnull=True).update(
        used_at=now
    )
    return link.customer


# --- a new case from the web form -------------------------------------------------------------


def open_customer_case(
    *,
    email: str,
    name: str,
    language: str,
    subject: str,
    description: str,
    category: Category | None,
    files: Sequence[Upload] = (),
) -> Ticket:
    """A case the customer opens on the web form, with the files they uploaded (the inbound
    e-mail limits, `attachments.check_customer_files`): the customer found by e-mail or
    created, the case registered and acknowledged by e-mail with its private link. One
    transaction: a refused case leaves no customer and no file behind."""
    check_customer_files(files)
    with files_forgotten_on_rollback(), transaction.atomic():
        customer = find_or_create_customer(email=email, name=name, language=language)
        ticket = register_ticket(
            by=None,
            customer=customer,
            channel=Channel.WEB,
            subject=subject,
            description=description,
            category=category,
            acknowledge=True,
        )
        store_files(ticket_id=ticket.pk, reply=None, files=files, at=ticket.created_at)
        return ticket
