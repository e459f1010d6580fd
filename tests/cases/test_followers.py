"""Followers: the Cc of a customer's e-mail follows the ticket, agents add and remove people
in copy, public replies go to the customer with them in copy, and a follower's e-mail
answer threads into the ticket as theirs — never moving its status."""

import pytest
from django.core import mail as outbox
from django.urls import reverse

from cases import services
from cases.errors import ValidationError
from cases.models import EventKind, OutboundEmail, Reply, Status, Ticket, TicketEvent
from cases.services.followers import FOLLOWERS_MAX
from cases.services.inbound import ingest_email
from cases.services.notifications import deliver_notification
from tests.factories import CustomerFactory, make_ticket

from .lifecycle_helpers import bring_to
from .test_inbound_email import mail

pytestmark = pytest.mark.django_db


def new_mail_with_cc():
    return mail(
        {
            "From": "Lucía Torres <lucia@example.com>",
            "To": "soporte@pulso.example",
            "Cc": "Jefe <jefe@empresa.example>, soporte@pulso.example, LUCIA@example.com",
            "Subject": "Factura duplicada",
            "Message-ID": "<cc-1@mail.example>",
        },
        "Me cobraron dos veces.\r\n",
    )


def emails(ticket):
    return sorted(ticket.followers.values_list("email", flat=True))


def test_the_cc_of_a_new_case_follows_it_but_not_the_desk_or_the_customer(settings):
    settings.SUPPORT_EMAIL = "soporte@pulso.example"
    ticket = ingest_email(new_mail_with_cc()).ticket
    assert emails(ticket) == ["jefe@empresa.example"]
    follower = ticket.followers.get()
    assert follower.name == "Jefe" and follower.added_by is None
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.FOLLOWER_ADDED)
    assert event.data["email"] == "jefe@empresa.example" and event.actor is None


def test_a_public_reply_goes_to_the_customer_with_followers_in_copy_and_no_private_link(
    settings, ana, team_n1
):
    settings.SUPPORT_EMAIL = "soporte@pulso.example"
    ticket = ingest_email(new_mail_with_cc()).ticket
    services.assign_ticket(ticket=ticket, by=ana, assignee=ana)
    services.add_reply(ticket=ticket, by=ana, body="Ya pedimos el reembolso.")
    services.add_reply(ticket=ticket, by=ana, body="Nota interna", public=False)
    reply_mail = OutboundEmail.objects.get(ticket=ticket, reply__body="Ya pedimos el reembolso.")
    outbox.outbox.clear()

    assert deliver_notification(reply_mail.pk)

    [sent] = outbox.outbox
    assert sent.to == ["lucia@example.com"] and sent.cc == ["jefe@empresa.example"]
    assert "/support/c/" not in sent.body and "/support/c/" not in sent.alternatives[0][0]
    assert not OutboundEmail.objects.filter(reply__body="Nota interna").exists()


def test_without_followers_the_reply_keeps_its_private_link(ana, ticket):
    services.add_reply(ticket=ticket, by=ana, body="Hola")
    outbox.outbox.clear()
    deliver_notification(OutboundEmail.objects.get(reply__body="Hola").pk)
    [sent] = outbox.outbox
    assert sent.cc == [] and "/support/c/" in sent.body


def follower_answer(ticket, body="Autorizo el reembolso.\r\n", message_id="<cc-2@mail.example>"):
    return mail(
        {
            "From": "Jefe <jefe@empresa.example>",
            "Subject": f"Re: [{ticket.reference}] Factura duplicada",
            "Message-ID": message_id,
        },
        body,
    )


@pytest.mark.parametrize("status", [Status.OPEN, Status.PENDING, Status.RESOLVED])
def test_a_followers_answer_threads_as_theirs_and_moves_nothing(status, settings, ana):
    settings.SUPPORT_EMAIL = "soporte@pulso.example"
    ticket = ingest_email(new_mail_with_cc()).ticket
    services.assign_ticket(ticket=ticket, by=ana, assignee=ana)
    ticket = bring_to(Ticket.objects.get(pk=ticket.pk), status, by=ana)
    reopens = ticket.reopen_count

    result = ingest_email(follower_answer(ticket))

    assert result.outcome == "threaded" and result.ticket == ticket
    reply = Reply.objects.get(ticket=ticket, body="Autorizo el reembolso.")
    assert (reply.from_email, reply.from_name, reply.author, reply.public) == (
        "jefe@empresa.example",
        "Jefe",
        None,
        True,
    )
    after = Ticket.objects.get(pk=ticket.pk)
    assert after.status == status and after.reopen_count == reopens
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.FOLLOWER_REPLIED).exists()
    assert not TicketEvent.objects.filter(
        ticket=ticket, kind__in=[EventKind.CUSTOMER_REPLIED, EventKind.REOPENED]
    ).exists()


