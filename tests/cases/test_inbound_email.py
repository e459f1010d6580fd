"""Inbound e-mail (cases/services/inbound.py): real-world-shaped messages become tickets,
replies on their tickets, nothing (automatic mail), or quarantine — each recorded once."""

import io
import threading
from base64 import b64encode

import pytest
from django.core import mail as outbox
from django.core.management import call_command

from cases import services
from cases.mailparse import html_to_text, parse, trim_quoted
from cases.models import Customer, InboundEmail, OutboundEmail, Reply, Status, Ticket
from cases.services.inbound import ingest_email, reprocess
from tests.factories import CustomerFactory, make_ticket

pytestmark = pytest.mark.django_db


def mail(headers: dict, body: str = "Hello,\r\nmy printer blinks orange.\r\n", raw_body=None):
    lines = [f"{name}: {value}" for name, value in headers.items()]
    base = {"MIME-Version": "1.0"}
    if "Content-Type" not in headers:
        base["Content-Type"] = 'text/plain; charset="utf-8"'
    lines += [f"{name}: {value}" for name, value in base.items()]
    payload = raw_body if raw_body is not None else body.encode()
    return "\r\n".join(lines).encode() + b"\r\n\r\n" + payload


def gmail_new(message_id="<CAF1@mail.gmail.com>", sender="Lucía Torres <lucia@example.com>"):
    return mail(
        {
            "From": sender,
            "To": "soporte@pulso.example",
            "Subject": "Impresora no imprime",
            "Message-ID": message_id,
            "Date": "Mon, 3 Mar 2025 09:00:00 -0500",
        }
    )


def test_a_new_message_opens_an_email_ticket_for_its_sender():
    result = ingest_email(gmail_new())

    assert result.outcome == "created"
    ticket = result.ticket
    assert (ticket.channel, ticket.subject, ticket.status) == (
        "email",
        "Impresora no imprime",
        "new",
    )
    assert ticket.description == "Hello,\nmy printer blinks orange."
    assert (ticket.customer.email, ticket.customer.name) == ("lucia@example.com", "Lucía Torres")
    assert InboundEmail.objects.get().message_id == "CAF1@mail.gmail.com"


def test_the_same_message_twice_counts_once():
    first = ingest_email(gmail_new())
    again = ingest_email(gmail_new())

    assert again.outcome == "duplicate" and again.ticket == first.ticket
    assert Ticket.objects.count() == 1 and InboundEmail.objects.count() == 1


def test_a_reply_is_threaded_by_in_reply_to_and_its_quote_trimmed():
    ticket = ingest_email(gmail_new()).ticket
    reply = mail(
        {
            "From": "Lucía Torres <lucia@example.com>",
            "Subject": "Re: Impresora no imprime",
            "Message-ID": "<CAF2@mail.gmail.com>",
            "In-Reply-To": "<CAF1@mail.gmail.com>",
            "References": "<CAF1@mail.gmail.com>",
        },
        "Ya probé reiniciarla.\r\n\r\nEl lun, 3 mar 2025 a las 9:00, Soporte escribió:\r\n"
        "> ¿Puede reiniciarla?\r\n",
    )

    result = ingest_email(reply)

    assert (result.outcome, result.ticket) == ("threaded", ticket)
    assert Reply.objects.get(ticket=ticket).body == "Ya probé reiniciarla."


def test_a_reply_is_threaded_by_the_reference_in_the_subject(ana, team_n1):
    customer = CustomerFactory(email="ana.cliente@example.com")
    ticket = make_ticket(by=ana, team=team_n1, customer=customer)
    message = mail(
        {
            "From": "ana.cliente@example.com",
            "Subject": f"RE: [{ticket.reference}] Su caso",
            "Message-ID": "<outlook-1@eurprd.example>",
        },
        "Gracias, funciona.\r\n\r\n-----Original Message-----\r\nFrom: Soporte\r\n",
    )

    result = ingest_email(message)

    assert (result.outcome, result.ticket) == ("threaded", ticket)
    assert Reply.objects.get(ticket=ticket).body == "Gracias, funciona."


