"""Inbound e-mail: one RFC 5322 message from the support mailbox — polled over IMAP, piped
in by the MTA (`manage.py ingest_email`) or posted to the inbound endpoint — becomes a new
ticket, a customer reply on its ticket, nothing (automatic mail, our own mail coming back),
or a quarantined message with the reason. Every message is recorded once (`InboundEmail`,
unique Message-ID, or a fingerprint of the bytes when it has none), so a mailbox read twice
or a webhook delivered twice creates nothing twice — also when two workers race.

Threading: a reply finds its ticket through `In-Reply-To` / `References` (the Message-IDs of
the ticket's earlier messages, ours included) or the reference in the subject
(`[PUL-000123]`), and only when it comes from the ticket's own customer — anyone else who
quotes a reference opens a new case instead of writing on somebody else's.

An agent who forwards a customer's message to the support address opens the case for that
customer (the forwarded `From:`), registered by the agent.
"""

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import parseaddr
from functools import partial
from typing import Protocol

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .. import mailparse
from ..errors import TransitionError
from ..models import (
    Attachment,
    Channel,
    Customer,
    InboundEmail,
    InboundOutcome,
    Language,
    NotificationKind,
    OutboundEmail,
    Reply,
    Status,
    Ticket,
    TicketFollower,
    User,
    parse_reference,
)
from ..selectors import customers_with_email, merged_target, staff_users
from .customers import find_or_create_customer
from .followers import add_follower_reply, follow_from_mail, follower_of
from .notifications import reference_in_message_id
from .tickets import add_customer_reply, register_ticket

log = logging.getLogger(__name__)

SUBJECT_MAX = 200
DUPLICATE = "duplicate"


@dataclass(frozen=True)
class Ingested:
    outcome: str  # an InboundOutcome, or "duplicate"
    record: InboundEmail
    ticket: Ticket | None = None


class Recorder(Protocol):
    """`_record` with the message's own arguments given: records what became of it."""

    def __call__(
        self, outcome: str, *, reason: str = ..., ticket: Ticket | None = ...
    ) -> Ingested: ...


def ingest_email(raw: bytes) -> Ingested:
    """Take one raw message. Never raises for a bad message: it ends in quarantine. (A
    database that is down does raise: the caller keeps the message and tries again.)
    What the desk adds to a message's text is written in the desk's language, whoever's
    request or worker takes it in."""
    with translation.override(settings.LANGUAGE_CODE):
        return _ingest(raw)


def _ingest(raw: bytes) -> Ingested:
    received_at = timezone.now()
    if len(raw) > settings.INBOUND_EMAIL_MAX_BYTES:
        too_large = f"too large ({len(raw)} bytes)"
        fingerprint = mailparse.fingerprint_id(raw)
        if InboundEmail.objects.filter(message_id=fingerprint).exists():
            return Ingested(DUPLICATE, InboundEmail.objects.get(message_id=fingerprint))
        return _record(
            raw, None, InboundOutcome.QUARANTINED, fingerprint, received_at, reason=too_large
        )
    try:
        # The headers alone say whether it was taken before (a tenth of a full parse).
        headers = mailparse.parse(raw, headers_only=True)
        message_id = mailparse.first_message_id(headers) or mailparse.fingerprint_id(raw)
        existing = InboundEmail.objects.filter(message_id=message_id).first()
        if existing is not None:
            return Ingested(DUPLICATE, existing, existing.ticket)
        message = mailparse.parse(raw)
    except Exception as error:  # noqa: BLE001 — any parser failure means quarantine
        return _record(
            raw, None, InboundOutcome.QUARANTINED, mailparse.fingerprint_id(raw), received_at,
            reason=f"unreadable: {error}"[:255],
        )  # fmt: skip
    stored: list[str] = []
    try:
        return _handle(raw, message, message_id, received_at, stored)
    except IntegrityError:
        _forget_files(stored)
        existing = InboundEmail.objects.filter(message_id=message_id).first()
        if existing is None:
            raise
        return Ingested(DUPLICATE, existing, existing.ticket)  # another worker took it
    except Exception as error:  # noqa: BLE001 — kept with the reason, never dropped
        _forget_files(stored)
        log.warning("Inbound message %s quarantined: %s", message_id, error)
        return _record(
            raw, message, InboundOutcome.QUARANTINED, message_id, received_at,
            reason=f"failed: {error}"[:255],
        )  # fmt: skip


