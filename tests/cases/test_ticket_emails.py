"""E-mails about a ticket: the customer hears of the case, every public reply and the
resolution, in their language, in one thread of their mail client, and their answer comes back
onto the ticket; agents hear of what is assigned to them or escalated to their team unless they
switched it off. Nothing is mailed while history is replayed."""

import pytest
from django.core import mail

from cases import services
from cases.models import NotificationKind, OutboundEmail, Reply, Status
from cases.services.inbound import ingest_email
from cases.signals import replaying_history
from tests.factories import AgentFactory, CustomerFactory, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """Run the block, commit it (the eager task sends on commit), return what was mailed."""

    class Sent:
        def __init__(self):
            self.messages = []

        def __enter__(self):
            mail.outbox.clear()
            self._capture = django_capture_on_commit_callbacks(execute=True)
            self._capture.__enter__()
            return self

        def __exit__(self, *exc):
            self._capture.__exit__(*exc)
            self.messages = list(mail.outbox)

        def kinds(self):
            return [m.extra_headers["X-Pulso-Mail"] for m in self.messages]

        def one(self, kind):
            [message] = [m for m in self.messages if m.extra_headers["X-Pulso-Mail"] == kind]
            return message

    return Sent


def html(message) -> str:
    return message.alternatives[0][0]


def email_case(raw_from="Lucía Torres <lucia@example.com>", message_id="<first@mail.example>"):
    raw = (
        f"From: {raw_from}\r\nTo: soporte@pulso.example\r\nSubject: Impresora no imprime\r\n"
        f"Message-ID: {message_id}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "La impresora parpadea en naranja.\r\n"
    ).encode()
    return ingest_email(raw).ticket


# --- the customer ------------------------------------------------------------------------------


def test_a_public_reply_is_mailed_to_the_customer_as_text_and_html(sent, ana, team_n1):
    customer = CustomerFactory(name="John Smith", email="john@example.com", language="en")
    ticket = make_ticket(by=ana, team=team_n1, customer=customer, subject="Printer <jammed>")

    with sent() as out:
        services.add_reply(ticket=ticket, by=ana, body="Please restart it.\nThen try again.")

    message = out.one("agent-reply")
    assert message.to == ["john@example.com"]
    assert message.subject == f"[{ticket.reference}] Re: Printer <jammed>"
    assert "Please restart it.\nThen try again." in message.body
    assert "Please type your reply above this line" in message.body.splitlines()[0]
    assert "Please restart it.\nThen try again." in html(message)  # pre-wrap keeps the lines
    assert "Printer &lt;jammed&gt;" in html(message)
    assert "Ana · Pulso" in message.from_email
    assert message.reply_to == ["soporte@pulso.localhost"]
    assert "Auto-Submitted" not in message.extra_headers  # a person wrote it


def test_an_internal_note_is_never_mailed(sent, ana, ticket):
    with sent() as out:
        services.add_reply(ticket=ticket, by=ana, body="Customer sounds upset.", public=False)
    assert out.messages == []


def test_the_resolution_is_mailed_with_how_it_was_resolved_in_spanish(sent, ana, team_n1):
    customer = CustomerFactory(name="Lucía", email="lucia@example.com", language="es")
    ticket = make_ticket(by=ana, team=team_n1, customer=customer, assignee=ana)
    services.add_reply(ticket=ticket, by=ana, body="Revisamos el equipo.")

    with sent() as out:
        services.resolve_ticket(ticket=ticket, by=ana, resolution="Cambiamos el tóner.")

    message = out.one("ticket-resolved")
    assert message.subject.startswith(f"[{ticket.reference}] Resuelto:")
    assert "Hola, Lucía:" in message.body
    assert "Cambiamos el tóner." in message.body
    assert "responde a este correo" in message.body
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"


def test_a_customer_without_email_is_mailed_nothing(sent, ana, team_n1):
    phone_only = CustomerFactory(email="", name="Pedro")
    ticket = make_ticket(by=ana, team=team_n1, customer=phone_only, assignee=ana)
    with sent() as out:
        services.add_reply(ticket=ticket, by=ana, body="Called you back.")
        services.resolve_ticket(ticket=ticket, by=ana, resolution="Solved on the phone.")
    assert out.messages == []
    assert not OutboundEmail.objects.exists()