def test_a_reply_to_a_resolved_ticket_reopens_it(ana, team_n1):
    customer = CustomerFactory(email="pedro@example.com")
    ticket = make_ticket(by=ana, team=team_n1, assignee=ana, customer=customer)
    services.add_reply(ticket=ticket, by=ana, body="Done")
    services.resolve_ticket(ticket=Ticket.objects.get(pk=ticket.pk), by=ana, resolution="OK")
    message = mail(
        {"From": "pedro@example.com", "Subject": f"Re: {ticket.reference}", "Message-ID": "<p1@x>"},
        "It broke again.",
    )

    assert ingest_email(message).outcome == "threaded"
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopen_count) == (Status.OPEN, 1)


def test_someone_else_quoting_a_reference_opens_a_new_case(ana, team_n1):
    ticket = make_ticket(by=ana, team=team_n1, customer=CustomerFactory(email="owner@example.com"))
    message = mail(
        {
            "From": "stranger@example.com",
            "Subject": f"Re: {ticket.reference}",
            "Message-ID": "<s@x>",
        },
    )
    result = ingest_email(message)
    assert result.outcome == "created" and result.ticket != ticket


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, "Auto-Submitted: auto-replied"),
        ({"Precedence": "bulk"}, "Precedence: bulk"),
        ({"X-Autoreply": "yes"}, "X-Autoreply header"),
        ({"X-Auto-Response-Suppress": "OOF, AutoReply"}, "X-Auto-Response-Suppress header"),
        ({"From": "MAILER-DAEMON@mx.example.com"}, "automatic sender MAILER-DAEMON@mx.example.com"),
        ({"Content-Type": 'multipart/report; report-type=delivery-status; boundary="b"'},
         "delivery report"),
    ],
)  # fmt: skip
def test_automatic_mail_never_opens_a_case(headers, reason):
    base = {"From": "lucia@example.com", "Subject": "Out of office", "Message-ID": "<auto@x>"}
    result = ingest_email(mail(base | headers, "I am away until Monday."))

    assert result.outcome == "ignored"
    assert result.record.reason == reason
    assert not Ticket.objects.exists()


def test_an_html_only_message_becomes_plain_text():
    html = (
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        "<p>Hola,</p><p>el pedido <b>#123</b> no llegó &amp; nadie responde.</p>"
        "<div><img src=cid:logo></div></body></html>"
    )
    message = mail(
        {
            "From": "outlook@example.com",
            "Subject": "Pedido",
            "Message-ID": "<h@x>",
            "Content-Type": 'text/html; charset="utf-8"',
        },
        html,
    )
    ticket = ingest_email(message).ticket
    assert ticket.description == "Hola,\n\nel pedido #123 no llegó & nadie responde."


def test_latin1_quoted_printable_and_base64_utf8_are_decoded():
    latin = mail(
        {
            "From": "jose@example.com",
            "Subject": "=?iso-8859-1?q?Facturaci=F3n?=",
            "Message-ID": "<l1@x>",
            "Content-Type": 'text/plain; charset="iso-8859-1"',
            "Content-Transfer-Encoding": "quoted-printable",
        },
        raw_body=b"Cobro doble en mi facturaci=F3n de se=F1or Mu=F1oz.",
    )
    utf8 = mail(
        {
            "From": "mei@example.com",
            "Subject": "=?utf-8?b?5Y+R56Wo?=",
            "Message-ID": "<u1@x>",
            "Content-Transfer-Encoding": "base64",
        },
        raw_body=b64encode("我的发票有问题".encode()),
    )
    first, second = ingest_email(latin).ticket, ingest_email(utf8).ticket
    assert (first.subject, first.description) == (
        "Facturación", "Cobro doble en mi facturación de señor Muñoz."
    )  # fmt: skip
    assert (second.subject, second.description) == ("发票", "我的发票有问题")


def test_multipart_alternative_with_an_attachment_takes_the_plain_text():
    boundary = "alt"
    body = (
        f"--mixed\r\nContent-Type: multipart/alternative; boundary={boundary}\r\n\r\n"
        f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nPlain words.\r\n"
        f"--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>HTML words</p>\r\n"
        f"--{boundary}--\r\n"
        "--mixed\r\nContent-Type: application/pdf; name=invoice.pdf\r\n"
        "Content-Disposition: attachment; filename=invoice.pdf\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--mixed--\r\n"
    )
    message = mail(
        {
            "From": "apple@example.com",
            "Subject": "Factura",
            "Message-ID": "<a@x>",
            "Content-Type": "multipart/mixed; boundary=mixed",
        },
        body,
    )
    assert ingest_email(message).ticket.description == "Plain words."