def reprocess(record: InboundEmail) -> Ingested:
    """Take a quarantined or ignored message in again (after a fix, or when it was not
    machine mail after all): its record is replaced by what the message becomes now."""
    if record.outcome not in (InboundOutcome.QUARANTINED, InboundOutcome.IGNORED):
        return Ingested(DUPLICATE, record, record.ticket)
    raw = bytes(record.raw)
    with transaction.atomic():
        InboundEmail.objects.filter(pk=record.pk).delete()
        return ingest_email(raw)


def _handle(
    raw: bytes, message: EmailMessage, message_id: str, received_at: datetime, stored: list[str]
) -> Ingested:
    record: Recorder = partial(
        _record, raw, message, message_id=message_id, received_at=received_at
    )
    automatic = mailparse.automatic_reason(message)
    if automatic:
        return record(InboundOutcome.IGNORED, reason=automatic)
    try:
        # The address comes from the headers' structure only, never out of a decoded name.
        name, address = mailparse.sender(message)
    except mailparse.UntrustedAddress as error:
        return record(InboundOutcome.QUARANTINED, reason=str(error))
    if not address:
        return record(InboundOutcome.QUARANTINED, reason="no sender address")
    if _from_this_desk(address):
        return record(InboundOutcome.IGNORED, reason="sent by this desk (loop)")
    subject = " ".join(mailparse.header(message, "Subject").split())[:SUBJECT_MAX]
    content = mailparse.read_content(message)
    try:
        return _file(record, message, subject, name, address, content, stored)
    except mailparse.UntrustedAddress as error:  # a forwarded original's sender
        _forget_files(stored)
        return record(InboundOutcome.QUARANTINED, reason=str(error))


def _file(
    record: Recorder,
    message: EmailMessage,
    subject: str,
    name: str,
    address: str,
    content: mailparse.MailContent,
    stored: list[str],
) -> Ingested:
    """A reply on the customer's ticket, or a new case."""
    with transaction.atomic():
        ticket, follower, why_not = _thread(message, subject, address)
        if why_not:
            return record(InboundOutcome.IGNORED, reason=why_not)
        if ticket is not None and follower is not None:
            return _follower_writes(record, ticket, follower, subject, content, stored)
        if ticket is not None:
            notes: list[str] = []
            files = _acceptable_files(content.files, notes)
            body = _with_notes(content.reply_text, notes) or (
                _("(No text: see the attachments.)") if files else subject or "…"
            )
            try:
                reply = add_customer_reply(ticket=ticket, body=body)
            except TransitionError:
                ticket = None  # closed meanwhile: the customer's new message is a new case
            else:
                _store_files(ticket, reply, files, stored)
                follow_from_mail(ticket, mailparse.addresses(message, "Cc"))
                return record(InboundOutcome.THREADED, ticket=ticket, reason="; ".join(notes))
        return _new_case(record, message, subject, name, address, content, stored)


