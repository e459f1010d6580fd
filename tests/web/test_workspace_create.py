"""The new-ticket form for cases that arrive by phone, chat, in person or a field visit."""

import pytest
from django.urls import reverse

from cases.models import Customer, EventKind, Status, Ticket

URL = reverse("cases:ticket_create")


@pytest.fixture
def as_ana(client, ana):
    client.force_login(ana)
    return client


def form_data(**overrides):
    data = {
        "email": "nuevo@cliente.example",
        "name": "Nuevo Cliente",
        "phone": "+57 300 1234567",
        "company": "Cliente SAS",
        "subject": "No dial tone",
        "description": "Since this morning.",
        "channel": "phone",
        "priority": "normal",
    }
    data.update(overrides)
    return data


def test_the_form_defaults_to_the_phone_channel(as_ana, team_n1):
    html = as_ana.get(URL).content.decode()
    assert '<option value="phone" selected>' in html
    assert '<option value="field_visit">' in html


def test_a_new_customer_is_created_with_the_ticket(as_ana, ana, team_n1):
    response = as_ana.post(URL, form_data(channel="in_person"))
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("cases:ticket_detail", args=[ticket.pk])
    customer = ticket.customer
    assert (customer.email, customer.name, customer.phone, customer.company) == (
        "nuevo@cliente.example",
        "Nuevo Cliente",
        "+57 300 1234567",
        "Cliente SAS",
    )
    assert (ticket.channel, ticket.status, ticket.team) == ("in_person", Status.NEW, team_n1)
    assert ticket.events.get(kind=EventKind.CREATED).actor == ana
    assert f"Ticket {ticket.reference} registered." in as_ana.get(response.url).content.decode()


def test_an_existing_customer_is_reused_whatever_the_case_of_the_email(as_ana, customer, team_n1):
    as_ana.post(URL, form_data(email="LUCIA@Example.COM", name="Someone Else"))
    ticket = Ticket.objects.get()
    assert ticket.customer == customer
    assert Customer.objects.count() == 1
    customer.refresh_from_db()
    assert customer.name == "Lucía Torres"  # not overwritten by the form


def test_the_team_defaults_to_the_category_team(as_ana, billing, team_n1, team_n2):
    billing.default_team = team_n2
    billing.save()
    as_ana.post(URL, form_data(category=billing.pk))
    ticket = Ticket.objects.get()
    assert (ticket.team, ticket.level) == (team_n2, 2)


def test_an_agent_registering_for_another_team_lands_on_the_queue(as_ana, team_n2):
    response = as_ana.post(URL, form_data(team=team_n2.pk))
    assert response.status_code == 302
    assert response.url == reverse("cases:queue")
    assert Ticket.objects.get().team == team_n2


def test_assign_to_me(as_ana, ana, team_n1):
    as_ana.post(URL, form_data(assign_to_me="on"))
    assert Ticket.objects.get().assignee == ana


def test_auto_assign_picks_an_agent_of_the_team(as_ana, ana, bruno, team_n1):
    as_ana.post(URL, form_data(auto_assign="on"))
    ticket = Ticket.objects.get()
    assert ticket.assignee in (ana, bruno)
    assert ticket.events.get(kind=EventKind.ASSIGNED).data["auto"] is True


def test_assigning_in_two_ways_at_once_is_refused(as_ana, bruno, team_n1):
    response = as_ana.post(URL, form_data(assign_to_me="on", assignee=bruno.pk))
    assert response.status_code == 400
    assert "Choose one way to assign" in response.content.decode()
    assert not Ticket.objects.exists()


def test_an_assignee_outside_the_team_is_refused_and_no_customer_is_left_behind(
    as_ana, carla, team_n1
):
    response = as_ana.post(URL, form_data(team=team_n1.pk, assignee=carla.pk))
    assert response.status_code == 400
    assert "is not a member of the team" in response.content.decode()
    assert not Ticket.objects.exists()
    assert not Customer.objects.exists()


def test_errors_keep_what_was_typed(as_ana, team_n1):
    response = as_ana.post(URL, form_data(subject="", description="The long story I typed"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in html
    assert "The long story I typed" in html
    assert 'value="nuevo@cliente.example"' in html
    assert not Ticket.objects.exists()


def test_a_customer_needs_an_email_or_a_name(as_ana, team_n1):
    response = as_ana.post(URL, form_data(email="", name=""))
    assert response.status_code == 400
    assert "A customer needs an e-mail or a name." in response.content.decode()
    assert not Customer.objects.exists()


def test_a_customer_known_only_by_name_and_phone(as_ana, team_n1):
    as_ana.post(URL, form_data(email="", name="Walk-in visitor"))
    assert Ticket.objects.get().customer.name == "Walk-in visitor"