def test_a_message_without_a_sender_is_quarantined_not_dropped():
    result = ingest_email(mail({"Subject": "Who am I", "Message-ID": "<n@x>"}))
    assert result.outcome == "quarantined" and result.record.reason == "no sender address"
    assert bytes(result.record.raw).startswith(b"Subject: Who am I")


def test_a_message_too_large_is_quarantined(settings):
    settings.INBOUND_EMAIL_MAX_BYTES = 100
    result = ingest_email(gmail_new())
    assert result.outcome == "quarantined"
    assert result.record.reason == f"too large ({len(gmail_new())} bytes)"


def test_garbage_never_raises():
    result = ingest_email(b"\x00\xff\xfe not a mail at all \r\n\r\n\x00")
    assert result.outcome == "quarantined"
    assert InboundEmail.objects.filter(outcome="quarantined").count() == 1


def test_the_command_reads_one_message_from_standard_input(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(gmail_new())))
    call_command("ingest_email")
    assert capsys.readouterr().out.startswith("created PUL-")


def test_quote_trimming_keeps_the_new_text():
    assert trim_quoted("Thanks!\n\nOn Mon, Mar 3, 2025 at 9:00 AM Soporte wrote:\n> hi") == (
        "Thanks!"
    )
    assert trim_quoted("> only a quote") == "> only a quote"  # nothing new: keep it all
    assert html_to_text("<p>a</p><p>b</p>") == "a\n\nb"


# --- attachments, loops, forwards, races ---------------------------------------------------------


def with_files(*files, message_id="<att@x>", sender="lucia@example.com") -> bytes:
    parts = ["--m\r\nContent-Type: text/plain\r\n\r\nFiles attached.\r\n"]
    for name, content in files:
        parts.append(
            f"--m\r\nContent-Type: application/octet-stream\r\n"
            f'Content-Disposition: attachment; filename="{name}"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n" + b64encode(content).decode() + "\r\n"
        )
    return mail(
        {
            "From": sender,
            "Subject": "Logs",
            "Message-ID": message_id,
            "Content-Type": "multipart/mixed; boundary=m",
        },
        "".join(parts) + "--m--\r\n",
    )


def test_an_attachment_over_the_limit_is_named_in_the_text_not_kept(settings):
    settings.INBOUND_ATTACHMENT_MAX_BYTES = 1024 * 1024
    result = ingest_email(with_files(("small.log", b"ok"), ("huge.zip", b"0" * (1024 * 1024 + 1))))

    ticket = result.ticket
    assert list(ticket.attachments.values_list("filename", "size")) == [("small.log", 2)]
    assert "[Attachment not kept: huge.zip is larger than 1 MB.]" in ticket.description
    assert result.record.reason == "Attachment not kept: huge.zip is larger than 1 MB."
    assert b"huge.zip" in bytes(result.record.raw)  # the message itself is kept whole


def test_more_attachments_than_allowed_keep_the_first_ones(settings):
    settings.INBOUND_ATTACHMENTS_MAX = 2
    files = [(f"page-{n}.txt", b"x") for n in range(1, 4)]
    ticket = ingest_email(with_files(*files)).ticket
    assert list(ticket.attachments.values_list("filename", flat=True)) == [
        "page-1.txt", "page-2.txt"
    ]  # fmt: skip
    assert "page-3.txt (more than 2 attachments)" in ticket.description


def test_files_of_a_reply_belong_to_that_reply(ana, team_n1):
    ticket = ingest_email(gmail_new()).ticket
    reply = with_files(("photo.jpg", b"\xff\xd8\xff"), message_id="<r@x>").replace(
        b"Subject: Logs", f"Subject: Re: [{ticket.reference}]".encode()
    )
    assert ingest_email(reply).outcome == "threaded"
    [attachment] = ticket.attachments.all()
    assert attachment.reply == ticket.replies.get()
    assert ticket.replies.get().body == "Files attached."


def test_mail_from_the_desks_own_address_is_never_taken_in(settings):
    settings.SUPPORT_EMAIL = "soporte@pulso.example"
    result = ingest_email(gmail_new(sender="Soporte <SOPORTE@pulso.example>"))
    assert (result.outcome, result.record.reason) == ("ignored", "sent by this desk (loop)")
    assert not Ticket.objects.exists()