def _new_case(
    record: Recorder,
    message: EmailMessage,
    subject: str,
    name: str,
    address: str,
    content: mailparse.MailContent,
    stored: list[str],
) -> Ingested:
    by: User | None = None
    staff = _staff_member(address) if mailparse.is_forward(subject, content.text) else None
    if staff is not None:
        original_name, original_address = mailparse.forwarded_sender(content)
        if original_address and not _from_this_desk(original_address):
            by, name, address = staff, original_name, original_address
            subject = mailparse.strip_forward_prefix(subject)
    notes: list[str] = []
    files = _acceptable_files(content.files, notes)
    description = _with_notes(content.text, notes) or (
        _("(No text: see the attachments.)") if files else subject or _("(empty message)")
    )
    customer = find_or_create_customer(
        email=address, name=name or address, language=_language(message)
    )
    acknowledge = _may_acknowledge(customer)
    if not acknowledge:
        notes.append("no confirmation sent (too many to this address in the last hour)")
    ticket = register_ticket(
        by=by,
        customer=customer,
        subject=subject or description.split("\n", 1)[0][:80] or _("(no subject)"),
        description=description,
        channel=Channel.EMAIL,
        acknowledge=acknowledge,
    )
    _store_files(ticket, None, files, stored)
    if by is None:  # a forward's Cc is the agent's colleagues, not the customer's
        follow_from_mail(ticket, mailparse.addresses(message, "Cc"))
    if by is not None:
        notes.insert(0, f"forwarded by {by.username}")
    return record(InboundOutcome.CREATED, ticket=ticket, reason="; ".join(notes))


def _follower_writes(
    record: Recorder,
    ticket: Ticket,
    follower: TicketFollower,
    subject: str,
    content: mailparse.MailContent,
    stored: list[str],
) -> Ingested:
    """A follower's answer: their message on the ticket, which keeps its status."""
    notes: list[str] = []
    files = _acceptable_files(content.files, notes)
    body = _with_notes(content.reply_text, notes) or (
        _("(No text: see the attachments.)") if files else subject or "…"
    )
    reply = add_follower_reply(ticket=ticket, follower=follower, body=body)
    _store_files(reply.ticket, reply, files, stored)
    notes.insert(0, f"from {follower.email}, who follows the ticket")
    return record(InboundOutcome.THREADED, ticket=reply.ticket, reason="; ".join(notes))


def _record(
    raw: bytes,
    message: EmailMessage | None,
    outcome: str,
    message_id: str,
    received_at: datetime,
    *,
    reason: str = "",
    ticket: Ticket | None = None,
) -> Ingested:
    sender = subject = ""
    if message is not None:
        sender = mailparse.sender_text(message)
        subject = mailparse.header(message, "Subject")
    try:
        with transaction.atomic():
            record = InboundEmail.objects.create(
                message_id=message_id,
                sender=sender[:254],
                subject=subject[:255],
                outcome=outcome,
                reason=reason[:255],
                ticket=ticket,
                raw=raw,
                received_at=received_at,
            )
    except IntegrityError:
        if outcome in (InboundOutcome.CREATED, InboundOutcome.THREADED):
            raise  # undo the ticket or reply too: the other worker's record stands
        existing = InboundEmail.objects.get(message_id=message_id)
        return Ingested(DUPLICATE, existing, existing.ticket)
    return Ingested(outcome, record, ticket)


# --- who and where ---------------------------------------------------------------------------


def _from_this_desk(address: str) -> bool:
    own = {settings.SUPPORT_EMAIL.lower(), parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()}
    return address.lower() in own


def _staff_member(address: str) -> User | None:
    return staff_users().filter(email__iexact=address).first()


