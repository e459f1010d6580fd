"""The corpus of real-world-shaped messages (tests/cases/mail_corpus/, described message by
message in its manifest.json): what each becomes — a new case, a reply on its case, ignored
machine mail, or quarantine — with the right customer, the new text only, and the files kept.

Gmail, Outlook desktop and Outlook.com, Apple Mail and iPhone, Thunderbird, Yahoo, Samsung,
HTML-only, seven charsets, attachments named in RFC 2231 / 2047, inline images, forwards,
out-of-office replies, bounces, newsletters, broken MIME, no sender, no Message-ID, S/MIME —
and senders that hide address syntax in encoded display names (the `spoof` entries): the case
goes to the header's real address, or to quarantine, never to an address out of a name."""

import json
import re
from pathlib import Path

import pytest
from django.core import mail

from cases.mailparse import clean_filename
from cases.models import Customer, InboundEmail, OutboundEmail, Ticket
from cases.services import deliver_notification
from cases.services.inbound import ingest_email
from tests.factories import AgentFactory, CustomerFactory, make_ticket

CORPUS = Path(__file__).parent / "mail_corpus"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text())["messages"]
STAFF_DOMAIN = "@pulso.example"


@pytest.fixture(autouse=True)
def _desk(settings, db):
    # The corpus answers the desk at soporte@pulso.example (its own Message-IDs too).
    settings.SUPPORT_EMAIL = "soporte@pulso.example"


def prepared(entry, agent, team) -> tuple[bytes, Ticket | None]:
    """The message's bytes, pointing at a real ticket of its customer when it needs one
    (the manifest's references are PUL-00000N; the test database numbers its own)."""
    raw = (CORPUS / entry["file"]).read_bytes()
    needed = entry.get("requires_ticket")
    if not needed:
        return raw, None
    customer = CustomerFactory.create(email=needed["customer_email"])
    ticket = make_ticket(by=agent, team=team, customer=customer)
    number = needed["reference"].split("-")[1]
    raw = re.sub(rf"PUL-{number}".encode(), ticket.reference.encode(), raw, flags=re.I)
    return raw, ticket


def text_of(result) -> str:
    if result.outcome == "threaded":
        return result.ticket.replies.order_by("-id").first().body
    return result.ticket.description


@pytest.mark.parametrize("entry", MANIFEST, ids=[e["file"].removesuffix(".eml") for e in MANIFEST])
def test_each_message_of_the_corpus_becomes_what_it_should(entry, team_n1, ana):
    forwarded = entry.get("forwarded_from")
    by_staff = (entry["sender"] or "").endswith(STAFF_DOMAIN)
    if by_staff:  # a colleague at the desk forwards a customer's message
        AgentFactory(username="valentina", email=entry["sender"], teams=[team_n1])
    raw, ticket = prepared(entry, ana, team_n1)

    result = ingest_email(raw)

    assert result.outcome == entry["expected_outcome"], result.record.reason
    if ticket is not None and entry["expected_outcome"] == "threaded":
        assert result.ticket == ticket
    if entry.get("spoof"):
        assert_no_decoy_is_used(entry, result)
    if result.outcome not in ("created", "threaded"):
        assert not Ticket.objects.exclude(pk=getattr(ticket, "pk", None)).exists()
        assert result.record.raw  # kept as it came
        return

    customer = result.ticket.customer
    if by_staff and forwarded:
        assert customer.email == forwarded["address"]
        assert customer.name == forwarded["name"]
        assert result.ticket.events.get(kind="created").actor.email == entry["sender"]
    else:
        assert customer.email == entry["sender"].lower()
    if result.outcome == "created":
        assert result.ticket.channel == "email"
        subject = re.sub(r"^(fwd?|rv):\s*", "", entry["subject"], flags=re.I) if by_staff else None
        assert result.ticket.subject == (subject or entry["subject"])[:200].strip()
        assert not re.search(r"[\r\n\u2028\u2029]", customer.name + result.ticket.subject)

    text = text_of(result)
    for phrase in entry["body_must_contain"]:
        assert phrase in " ".join(text.split()), f"missing: {phrase!r}\n---\n{text}"
    for phrase in entry["body_must_not_contain"]:
        assert phrase not in text, f"should have been left out: {phrase!r}\n---\n{text}"

    kept = list(result.ticket.attachments.order_by("id"))
    expected = [a for a in entry["attachments"] if a["size"] > 0]
    assert [(a.content_type, a.size, a.inline) for a in kept] == [
        (e["content_type"], e["size"], e["inline"]) for e in expected
    ]
    for attachment, wanted in zip(kept, expected, strict=True):
        if wanted["filename"]:
            assert attachment.filename == clean_filename(wanted["filename"], "", 0)
        assert attachment.file.size == attachment.size
    for empty in (a for a in entry["attachments"] if a["size"] == 0):
        assert f"{empty['filename']} is empty" in text


def assert_no_decoy_is_used(entry, result):
    """An address out of a decoded name never becomes a customer nor gets an e-mail: the
    confirmation goes to the header's real address, or the message waits in quarantine."""
    spoof = entry["spoof"]
    if spoof["reason"]:
        assert result.record.reason == spoof["reason"]
        assert not Customer.objects.exists() and not OutboundEmail.objects.exists()
    for notification in OutboundEmail.objects.all():
        deliver_notification(notification.pk)
    recipients = {address for message in mail.outbox for address in message.recipients()}
    assert recipients == ({entry["sender"]} if entry["sender"] else set())
    assert not Customer.objects.filter(email__in=spoof["decoys"]).exists()
    for message in mail.outbox:  # the name may be in the greeting, never in a header
        head = message.message().as_bytes().replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
        assert not any(decoy.encode() in head for decoy in spoof["decoys"]), head
        assert b"\nbcc:" not in head.lower()


def test_a_message_without_message_id_read_twice_opens_one_case(team_n1):
    raw = (CORPUS / "28-no-message-id.eml").read_bytes()
    first, second = ingest_email(raw), ingest_email(raw)
    assert (first.outcome, second.outcome) == ("created", "duplicate")
    assert second.ticket == first.ticket
    assert InboundEmail.objects.get().message_id.endswith("@pulso.invalid")


def test_hostile_file_names_are_kept_as_text_without_their_path(team_n1):
    result = ingest_email((CORPUS / "14-dangerous-attachments.eml").read_bytes())
    names = list(result.ticket.attachments.values_list("filename", flat=True))
    assert names == ["factura-4471.html", "logo.svg", '"><svg onload=alert(1)>.jpg', "passwd"]
    for attachment in result.ticket.attachments.all():
        assert "/" not in attachment.file.name.rsplit("attachments/", 1)[1][8:]  # a random name
        assert attachment.filename not in attachment.file.name
