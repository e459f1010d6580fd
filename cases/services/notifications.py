"""E-mails about tickets through an outbox (docs/reliability.md): the row is written with the change
that causes it, a Celery task claims and sends it, a periodic sweep re-enqueues what the
broker lost. A retry never mails twice: the claim is a conditional UPDATE.

To the customer, in their language: the confirmation of a new case, every public reply and
the resolution — each with the reference in the subject, a private link to the case, and
`Message-ID` / `In-Reply-To` / `References` that keep the conversation one thread in their
mail client and bring their answer back onto the ticket (`Reply-To`: the support mailbox).
To agents, in theirs: a ticket assigned to them, a ticket escalated to their team — unless
they switched that off. Nothing is queued while history is replayed (demo data, imports).
"""

import hashlib
import logging
import re
import secrets
import smtplib
from collections.abc import Callable
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.utils import parseaddr
from typing import TypedDict

from django.conf import settings
from django.core.mail import BadHeaderError
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from ..emails import (
    MAX_ATTEMPTS,
    TRANSIENT_ERRORS,
    describe_error,
    header_safe,
    is_transient,
    retry_delay,
    send_templated_email,
)
from ..mailparse import FINGERPRINT_DOMAIN
from ..models import (
    AttemptOutcome,
    Channel,
    Customer,
    EventKind,
    InboundEmail,
    InboundOutcome,
    NotificationKind,
    NotificationStatus,
    OutboundEmail,
    OutboundEmailAttempt,
    PortalSignIn,
    Reply,
    Ticket,
    TicketAccessToken,
    User,
)
from ..publishing import publish_on_commit
from ..signals import is_replaying
from .attachments import EmailFile, email_files
from .send_attempts import abandon_open_attempts, finish_attempt, lease, open_attempt

log = logging.getLogger(__name__)

REENQUEUE_AFTER = timedelta(minutes=2)
REFERENCES_KEPT = 10  # the first message of the thread and the latest ones
# By the kind as stored (NotificationKind's values).
_TEMPLATES: dict[str, str] = {
    NotificationKind.TICKET_RECEIVED: "ticket-received",
    NotificationKind.AGENT_REPLY: "agent-reply",
    NotificationKind.TICKET_RESOLVED: "ticket-resolved",
    NotificationKind.CUSTOMER_LINK: "customer-link",
    NotificationKind.PORTAL_SIGN_IN: "portal-sign-in",
    NotificationKind.TICKET_MERGED: "ticket-merged",
    NotificationKind.EMAIL_CHANGED: "customer-email-changed",
    NotificationKind.TICKET_ASSIGNED: "ticket-assigned",
    NotificationKind.TICKET_ESCALATED: "ticket-escalated",
}


# --- customer links ---------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_access_token(ticket: Ticket) -> str:
    """A new private link token for the ticket's customer (256 bits); only its hash is kept."""
    token = secrets.token_urlsafe(32)
    TicketAccessToken.objects.create(ticket=ticket, token_hash=hash_token(token))
    return token


