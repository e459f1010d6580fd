"""What people set about e-mail in the workspace: each agent's own notifications, the
confirmation an agent sends with a case they register, and the admin's view of the mailbox."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from cases.models import InboundEmail, OutboundEmail, Ticket
from cases.services.inbound import ingest_email

pytestmark = pytest.mark.django_db


def test_an_agent_switches_their_ticket_emails_off_and_on(client, ana):
    client.force_login(ana)
    page = client.get(reverse("preferences")).content.decode()
    assert "E-mail me when a ticket is assigned to me" in page

    client.post(reverse("preferences"), {"language": "es"})  # both boxes left unticked
    ana.refresh_from_db()
    assert (ana.notify_assigned, ana.notify_escalated) == (False, False)

    client.post(
        reverse("preferences"),
        {"language": "es", "notify_assigned": "on", "notify_escalated": "on"},
    )
    ana.refresh_from_db()
    assert (ana.notify_assigned, ana.notify_escalated) == (True, True)


def register(client, **extra):
    data = {
        "email": "pedro@example.com",
        "name": "Pedro",
        "subject": "Router caído",
        "description": "Llamó: no hay internet.",
        "channel": "phone",
        "priority": "normal",
        **extra,
    }
    return client.post(reverse("cases:ticket_create"), data)


def test_a_case_registered_by_phone_can_be_confirmed_to_the_customer_by_email(
    client, ana, team_n1, django_capture_on_commit_callbacks
):
    client.force_login(ana)
    form = client.get(reverse("cases:ticket_create")).content.decode()
    assert re.search(r'<input type="checkbox" name="acknowledge"[^>]* checked>', form)

    with django_capture_on_commit_callbacks(execute=True):
        response = register(client, acknowledge="on")

    assert response.status_code == 302
    ticket = Ticket.objects.get()
    [confirmation] = mail.outbox
    assert confirmation.to == ["pedro@example.com"]
    assert ticket.reference in confirmation.subject


def test_without_the_box_the_customer_is_not_mailed(client, ana, team_n1):
    client.force_login(ana)
    register(client)
    assert not OutboundEmail.objects.exists()


def test_an_admin_reads_a_quarantined_message_and_takes_it_in_again(client, adrian, team_n1):
    record = ingest_email(b"Subject: <b>who</b>\r\nMessage-ID: <q@x>\r\n\r\nNo sender.\r\n").record
    client.force_login(adrian)
    page = client.get(reverse("admin:cases_inboundemail_change", args=[record.pk]))
    assert "Subject: &lt;b&gt;who&lt;/b&gt;" in page.content.decode()

    InboundEmail.objects.filter(pk=record.pk).update(
        raw=b"From: who@example.com\r\nSubject: who\r\nMessage-ID: <q@x>\r\n\r\nNo sender.\r\n"
    )
    response = client.post(
        reverse("admin:cases_inboundemail_changelist"),
        {"action": "take_in_again", "_selected_action": [record.pk]},
        follow=True,
    )

    assert "New ticket: 1" in response.content.decode()
    assert Ticket.objects.get().customer.email == "who@example.com"
    assert InboundEmail.objects.get().outcome == "created"