def _thread(
    message: EmailMessage, subject: str, address: str
) -> tuple[Ticket | None, TicketFollower | None, str]:
    """The ticket this message answers, if it comes from that ticket's customer or one of
    its followers (then the follower too); or why the message is to be ignored ('' else)."""
    ids = mailparse.references(message)
    candidates: list[int] = []
    if ids:
        ours = OutboundEmail.objects.filter(message_id__in=ids).values_list(
            "ticket_id", "recipient_id"
        )
        for ticket_id, recipient_id in ours:
            if recipient_id is not None:
                return None, None, "answer to a notification sent to an agent"
            if ticket_id is not None:  # None: a notice about the customer, not a case
                candidates.append(ticket_id)
        candidates += InboundEmail.objects.filter(
            message_id__in=ids, ticket__isnull=False
        ).values_list("ticket_id", flat=True)
    references = [reference_in_message_id(mid) for mid in ids]
    prefix = re.escape(settings.TICKET_REFERENCE_PREFIX)
    match = re.search(rf"\b{prefix}-\d+\b", subject, re.IGNORECASE)
    for reference in [*references, match.group(0) if match else None]:
        pk = parse_reference(reference) if reference else None
        if pk:
            candidates.append(pk)
    # Of the tickets named, the first that is this customer's and still takes replies; a
    # merged ticket hands over to the ticket it was merged into (services/merge.py).
    named = Ticket.objects.filter(pk__in=candidates).select_related("customer")
    # Theirs: written from the customer's primary address or one of their others.
    senders = {customer.pk for customer in customers_with_email(address)}
    theirs = {ticket.pk: ticket for ticket in named if ticket.customer_id in senders}
    for pk in candidates:
        if pk in theirs:
            ticket = merged_target(theirs[pk])
            if ticket.status != Status.CLOSED:
                return ticket, None, ""
    # Someone in copy answering: the ticket they follow (never a new case in their name).
    for pk in candidates:
        followed = named.filter(pk=pk).first()
        follower = follower_of(followed, address) if followed is not None else None
        if followed is not None and follower is not None:
            carried_on = merged_target(followed)
            if carried_on.status not in (Status.CLOSED, Status.MERGED):
                return carried_on, follower, ""
    return None, None, ""


def _language(message: EmailMessage) -> str:
    """A new customer's language from the client's Content-Language (Outlook sets it)."""
    code = mailparse.header(message, "Content-Language").strip().lower()[:2]
    return code if code in Language.values else ""


def _may_acknowledge(customer: Customer) -> bool:
    since = timezone.now() - timedelta(hours=1)
    recent = OutboundEmail.objects.filter(
        ticket__customer=customer, kind=NotificationKind.TICKET_RECEIVED, created_at__gte=since
    ).count()
    return recent < settings.INBOUND_ACK_LIMIT


# --- attachments -----------------------------------------------------------------------------


def _acceptable_files(
    files: list[mailparse.MailFile], notes: list[str]
) -> list[mailparse.MailFile]:
    """The files the desk keeps; each one left out is named in `notes` (the raw message,
    kept in full with the InboundEmail record, still has it)."""
    kept: list[mailparse.MailFile] = []
    limit = settings.INBOUND_ATTACHMENT_MAX_BYTES
    for mail_file in files:
        if not mail_file.content:
            notes.append(
                _("Attachment not kept: %(name)s is empty.") % {"name": mail_file.filename}
            )
        elif len(mail_file.content) > limit:
            notes.append(
                _("Attachment not kept: %(name)s is larger than %(limit)s MB.")
                % {"name": mail_file.filename, "limit": f"{limit / 1024 / 1024:g}"}
            )
        elif len(kept) >= settings.INBOUND_ATTACHMENTS_MAX:
            notes.append(
                _("Attachment not kept: %(name)s (more than %(count)d attachments).")
                % {"name": mail_file.filename, "count": settings.INBOUND_ATTACHMENTS_MAX}
            )
        else:
            kept.append(mail_file)
    return kept


def _with_notes(text: str, notes: list[str]) -> str:
    return "\n\n".join(part for part in [text.strip(), *(f"[{note}]" for note in notes)] if part)


def _store_files(
    ticket: Ticket, reply: Reply | None, files: list[mailparse.MailFile], stored: list[str]
) -> None:
    for mail_file in files:
        attachment = Attachment(
            ticket=ticket,
            reply=reply,
            filename=mail_file.filename,
            content_type=mail_file.content_type,
            size=len(mail_file.content),
            sha256=hashlib.sha256(mail_file.content).hexdigest(),
            inline=mail_file.inline,
            content_id=mail_file.content_id,
        )
        attachment.file.save(mail_file.filename, ContentFile(mail_file.content), save=False)
        assert attachment.file.name is not None, "save() named it"
        stored.append(attachment.file.name)
        attachment.save()


def _forget_files(names: list[str]) -> None:
    """Files written for a message whose transaction rolled back."""
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            log.warning("Could not delete the orphaned attachment file %s", name)
