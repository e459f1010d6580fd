"""The support mailbox end to end, on real servers on loopback: Pulso polls a real IMAP
mailbox (dovecot) and sends through a real SMTP server (aiosmtpd). A customer's e-mail opens a
case, the confirmation and the agent's reply reach the customer by SMTP, and the customer's
answer to that reply — dropped into the mailbox — comes back onto the same ticket."""

from email.message import EmailMessage

import pytest
from django.core.management import CommandError, call_command

from cases import services
from cases.models import InboundEmail, Reply, Ticket
from cases.services import mailbox
from cases.tasks import poll_mailbox
from tests.imap_fixtures import imap_server as imap_server_fixture  # noqa: F401
from tests.surveys.smtp import LoopbackSMTP, point_django_at, text_part

pytestmark = pytest.mark.django_db

NEW_CASE = (
    b"From: =?UTF-8?Q?Luc=C3=ADa_Torres?= <lucia@example.com>\r\n"
    b"To: soporte@pulso.example\r\n"
    b"Subject: =?UTF-8?Q?La_impresora_no_imprime?=\r\n"
    b"Message-ID: <CAF-imap-1@mail.gmail.com>\r\n"
    b"Date: Mon, 3 Mar 2025 09:00:00 -0500\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: text/plain; charset="UTF-8"\r\n'
    b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    b"Hola, la impresora parpadea en naranja y no sale nada.\r\n"
)


@pytest.fixture
def mailbox_settings(imap_server, settings):
    for name, value in imap_server.settings().items():
        setattr(settings, name, value)
    settings.IMAP_PROCESSED_FOLDER = ""
    return settings


@pytest.fixture
def smtp(settings):
    with LoopbackSMTP() as server:
        point_django_at(settings, server)
        yield server


def poll(capture) -> str:
    """One run of `manage.py poll_mailbox`, e-mails sent on commit as the worker would."""
    from io import StringIO

    out = StringIO()
    with capture(execute=True):
        call_command("poll_mailbox", stdout=out)
    return out.getvalue().strip()


def answer_to(message: EmailMessage, text: str, message_id: str) -> bytes:
    """What the customer's mail client sends back when they answer `message`."""
    quoted = "".join(f"> {line}\r\n" for line in text_part(message).splitlines())
    return (
        f"From: lucia@example.com\r\nTo: {message['Reply-To']}\r\n"
        f"Subject: Re: {message['Subject']}\r\nMessage-ID: {message_id}\r\n"
        f"In-Reply-To: {message['Message-ID']}\r\n"
        f"References: {message.get('References', '')} {message['Message-ID']}\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{text}\r\n\r\nEl lun, 3 mar 2025 a las 10:15, Soporte escribió:\r\n{quoted}"
    ).encode()


def test_a_mailed_case_its_replies_and_the_customers_answer_make_one_ticket(
    imap_server, mailbox_settings, smtp, ana, team_n1, django_capture_on_commit_callbacks
):
    imap_server.append(NEW_CASE)

    assert poll(django_capture_on_commit_callbacks) == "created 1"

    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.subject) == ("email", "La impresora no imprime")
    assert ticket.customer.email == "lucia@example.com"
    [uid] = imap_server.uids()
    assert "\\Seen" in imap_server.flags(uid)  # read: the next poll skips it
    assert smtp.wait_for(1)
    [confirmation] = smtp.to("lucia@example.com")
    assert ticket.reference in confirmation["Subject"]
    assert confirmation["In-Reply-To"] == "<CAF-imap-1@mail.gmail.com>"

    with django_capture_on_commit_callbacks(execute=True):
        services.add_reply(ticket=ticket, by=ana, body="¿Qué modelo es la impresora?")
    assert smtp.wait_for(2)
    reply = smtp.to("lucia@example.com")[-1]
    assert "¿Qué modelo es la impresora?" in text_part(reply)
    assert reply["X-Pulso-Mail"] == "agent-reply"

    imap_server.append(answer_to(reply, "Es una HP LaserJet 1020.", "<CAF-imap-2@mail.gmail.com>"))
    assert poll(django_capture_on_commit_callbacks) == "threaded 1"

    answer = Reply.objects.get(ticket=ticket, author=None)
    assert answer.body == "Es una HP LaserJet 1020."
    assert Ticket.objects.count() == 1
    assert poll(django_capture_on_commit_callbacks) == "nothing new"


