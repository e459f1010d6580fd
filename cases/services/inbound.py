"""Inbound e-mail: one RFC 5322 message from the support mailbox becomes a new ticket, a
customer reply on its ticket, nothing (automatic mail: auto-replies, bounces, out-of-office,
bulk), or a quarantined message with the reason. Every message is recorded once
(`InboundEmail`, unique Message-ID), so a mailbox read twice creates nothing twice.

Threading: a reply finds its ticket through `In-Reply-To` / `References` (Message-IDs of
earlier messages of the same ticket) or the reference in the subject (`[PUL-000123]`),
and only when it comes from the ticket's own customer — anyone else who quotes a reference
opens a new case instead of writing on somebody else's.
"""

import logging
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from html.parser import HTMLParser

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..errors import TransitionError
from ..models import Channel, InboundEmail, InboundOutcome, Status, Ticket, parse_reference
from .customers import find_or_create_customer
from .tickets import add_customer_reply, register_ticket

log = logging.getLogger(__name__)

MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
AUTOMATIC_SENDERS = re.compile(r"^(mailer-daemon|postmaster|no-?reply|bounces?)[@+]", re.I)
# Where a reply's quoted history starts (Gmail, Apple Mail, Outlook, in English and Spanish).
QUOTE_STARTS = re.compile(
    r"^\s*(On .+ wrote:|El .+ escribió:|-{2,}\s*Original Message\s*-{2,}|-{2,}\s*Mensaje "
    r"original\s*-{2,}|From: .+|De: .+|Begin forwarded message:)\s*$",
    re.IGNORECASE,
)
SUBJECT_MAX = 200


@dataclass(frozen=True)
class Ingested:
    outcome: str  # an InboundOutcome, or "duplicate"
    record: InboundEmail
    ticket: Ticket | None = None


def ingest_email(raw: bytes) -> Ingested:
    """Take one raw message. Never raises for a bad message: it ends in quarantine."""
    limit = getattr(settings, "INBOUND_EMAIL_MAX_BYTES", 25 * 1024 * 1024)
    if len(raw) > limit:
        return _record(raw, None, InboundOutcome.QUARANTINED, reason="too large")
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
        message_id = _message_ids(message.get("Message-ID", ""))[:1]
        message_id = message_id[0] if message_id else None
    except Exception as error:  # noqa: BLE001 — any parser failure means quarantine
        return _record(raw, None, InboundOutcome.QUARANTINED, reason=f"unreadable: {error}")
    if message_id:
        existing = InboundEmail.objects.filter(message_id=message_id).first()
        if existing is not None:
            return Ingested("duplicate", existing, existing.ticket)
    try:
        return _handle(raw, message, message_id)
    except Exception as error:  # noqa: BLE001 — kept with the reason, never dropped
        log.warning("Inbound message %s quarantined: %s", message_id, error)
        return _record(
            raw, message, InboundOutcome.QUARANTINED, message_id, reason=f"failed: {error}"[:255]
        )


def _handle(raw: bytes, message: EmailMessage, message_id: str | None) -> Ingested:
    automatic = _automatic(message)
    if automatic:
        return _record(raw, message, InboundOutcome.IGNORED, message_id, reason=automatic)
    name, address = _sender(message)
    if not address:
        return _record(
            raw, message, InboundOutcome.QUARANTINED, message_id, reason="no sender address"
        )
    subject = _header(message, "Subject")[:SUBJECT_MAX].strip()
    body = trim_quoted(body_text(message))
    with transaction.atomic():
        ticket = _thread(message, subject, address)
        if ticket is not None:
            try:
                add_customer_reply(ticket=ticket, body=body or subject or "…")
            except TransitionError:
                ticket = None  # closed: the customer's new message is a new case
            else:
                return _record(raw, message, InboundOutcome.THREADED, message_id, ticket=ticket)
        customer = find_or_create_customer(email=address, name=name or address)
        ticket = register_ticket(
            by=None,
            customer=customer,
            subject=subject or body[:80] or "(no subject)",
            description=body or subject or "(empty message)",
            channel=Channel.EMAIL,
            acknowledge=True,
        )
        return _record(raw, message, InboundOutcome.CREATED, message_id, ticket=ticket)


