"""Inbound e-mail (cases/services/inbound.py): real-world-shaped messages become tickets,
replies on their tickets, nothing (automatic mail), or quarantine — each recorded once."""

import io
from base64 import b64encode

import pytest
from django.core.management import call_command

from cases import services
from cases.mailparse import html_to_text, trim_quoted
from cases.models import InboundEmail, Reply, Status, Ticket
from cases.services.inbound import ingest_email
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