@pytest.mark.parametrize("server_can_move", [True, False], ids=["MOVE", "COPY+EXPUNGE"])
def test_processed_messages_are_moved_to_their_folder(
    imap_server, mailbox_settings, monkeypatch, server_can_move, django_capture_on_commit_callbacks
):
    if not server_can_move:  # an older server: copy, flag deleted, expunge
        connect = mailbox._connect

        def connect_without_move():
            connection = connect()
            connection.capabilities = tuple(c for c in connection.capabilities if c != "MOVE")
            return connection

        monkeypatch.setattr(mailbox, "_connect", connect_without_move)
    mailbox_settings.IMAP_PROCESSED_FOLDER = "Pulso Processed"
    imap_server.append(NEW_CASE, seen=True)  # someone read it in their mail client: still new

    assert poll(django_capture_on_commit_callbacks) == "created 1"

    assert imap_server.uids() == []
    assert len(imap_server.uids(folder="Pulso Processed")) == 1
    assert poll(django_capture_on_commit_callbacks) == "nothing new"


def test_the_same_message_delivered_twice_opens_one_case(
    imap_server, mailbox_settings, django_capture_on_commit_callbacks
):
    imap_server.append(NEW_CASE)
    imap_server.append(NEW_CASE)

    assert poll(django_capture_on_commit_callbacks) == "created 1, duplicate 1"
    assert Ticket.objects.count() == 1
    assert all("\\Seen" in imap_server.flags(uid) for uid in imap_server.uids())


def test_machine_mail_and_broken_mail_are_read_but_open_no_case(
    imap_server, mailbox_settings, django_capture_on_commit_callbacks
):
    imap_server.append(
        b"From: lucia@example.com\r\nSubject: Fuera de la oficina\r\n"
        b"Auto-Submitted: auto-replied\r\nMessage-ID: <ooo@example.com>\r\n\r\nVuelvo el lunes.\r\n"
    )
    imap_server.append(b"Subject: nobody\r\nMessage-ID: <anon@example.com>\r\n\r\n???\r\n")

    assert poll(django_capture_on_commit_callbacks) == "ignored 1, quarantined 1"
    assert not Ticket.objects.exists()
    assert InboundEmail.objects.get(outcome="quarantined").reason == "no sender address"


def test_a_failure_while_taking_a_message_in_leaves_it_unread_for_the_next_poll(
    imap_server, mailbox_settings, monkeypatch, django_capture_on_commit_callbacks
):
    imap_server.append(NEW_CASE)

    def database_down(raw):
        raise ConnectionError("database unavailable")

    monkeypatch.setattr(mailbox, "ingest_email", database_down)
    with pytest.raises(ConnectionError):
        mailbox.poll()
    [uid] = imap_server.uids()
    assert "\\Seen" not in imap_server.flags(uid)

    monkeypatch.undo()
    assert poll(django_capture_on_commit_callbacks) == "created 1"


def test_a_wrong_password_is_a_clear_error_and_touches_nothing(
    imap_server, mailbox_settings, django_capture_on_commit_callbacks
):
    mailbox_settings.IMAP_PASSWORD = "wrong"
    imap_server.append(NEW_CASE)
    with pytest.raises(CommandError, match=r"IMAP 127\.0\.0\.1:\d+"):
        poll(django_capture_on_commit_callbacks)
    [uid] = imap_server.uids()
    assert "\\Seen" not in imap_server.flags(uid)


def test_without_a_mailbox_the_beat_task_does_nothing_and_the_command_says_why(settings):
    settings.IMAP_HOST = ""
    assert poll_mailbox() == {}
    with pytest.raises(CommandError, match="IMAP_HOST is not set"):
        call_command("poll_mailbox")


def test_a_poll_already_running_is_not_doubled(settings, monkeypatch):
    from django.core.cache import cache

    settings.IMAP_HOST = "127.0.0.1"
    cache.add(mailbox.LOCK_KEY, "other-run", 60)
    assert mailbox.poll() == {"busy": 1}