def test_a_stranger_naming_the_reference_does_not_thread(settings, ana):
    settings.SUPPORT_EMAIL = "soporte@pulso.example"
    ticket = ingest_email(new_mail_with_cc()).ticket
    stranger = mail(
        {
            "From": "otro@ejemplo.example",
            "Subject": f"Re: [{ticket.reference}] Factura duplicada",
            "Message-ID": "<x-1@mail.example>",
        }
    )
    result = ingest_email(stranger)
    assert result.outcome == "created" and result.ticket != ticket


def test_an_agent_adds_and_removes_a_follower_and_refusals_say_why(ana, ticket):
    follower = services.add_follower(ticket=ticket, by=ana, email="Gerente@Empresa.example")
    assert emails(ticket) == ["Gerente@Empresa.example"]
    for email, field in [
        ("gerente@empresa.example", "email"),  # already following, whatever the case
        (ticket.customer.email, "email"),
        ("no es un correo", "email"),
    ]:
        with pytest.raises(ValidationError) as refused:
            services.add_follower(ticket=ticket, by=ana, email=email)
        assert refused.value.field == field and refused.value.message
    services.remove_follower(follower=follower, by=ana)
    assert emails(ticket) == []
    kinds = list(
        TicketEvent.objects.filter(ticket=ticket, kind__startswith="follower").values_list(
            "kind", flat=True
        )
    )
    assert kinds == [EventKind.FOLLOWER_ADDED, EventKind.FOLLOWER_REMOVED]


def test_a_ticket_takes_a_bounded_number_of_followers(ana, ticket):
    for n in range(FOLLOWERS_MAX):
        services.add_follower(ticket=ticket, by=ana, email=f"p{n}@empresa.example")
    with pytest.raises(ValidationError):
        services.add_follower(ticket=ticket, by=ana, email="uno.mas@empresa.example")


def test_a_known_customer_in_copy_is_linked(ana, ticket):
    known = CustomerFactory.create(email="conocida@example.com", name="Conocida")
    follower = services.add_follower(ticket=ticket, by=ana, email="conocida@example.com")
    assert follower.customer == known and follower.name == "Conocida"


def test_the_ticket_page_adds_and_removes_followers(client, ana, ticket):
    client.force_login(ana)
    bad = client.post(reverse("cases:follow", args=[ticket.pk]), {"email": "x@", "name": "X"})
    assert bad.status_code == 400 and 'value="x@"' in bad.content.decode()
    done = client.post(
        reverse("cases:follow", args=[ticket.pk]), {"email": "jefa@empresa.example", "name": ""}
    )
    assert done.status_code == 302
    page = client.get(reverse("cases:ticket_detail", args=[ticket.pk])).content.decode()
    assert "jefa@empresa.example" in page
    follower = ticket.followers.get()
    client.post(reverse("cases:unfollow", args=[ticket.pk, follower.pk]))
    assert not ticket.followers.exists()


def test_an_agent_of_another_team_cannot_touch_the_followers(client, carla, ticket):
    client.force_login(carla)
    response = client.post(reverse("cases:follow", args=[ticket.pk]), {"email": "a@b.example"})
    assert response.status_code == 404 and not ticket.followers.exists()


def test_the_api_lists_adds_and_removes_followers(client, ana, ticket):
    from knox.models import AuthToken

    _, key = AuthToken.objects.create(ana)
    headers = {"HTTP_AUTHORIZATION": f"Token {key}"}
    url = reverse("api:ticket-followers", args=[ticket.pk])
    bad = client.post(url, {"email": "nope"}, content_type="application/json", **headers)
    assert bad.status_code == 400 and "email" in bad.json()
    added = client.post(
        url, {"email": "jefa@empresa.example", "name": "Jefa"}, content_type="application/json",
        **headers,
    )  # fmt: skip
    assert added.status_code == 201 and added.json()[0]["email"] == "jefa@empresa.example"
    follower_id = added.json()[0]["id"]
    assert client.get(url, **headers).json()[0]["name"] == "Jefa"
    gone = client.delete(reverse("api:ticket-follower", args=[ticket.pk, follower_id]), **headers)
    assert gone.status_code == 204 and client.get(url, **headers).json() == []


def test_the_customer_sees_a_followers_message_as_in_copy(client, settings, ana):
    settings.SUPPORT_EMAIL = "soporte@pulso.example"
    ticket = ingest_email(new_mail_with_cc()).ticket
    ingest_email(follower_answer(ticket))
    token = services.issue_access_token(ticket)
    page = client.get(reverse("portal:ticket", args=[token])).content.decode()
    assert "Autorizo el reembolso." in page
    assert "Jefe</span> · En copia" in page  # the customer's language: Spanish
    assert "jefe@empresa.example" not in page


def test_followers_on_a_ticket_made_by_an_agent_stay_in_copy(ana, team_n1):
    ticket = make_ticket(by=ana, team=team_n1)
    services.add_follower(ticket=ticket, by=ana, email="jefa@empresa.example")
    services.add_reply(ticket=ticket, by=ana, body="Listo")
    outbox.outbox.clear()
    deliver_notification(OutboundEmail.objects.get(reply__body="Listo").pk)
    assert outbox.outbox[0].cc == ["jefa@empresa.example"]