def test_the_messages_of_a_case_are_one_thread_in_the_customers_mail_client(sent, ana):
    with sent():
        ticket = email_case()
    ack = OutboundEmail.objects.get(kind=NotificationKind.TICKET_RECEIVED)
    with sent() as out:
        services.add_reply(ticket=ticket, by=ana, body="¿Qué modelo es?")
    reply = out.one("agent-reply")

    reference = ticket.reference.lower()
    assert reply.extra_headers["Message-ID"].endswith(f".{reference}@pulso.localhost>")
    # It answers the latest message of the conversation and lists the thread from its start.
    assert reply.extra_headers["In-Reply-To"] == f"<{ack.message_id}>"
    assert reply.extra_headers["References"] == f"<first@mail.example> <{ack.message_id}>"


def test_the_customers_answer_to_our_email_comes_back_onto_the_ticket(sent, ana):
    with sent():
        ticket = email_case()
    with sent() as out:
        services.add_reply(ticket=ticket, by=ana, body="¿Qué modelo es?")
    ours = out.one("agent-reply")
    answer = (
        "From: lucia@example.com\r\nSubject: Re: " + ours.subject + "\r\n"
        "Message-ID: <answer@mail.example>\r\n"
        f"In-Reply-To: {ours.extra_headers['Message-ID']}\r\n"
        f"References: {ours.extra_headers['References']} {ours.extra_headers['Message-ID']}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Es una HP LaserJet.\r\n\r\n"
        "El lun, 3 mar 2025 a las 10:15, Ana · Pulso <soporte@pulso.localhost> escribió:\r\n"
        + "".join(f"> {line}\r\n" for line in ours.body.splitlines())
    ).encode()

    result = ingest_email(answer)

    assert (result.outcome, result.ticket) == ("threaded", ticket)
    assert Reply.objects.filter(ticket=ticket, author=None).get().body == "Es una HP LaserJet."


def test_an_answer_quoting_our_marker_keeps_only_what_is_above_it(sent, ana):
    with sent():
        ticket = email_case()
    ack = OutboundEmail.objects.get(kind=NotificationKind.TICKET_RECEIVED)
    answer = (
        "From: lucia@example.com\r\nSubject: Re: whatever\r\nMessage-ID: <a2@mail.example>\r\n"
        f"In-Reply-To: <{ack.message_id}>\r\nContent-Type: text/plain\r\n\r\n"
        "Adjunto el modelo: HP 1020.\r\n"
        "##- Escriba su respuesta encima de esta línea -##\r\nHola Lucía, recibimos...\r\n"
    ).encode()
    assert ingest_email(answer).ticket == ticket
    assert ticket.replies.get().body == "Adjunto el modelo: HP 1020."


def test_an_email_case_is_confirmed_with_how_to_add_to_it(sent):
    with sent() as out:
        ticket = email_case()
    message = out.one("ticket-received")
    assert message.to == ["lucia@example.com"]
    assert "responde a este correo" in message.body
    assert message.extra_headers["In-Reply-To"] == "<first@mail.example>"
    assert ticket.channel == "email"


def test_replayed_history_mails_nobody(sent, ana, bruno, team_n1, team_n2, carla):
    customer = CustomerFactory(email="old@example.com")
    with sent() as out, replaying_history():
        ticket = make_ticket(by=ana, team=team_n1, customer=customer, acknowledge=True)
        services.assign_ticket(ticket=ticket, by=ana, assignee=bruno)
        services.add_reply(ticket=ticket, by=bruno, body="Done long ago.")
        services.escalate_ticket(ticket=ticket, by=bruno, reason="Old", team=team_n2)
        services.resolve_ticket(ticket=ticket, by=carla, resolution="Fixed in 2023.")
    assert out.messages == []
    assert not OutboundEmail.objects.exists()


# --- agents ------------------------------------------------------------------------------------