def issue_portal_sign_in(customer: Customer) -> str:
    """A new single-use sign-in link token to the customer portal (256 bits), working for
    `PORTAL_SIGN_IN_MINUTES` from now; only its hash is kept (services/portal.py)."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    PortalSignIn.objects.create(
        customer=customer,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=now + timedelta(minutes=settings.PORTAL_SIGN_IN_MINUTES),
    )
    return token


# What a link opens, withdrawing links, a new link on request: customer_links.py.


# --- queueing (called by the ticket services, inside their transaction) -----------------------


def _mail_domain() -> str:
    return settings.SUPPORT_EMAIL.rpartition("@")[2] or "pulso.localhost"


def new_message_id(ticket: Ticket | None) -> str:
    """Unguessable, and naming the ticket if there is one (without angle brackets)."""
    about = ticket.reference.lower() if ticket is not None else "notice"
    return f"{secrets.token_hex(10)}.{about}@{_mail_domain()}"


def reference_in_message_id(message_id: str) -> str | None:
    """The ticket reference one of our Message-IDs names (`new_message_id`), or None: an
    answer still threads when the row that sent it is gone (a restored backup)."""
    prefix = re.escape(settings.TICKET_REFERENCE_PREFIX)
    domain = re.escape(_mail_domain())
    match = re.search(rf"\.({prefix}-\d+)@{domain}$", message_id, re.IGNORECASE)
    return match.group(1) if match else None


def queue_email(
    *,
    ticket: Ticket,
    kind: str,
    recipient: User | None = None,
    reply: Reply | None = None,
    at: datetime | None = None,
) -> OutboundEmail | None:
    """Write the outbox row and publish its task once the transaction commits. None when
    nothing is to be sent: history being replayed, nobody to send it to."""
    if is_replaying():
        return None
    if recipient is None and not ticket.customer.email:
        return None
    if recipient is not None and (not recipient.is_active or not recipient.email):
        return None
    notification = OutboundEmail.objects.create(
        ticket=ticket,
        kind=kind,
        recipient=recipient,
        reply=reply,
        message_id=new_message_id(ticket),
        send_after=at or timezone.now(),
    )
    from ..tasks import enqueue_notification

    publish_on_commit(enqueue_notification, notification.pk)
    return notification


def queue_customer_notice(
    *, customer: Customer, kind: str, to_address: str, publish: bool = True
) -> OutboundEmail | None:
    """An e-mail about the customer rather than a case (the warning to the address they had
    before an agent changed it; a sign-in link to the portal), to `to_address`. It carries no
    private link to a case. `publish=False`: the caller publishes the send task itself."""
    if is_replaying() or not to_address:
        return None
    notification = OutboundEmail.objects.create(
        customer=customer,
        kind=kind,
        to_address=to_address,
        message_id=new_message_id(None),
    )
    if publish:
        from ..tasks import enqueue_notification

        publish_on_commit(enqueue_notification, notification.pk)
    return notification


def notify_assignee(ticket: Ticket, *, by: User | None, at: datetime) -> None:
    """The new assignee hears of it, unless they took the ticket themselves or said no."""
    assignee = ticket.assignee
    if assignee is None or (by is not None and by.pk == assignee.pk):
        return
    if assignee.notify_assigned:
        queue_email(ticket=ticket, kind=NotificationKind.TICKET_ASSIGNED, recipient=assignee, at=at)


def notify_team_of_escalation(ticket: Ticket, *, by: User | None, at: datetime) -> None:
    """Members of the team a ticket was escalated to hear of it — but not who escalated it
    and not its new assignee (who gets the assignment e-mail)."""
    team = ticket.team
    if team is None:
        return
    members = team.members.filter(is_active=True, notify_escalated=True).exclude(email="")
    skip = {by.pk if by else None, ticket.assignee_id}
    for member in members.order_by("id"):
        if member.pk not in skip:
            queue_email(
                ticket=ticket, kind=NotificationKind.TICKET_ESCALATED, recipient=member, at=at
            )


# --- sending ----------------------------------------------------------------------------------


def _claim(notification_id: int) -> OutboundEmailAttempt | None:
    """Claim the e-mail and open this process's attempt, committed before the SMTP talk
    (send_attempts.py); an earlier sender's attempt left open past its lease is marked
    abandoned. None: not due, or another sender holds it."""
    now = timezone.now()
    lease_until = now + lease()
    claimable = Q(status=NotificationStatus.PENDING, send_after__lte=now) | Q(
        status=NotificationStatus.SENDING, lease_until__lt=now
    )
    with transaction.atomic(durable=True):
        if not OutboundEmail.objects.filter(claimable, pk=notification_id).update(
            status=NotificationStatus.SENDING, lease_until=lease_until, attempts=F("attempts") + 1
        ):
            return None
        abandon_open_attempts(OutboundEmailAttempt.objects.filter(email_id=notification_id))
        number = OutboundEmail.objects.values_list("attempts", flat=True).get(pk=notification_id)
        return open_attempt(
            OutboundEmailAttempt, email_id=notification_id, number=number, lease_until=lease_until
        )


def _thread_ids(notification: OutboundEmail) -> list[str]:
    """Message-IDs of the conversation so far, oldest first: the customer's e-mails on the
    ticket and ours to them that were sent or queued before this one (a retry sent after a
    later e-mail lists that one too: the customer has it)."""
    ticket_id = notification.ticket_id
    if ticket_id is None:  # a notice about a customer: no conversation
        return []
    theirs = InboundEmail.objects.filter(
        ticket_id=ticket_id,
        outcome__in=[InboundOutcome.CREATED, InboundOutcome.THREADED],
        message_id__isnull=False,
    ).exclude(message_id__endswith=f"@{FINGERPRINT_DOMAIN}")
    ours = OutboundEmail.objects.filter(
        ticket_id=ticket_id, recipient__isnull=True, message_id__isnull=False
    ).filter(Q(status=NotificationStatus.SENT) | Q(created_at__lt=notification.created_at))
    dated = [(at, mid) for at, mid in theirs.values_list("received_at", "message_id")]
    dated += [(at, mid) for at, mid in ours.values_list("created_at", "message_id")]
    # (Both queries exclude rows without a Message-ID.)
    ids = [mid for _at, mid in sorted(dated) if mid is not None and mid != notification.message_id]
    ids = list(dict.fromkeys(ids))
    return ids[:1] + ids[1:][-(REFERENCES_KEPT - 1) :] if ids else []


def _headers(notification: OutboundEmail) -> dict[str, str]:
    ticket = notification.ticket
    headers = {"X-Pulso-Ticket": ticket.reference} if ticket is not None else {}
    if notification.message_id:
        headers["Message-ID"] = f"<{notification.message_id}>"
    if notification.kind != NotificationKind.AGENT_REPLY:
        headers["Auto-Submitted"] = "auto-generated"  # RFC 3834: robots must not answer
    if notification.carries_link:
        thread = _thread_ids(notification)
        if thread:
            headers["In-Reply-To"] = f"<{thread[-1]}>"
            headers["References"] = " ".join(f"<{mid}>" for mid in thread)
    return headers


def _from_address(notification: OutboundEmail) -> str:
    """An agent's reply comes from them by name, at the desk's address."""
    reply = notification.reply
    if (
        notification.kind == NotificationKind.AGENT_REPLY
        and reply
        and (author := reply.author) is not None
    ):
        name = f"{author.first_name or author.display_name} · {settings.SITE_NAME}"
        address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or settings.SUPPORT_EMAIL
        return str(Address(display_name=header_safe(name), addr_spec=address))
    return settings.DEFAULT_FROM_EMAIL


def mask_address(address: str) -> str:
    """Enough of an address for its owner to recognise it, not enough to learn it."""
    local, _at, domain = address.rpartition("@")
    if not local:
        return "•••"
    return f"{local[0]}•••@{domain}"


class ComposedEmail(TypedDict):
    """One outbox e-mail as `send_templated_email` sends it (its keyword arguments)."""

    name: str
    to: str
    language: str
    context: dict[str, object]
    headers: dict[str, str]
    from_email: str
    reply_to: list[str] | None
    attachments: list[tuple[str, bytes, str]]
    cc: list[str]


def _compose_notice(notification: OutboundEmail, token: str | None) -> ComposedEmail:
    """The warning to a customer's former address (no ticket, no link), or a sign-in link to
    the portal (`token`)."""
    customer = notification.customer
    assert customer is not None, "the row's constraint: about a ticket or a customer"
    context: dict[str, object] = {
        "customer": customer,
        "old_address": notification.to_address,
        "new_address": mask_address(customer.email) if customer.email else "",
        "changed_at": notification.created_at,
    }
    if token is not None:
        context |= {
            "link": reverse("portal:sign_in_link", kwargs={"token": token}),
            "minutes": settings.PORTAL_SIGN_IN_MINUTES,
        }
    return {
        "name": _TEMPLATES[notification.kind],
        "to": notification.to_address,
        "language": customer.language,
        "context": context,
        "headers": _headers(notification),
        "from_email": settings.DEFAULT_FROM_EMAIL,
        "reply_to": [settings.SUPPORT_EMAIL],
        "attachments": [],
        "cc": [],
    }


def copied(notification: OutboundEmail) -> list[str]:
    """Who is in copy of this e-mail: the ticket's followers, on a public reply to the
    customer (services/followers.py); nobody on anything else."""
    if notification.kind != NotificationKind.AGENT_REPLY or not notification.to_customer:
        return []
    assert notification.ticket is not None, "a reply is on a ticket"
    return list(notification.ticket.followers.values_list("email", flat=True))


def _compose(notification: OutboundEmail, token: str | None) -> ComposedEmail:
    ticket = notification.ticket
    if ticket is None:
        return _compose_notice(notification, token)
    context: dict[str, object] = {"ticket": ticket, "reply": notification.reply}
    files: list[EmailFile] = []
    if notification.to_customer:
        # A public reply's files go with it; a note's never reach the customer (email_files).
        files = email_files(notification.reply)
        context["files"] = [file.filename for file in files]
        customer = ticket.customer
        context |= {
            "customer": customer,
            # No private link in an e-mail others read in copy: it opens the customer's case.
            "link": reverse("portal:ticket", kwargs={"token": token}) if token else "",
            "by_email": ticket.channel == Channel.EMAIL,
        }
        if notification.kind == NotificationKind.TICKET_MERGED:
            context["merged"] = (
                ticket.merged_tickets.filter(merged_at__lte=notification.created_at)
                .order_by("-merged_at", "-pk")
                .first()
            )
        to, language, reply_to = customer.email, customer.language, [settings.SUPPORT_EMAIL]
    else:
        user = notification.recipient
        assert user is not None, "not to the customer: to its recipient"
        context |= {"user": user, "link": reverse("cases:ticket_detail", args=[ticket.pk])}
        if notification.kind == NotificationKind.TICKET_ESCALATED:
            context["escalation"] = (
                ticket.events.filter(kind=EventKind.ESCALATED, at__lte=notification.created_at)
                .order_by("-at", "-id")
                .first()
            )
        to, language, reply_to = user.email, user.language, None
    return {
        "name": _TEMPLATES[notification.kind],
        "to": to,
        "language": language,
        "context": context,
        "headers": _headers(notification),
        "from_email": _from_address(notification),
        "reply_to": reply_to,
        "attachments": [(file.filename, file.content, file.content_type) for file in files],
        "cc": copied(notification),
    }


def deliver_notification(notification_id: int) -> bool:
    """Send one outbox e-mail if nobody else is sending it. True when this call sent it.
    Precondition: not inside a transaction (the attempt must commit before the SMTP talk)."""
    attempt = _claim(notification_id)
    if attempt is None:
        return False
    notification = OutboundEmail.objects.select_related(
        "ticket", "ticket__customer", "ticket__team", "ticket__assignee", "recipient",
        "reply", "reply__author", "customer",
    ).get(pk=notification_id)  # fmt: skip
    attempts = attempt.number
    token = None
    try:
        if notification.carries_link and not copied(notification):
            assert notification.ticket is not None, "a link is to a ticket"
            token = issue_access_token(notification.ticket)
        elif notification.kind == NotificationKind.PORTAL_SIGN_IN:
            assert notification.customer is not None, "a sign-in link is a customer's"
            token = issue_portal_sign_in(notification.customer)
        send_templated_email(**_compose(notification, token))
    except Exception as error:
        if token is not None:  # a link nobody received must not stay valid
            TicketAccessToken.objects.filter(token_hash=hash_token(token)).delete()
            PortalSignIn.objects.filter(token_hash=hash_token(token)).delete()
        transient = is_transient(error) and attempts < MAX_ATTEMPTS
        if not transient and not isinstance(
            error, (smtplib.SMTPException, BadHeaderError, *TRANSIENT_ERRORS)
        ):
            log.exception("Unexpected error sending notification %s", notification_id)
        with transaction.atomic():
            OutboundEmail.objects.filter(pk=notification_id).update(
                status=NotificationStatus.PENDING if transient else NotificationStatus.FAILED,
                # Back off in the row, not in a Celery countdown: the sweep picks it up when due.
                send_after=timezone.now() + retry_delay(attempts),
                lease_until=None,
                last_error=describe_error(error),
            )
            finish_attempt(
                attempt, AttemptOutcome.RETRY if transient else AttemptOutcome.FAILED, error
            )
        return False
    with transaction.atomic():
        OutboundEmail.objects.filter(pk=notification_id).update(
            status=NotificationStatus.SENT,
            sent_at=timezone.now(),
            lease_until=None,
            last_error="",
        )
        finish_attempt(attempt, AttemptOutcome.SENT)
    return True


def enqueue_due_notifications(enqueue: Callable[[int], object]) -> int:
    """Hand every due, not recently enqueued notification to `enqueue(id)` — the safety net
    for tasks a broker outage lost — after marking abandoned the attempts of dead senders.
    Returns how many were handed over."""
    now = timezone.now()
    abandon_open_attempts(OutboundEmailAttempt.objects.filter(lease_until__lt=now))
    due = OutboundEmail.objects.filter(
        Q(status=NotificationStatus.PENDING, send_after__lte=now)
        & (
            Q(enqueued_at__isnull=True)
            | Q(enqueued_at__lt=now - REENQUEUE_AFTER)
            # enqueued before a failed try moved send_after on: that enqueue is used up
            | Q(enqueued_at__lt=F("send_after"))
        )
        | Q(status=NotificationStatus.SENDING, lease_until__lt=now)
    ).values_list("pk", flat=True)[:500]
    count = 0
    for pk in list(due):
        enqueue(pk)
        count += 1
    return count