def test_a_sender_who_keeps_writing_gets_at_most_a_few_confirmations_an_hour(
    settings, django_capture_on_commit_callbacks
):
    settings.INBOUND_ACK_LIMIT = 2
    with django_capture_on_commit_callbacks(execute=True):
        results = [ingest_email(gmail_new(message_id=f"<loop{n}@x>")) for n in range(4)]
    assert [r.outcome for r in results] == ["created"] * 4  # every message is kept as a case
    confirmations = [
        m for m in outbox.outbox if m.extra_headers["X-Pulso-Mail"] == "ticket-received"
    ]
    assert len(confirmations) == 2
    assert results[3].record.reason.startswith("no confirmation sent")


def test_an_agent_forwarding_a_customers_mail_opens_the_case_for_the_customer(ana, team_n1):
    forward = mail(
        {"From": f"Ana <{ana.email}>", "Subject": "Fwd: Factura duplicada", "Message-ID": "<f@x>"},
        "Please take this one.\r\n\r\n---------- Forwarded message ---------\r\n"
        "From: Pedro Páramo <pedro@example.com>\r\nDate: Mon, 3 Mar 2025\r\n"
        "Subject: Factura duplicada\r\n\r\nMe cobraron dos veces.\r\n",
    )
    ticket = ingest_email(forward).ticket
    assert (ticket.customer.email, ticket.customer.name) == ("pedro@example.com", "Pedro Páramo")
    assert ticket.subject == "Factura duplicada"
    assert "Me cobraron dos veces." in ticket.description
    assert ticket.events.get(kind="created").actor == ana


def test_a_customer_forwarding_something_stays_the_customer():
    forward = mail(
        {"From": "lucia@example.com", "Subject": "Fwd: Phishing?", "Message-ID": "<p@x>"},
        "Is this you?\r\n\r\n---------- Forwarded message ---------\r\n"
        "From: Fake <fake@evil.example>\r\n\r\nClick here.\r\n",
    )
    assert ingest_email(forward).ticket.customer.email == "lucia@example.com"


def test_a_quarantined_message_can_be_taken_in_again(ana, team_n1):
    first = ingest_email(mail({"Subject": "Who?", "Message-ID": "<q@x>"}))
    assert first.outcome == "quarantined"
    fixed = bytes(first.record.raw).replace(b"Subject:", b"From: who@example.com\r\nSubject:")
    InboundEmail.objects.filter(pk=first.record.pk).update(raw=fixed)  # as if the parser improved

    again = reprocess(InboundEmail.objects.get(pk=first.record.pk))

    assert again.outcome == "created"
    assert InboundEmail.objects.get().outcome == "created"


def test_a_new_customer_gets_the_language_their_mail_client_declares():
    english = mail(
        {"From": "john@example.com", "Subject": "Help", "Message-ID": "<en@x>",
         "Content-Language": "en-US"},
    )  # fmt: skip
    assert ingest_email(english).ticket.customer.language == "en"


def test_a_display_name_with_encoded_line_breaks_cannot_smuggle_an_address():
    message = mail(
        {
            "From": "=?UTF-8?B?U29wb3J0ZQ0KQmNjOiB2aWN0aW1hQGV4YW1wbGUub3Jn?= <pablo@example.net>",
            "Subject": "Hola",
            "Message-ID": "<inj@x>",
        }
    )
    customer = ingest_email(message).ticket.customer
    assert customer.email == "pablo@example.net"
    assert customer.name == "Soporte Bcc: victima@example.org"


def _deliver_everything() -> list:
    """Send every queued e-mail as the worker would; the messages as they left."""
    for notification in OutboundEmail.objects.all():
        services.deliver_notification(notification.pk)
    return list(outbox.outbox)


def _head(message) -> bytes:
    return message.message().as_bytes().replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]


def test_an_address_out_of_an_encoded_name_never_gets_the_case_nor_the_confirmation():
    # The name decodes to 'Banco <alertas@victima.example>'; the address is diego's.
    name = b64encode(b"Banco <alertas@victima.example>").decode()
    result = ingest_email(
        mail({"From": f"=?UTF-8?B?{name}?= <diego@example.org>", "Subject": "Hola",
              "Message-ID": "<b64@x>"})
    )  # fmt: skip

    assert result.outcome == "created"
    assert (result.ticket.customer.email, result.ticket.customer.name) == (
        "diego@example.org",
        "Banco <alertas@victima.example>",
    )
    sent = _deliver_everything()
    assert [m.recipients() for m in sent] == [["diego@example.org"]]
    assert b"victima" not in _head(sent[0])