def test_an_agent_is_mailed_a_ticket_assigned_to_them_by_someone_else(sent, ana, bruno, ticket):
    bruno.language = "en"
    bruno.save()
    with sent() as out:
        services.assign_ticket(ticket=ticket, by=ana, assignee=bruno)

    message = out.one("ticket-assigned")
    assert message.to == [bruno.email]
    assert message.subject == f"[{ticket.reference}] Assigned to you: {ticket.subject}"
    assert f"/tickets/{ticket.pk}/" in message.body
    assert "/accounts/preferences/" in message.body
    assert out.kinds() == ["ticket-assigned"]


def test_taking_a_ticket_yourself_mails_nobody(sent, ana, ticket):
    with sent() as out:
        services.assign_ticket(ticket=ticket, by=ana, assignee=ana)
    assert out.messages == []


def test_an_agent_who_switched_assignment_emails_off_gets_none(sent, ana, bruno, ticket):
    services.update_preferences(
        user=bruno, language="es", weekly_digest=False, notify_assigned=False
    )
    with sent() as out:
        services.assign_ticket(ticket=ticket, by=ana, assignee=bruno)
    assert out.messages == []


def test_a_case_assigned_by_round_robin_mails_its_agent(sent, team_n1, ana, bruno):
    team_n1.assignment = "round_robin"
    team_n1.save()
    with sent() as out:
        ticket = make_ticket(by=None, team=team_n1, customer=CustomerFactory(email=""))
    assert out.one("ticket-assigned").to == [ticket.assignee.email]


def test_an_escalation_to_another_team_mails_its_members_but_not_who_escalated(
    sent, ana, bruno, carla, team_n1, team_n2
):
    dora = AgentFactory(username="dora", teams=[team_n2], language="en")
    quiet = AgentFactory(username="quiet", teams=[team_n2], notify_escalated=False)
    AgentFactory(username="gone", teams=[team_n2], is_active=False)
    ticket = make_ticket(by=ana, team=team_n1, assignee=ana)

    with sent() as out:
        services.escalate_ticket(
            ticket=ticket, by=ana, reason="Needs a network specialist", team=team_n2
        )

    assert sorted(m.to[0] for m in out.messages) == sorted([carla.email, dora.email])
    message = next(m for m in out.messages if m.to == [dora.email])
    assert message.subject == f"[{ticket.reference}] Escalated to Soporte N2: {ticket.subject}"
    assert "Reason: Needs a network specialist" in message.body
    assert "Nobody is assigned yet." in message.body
    assert quiet.email not in [m.to[0] for m in out.messages]


def test_an_escalation_within_the_team_mails_nobody(sent, ana, ticket):
    with sent() as out:
        services.escalate_ticket(ticket=ticket, by=ana, reason="Harder than it looked")
    assert out.messages == []


def test_an_answer_to_an_agent_notification_is_ignored_not_made_a_case(sent, ana, bruno, ticket):
    with sent() as out:
        services.assign_ticket(ticket=ticket, by=ana, assignee=bruno)
    notice = out.one("ticket-assigned")
    answer = (
        f"From: {bruno.email}\r\nSubject: Re: {notice.subject}\r\nMessage-ID: <b@pulso.test>\r\n"
        f"In-Reply-To: {notice.extra_headers['Message-ID']}\r\n\r\nOK, on it.\r\n"
    ).encode()

    result = ingest_email(answer)

    assert result.outcome == "ignored"
    assert result.record.reason == "answer to a notification sent to an agent"
    assert ticket.replies.count() == 0


def test_a_resolved_ticket_the_customer_answers_is_reopened_by_mail(sent, ana):
    with sent():
        ticket = email_case()
    services.assign_ticket(ticket=ticket, by=ana, assignee=ana)
    services.add_reply(ticket=ticket, by=ana, body="Fixed.")
    with sent() as out:
        services.resolve_ticket(ticket=ticket, by=ana, resolution="Nuevo tóner.")
    resolved = out.one("ticket-resolved")
    answer = (
        "From: lucia@example.com\r\nSubject: Re: x\r\nMessage-ID: <again@mail.example>\r\n"
        f"In-Reply-To: {resolved.extra_headers['Message-ID']}\r\n\r\nSigue fallando.\r\n"
    ).encode()
    assert ingest_email(answer).outcome == "threaded"
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopen_count) == (Status.OPEN, 1)