def _record(raw, message, outcome, message_id=None, *, reason="", ticket=None) -> Ingested:
    sender = subject = ""
    if message is not None:
        try:
            sender = _sender(message)[1]
            subject = _header(message, "Subject")
        except Exception:  # noqa: BLE001, S110 — a header too broken to read stays empty
            pass
    record = InboundEmail.objects.create(
        message_id=message_id,
        sender=sender[:254],
        subject=subject[:255],
        outcome=outcome,
        reason=reason,
        ticket=ticket,
        raw=raw,
        received_at=timezone.now(),
    )
    return Ingested(outcome, record, ticket)


# --- reading the message ----------------------------------------------------------------------


def _header(message: EmailMessage, name: str) -> str:
    return str(message.get(name, "") or "").replace("\r", " ").replace("\n", " ")


def _message_ids(value) -> list[str]:
    return MESSAGE_ID.findall(str(value or ""))


def _sender(message: EmailMessage) -> tuple[str, str]:
    for name, address in getaddresses([_header(message, "Reply-To") or _header(message, "From")]):
        if "@" in address:
            return name.strip(), address.strip().lower()
    return "", ""


def _automatic(message: EmailMessage) -> str:
    """Why this is machine mail that must never open a case or get an answer ('' if not)."""
    auto_submitted = _header(message, "Auto-Submitted").strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = _header(message, "Precedence").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress", "List-Id"):
        if message.get(name) and not (
            name == "X-Auto-Response-Suppress" and "oof" not in _header(message, name).lower()
        ):
            return f"{name} header"
    if message.get_content_type() == "multipart/report":
        return "delivery report"
    sender = _header(message, "Return-Path") + " " + _header(message, "From")
    for _name, address in getaddresses([sender]):
        if AUTOMATIC_SENDERS.match(address or ""):
            return f"automatic sender {address}"
    return ""


def body_text(message: EmailMessage) -> str:
    """The message's text: its plain-text part, else its HTML part as text; attachments and
    inline images are not text."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, ValueError):  # unknown or lying charset
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", errors="replace")
    if not isinstance(content, str):
        return ""
    if part.get_content_type() == "text/html":
        content = html_to_text(content)
    return content.replace("\r\n", "\n").strip()


class _Text(HTMLParser):
    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote", "table"}
    SKIP = {"script", "style", "head", "title"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Text of an HTML mail (kept as text: nothing of the sender's markup reaches a page)."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def trim_quoted(text: str) -> str:
    """The new part of a reply: up to where the quoted history starts; trailing `>` lines
    dropped."""
    kept = []
    for line in text.splitlines():
        if QUOTE_STARTS.match(line):
            break
        kept.append(line)
    while kept and (kept[-1].startswith(">") or not kept[-1].strip()):
        kept.pop()
    return "\n".join(kept).strip() or text.strip()


def _thread(message: EmailMessage, subject: str, address: str) -> Ticket | None:
    """The ticket this message answers, if it comes from that ticket's customer."""
    ids = _message_ids(_header(message, "In-Reply-To")) + _message_ids(
        _header(message, "References")
    )
    candidates = list(
        InboundEmail.objects.filter(message_id__in=ids, ticket__isnull=False).values_list(
            "ticket_id", flat=True
        )
    )
    prefix = re.escape(settings.TICKET_REFERENCE_PREFIX)
    match = re.search(rf"\b{prefix}-\d+\b", subject, re.IGNORECASE)
    if match:
        pk = parse_reference(match.group(0))
        if pk:
            candidates.append(pk)
    for pk in candidates:
        ticket = Ticket.objects.select_related("customer").filter(pk=pk).first()
        if ticket and ticket.customer.email.lower() == address and ticket.status != Status.CLOSED:
            return ticket
    return None