@pytest.mark.parametrize(
    ("sender", "reason"),
    [
        # CPython's header parser takes the encoded word into the local part: victima@…
        ("=?UTF-8?Q?victima=40example=2Eorg?= hector@example.net",
         "From: an encoded word where the address belongs"),
        # PHP's mb_encode_mimeheader() over the whole value: no address outside the word
        ("=?UTF-8?B?TGF1cmEgPHZpY3RpbWFAZXhhbXBsZS5vcmc+?=",
         "From: an encoded word where the address belongs"),
        ("=?UTF-8?Q?Soporte <victima@example.org>?= <ines@example.com>",
         "From: address syntax inside an encoded word"),
    ],
    ids=["before-bare-address", "whole-header", "raw-brackets"],
)  # fmt: skip
def test_a_sender_hidden_in_an_encoded_word_is_quarantined_with_the_reason(sender, reason):
    result = ingest_email(mail({"From": sender, "Subject": "Hola", "Message-ID": "<ew@x>"}))

    assert (result.outcome, result.record.reason) == ("quarantined", reason)
    assert result.record.sender == sender  # as it came, for the admin to judge
    assert not Customer.objects.exists() and not OutboundEmail.objects.exists()
    assert _deliver_everything() == []


def test_an_agents_forward_of_a_hostile_from_line_is_quarantined(ana, team_n1):
    # The forwarding client wrote the original's encoded name out decoded.
    forward = mail(
        {"From": f"Ana <{ana.email}>", "Subject": "Fwd: Pago", "Message-ID": "<fh@x>"},
        "Revisen esto.\r\n\r\n---------- Forwarded message ---------\r\n"
        "From: Soporte <victima@example.org> <hector@example.net>\r\n"
        "Subject: Pago\r\n\r\nCambien mi cuenta.\r\n",
    )
    result = ingest_email(forward)
    assert result.outcome == "quarantined"
    assert result.record.reason == "forwarded message: its From line names more than one address"
    assert not Ticket.objects.exists()


def test_hostile_names_and_subjects_never_make_a_header_of_outgoing_mail(ana, team_n1):
    # A display name and a subject with encoded CR LF, a Bcc line and an encoded word inside.
    name = b64encode(b"Evil\r\nBcc: victima@example.org\r\n=?UTF-8?Q?x?=").decode()
    subject = b64encode(b"Hola\r\nBcc: otra@example.org\r\nX-Evil: 1").decode()
    result = ingest_email(
        mail({"From": f"=?UTF-8?B?{name}?= <pablo@example.net>",
              "Subject": f"=?UTF-8?B?{subject}?=", "Message-ID": "<hx@x>"})
    )  # fmt: skip
    ticket = result.ticket
    ana.first_name = "Ana\r\nBcc: victima@example.org"
    ana.save()
    services.assign_ticket(ticket=ticket, by=ana, assignee=ana)
    services.add_reply(ticket=Ticket.objects.get(pk=ticket.pk), by=ana, body="Hola", public=True)

    sent = _deliver_everything()

    assert len(sent) == 2  # the confirmation and the agent's reply
    for message in sent:
        assert message.recipients() == ["pablo@example.net"]
        wire = parse(message.message().as_bytes())
        assert not {"bcc", "cc", "x-evil"} & {name.lower() for name in wire.keys()}  # noqa: SIM118
        assert wire.get_all("To") == ["pablo@example.net"]
        assert wire["From"].addresses[0].addr_spec == "soporte@pulso.localhost"
        assert str(wire["Subject"]).endswith("Hola Bcc: otra@example.org X-Evil: 1")  # one line


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_taking_in_the_same_message_at_once_open_one_case():
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (DATABASE_URL)")
    barrier = threading.Barrier(8)
    raw = gmail_new(message_id="<race@x>")

    def take_in(_):
        barrier.wait()
        try:
            return ingest_email(raw).outcome
        finally:
            connection.close()

    with ThreadPoolExecutor(8) as pool:
        outcomes = sorted(pool.map(take_in, range(8)))

    assert outcomes == ["created"] + ["duplicate"] * 7
    assert Ticket.objects.count() == 1 and InboundEmail.objects.count() == 1
