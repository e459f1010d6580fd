"""The new-ticket form's customer finder: the agent types part of a name, e-mail, phone or
company and gets the matching customers with their open cases (only those the agent may
see); picking one registers the case for that customer, and a new customer is created only
when none was picked and the e-mail is new."""

import pytest
from django.urls import reverse

from cases.customer_lookup import MATCH_LIMIT, phone_pattern, word_pattern
from cases.models import Customer, Status, Ticket
from tests.factories import CustomerFactory, UserFactory, make_ticket
from tests.web.test_workspace_support import move_to

pytestmark = pytest.mark.django_db

LOOKUP_URL = reverse("cases:customer_lookup")
CHOICE_URL = reverse("cases:customer_choice")
CREATE_URL = reverse("cases:ticket_create")


@pytest.fixture
def lucia(customer):
    customer.phone = "+57 300 123-4567"
    customer.company = "Tiendas Éxito"
    customer.save()
    return customer


def matches(client, q) -> list[str]:
    response = client.get(LOOKUP_URL, {"q": q})
    assert response.status_code == 200
    return [match.customer.name for match in response.context["matches"]]


@pytest.mark.parametrize(
    "typed",
    ["lucia", "LUCÍA", "torres", "tor luc", "lucia@exam", "300 123", "3001234567", "éxito"],
)
def test_the_finder_matches_name_email_phone_or_company_ignoring_case_and_accents(
    client, ana, lucia, typed
):
    CustomerFactory(name="Pedro Gómez", email="pedro@example.com", company="Acme")
    client.force_login(ana)
    assert matches(client, typed) == ["Lucía Torres"]


def test_every_word_must_match_and_short_searches_ask_for_more(client, ana, lucia):
    client.force_login(ana)
    assert matches(client, "lucia pedro") == []
    response = client.get(LOOKUP_URL, {"q": "lu"})
    assert response.context["matches"] == []
    assert "Type at least 3 characters." in response.content.decode()
    response = client.get(LOOKUP_URL, {"q": "zzzz"})
    assert "No customer matches “zzzz”." in response.content.decode()


def test_the_finder_lists_a_bounded_number_of_customers(client, ana):
    for n in range(MATCH_LIMIT + 3):
        CustomerFactory(name=f"Cliente {n:02d}")
    client.force_login(ana)
    assert len(matches(client, "cliente")) == MATCH_LIMIT


def test_only_the_open_cases_the_agent_may_see_are_shown(
    client, ana, carla, lucia, team_n1, team_n2
):
    own = make_ticket(by=ana, team=team_n1, customer=lucia, subject="Factura duplicada")
    other_team = make_ticket(by=carla, team=team_n2, customer=lucia, subject="Secreto de N2")
    closed = make_ticket(by=ana, team=team_n1, customer=lucia, subject="Ya resuelto")
    move_to(closed, Status.RESOLVED, by=ana)
    client.force_login(ana)
    response = client.get(LOOKUP_URL, {"q": "lucia"})
    [match] = response.context["matches"]
    assert match.open_cases == [own]
    html = response.content.decode()
    assert own.reference in html and "Factura duplicada" in html
    assert other_team.reference not in html and "Secreto de N2" not in html
    assert "Ya resuelto" not in html


def test_the_finder_and_the_choice_are_for_staff_only(client, lucia):
    client.force_login(UserFactory(username="nadie"))
    assert client.get(LOOKUP_URL, {"q": "lucia"}).status_code == 403
    assert client.get(CHOICE_URL, {"customer": lucia.pk}).status_code == 403
    client.logout()
    assert client.get(LOOKUP_URL, {"q": "lucia"}).status_code == 302


def test_choosing_a_customer_puts_their_id_in_the_form(client, ana, lucia, team_n1):
    make_ticket(by=ana, team=team_n1, customer=lucia, subject="Factura duplicada")
    client.force_login(ana)
    html = client.get(CHOICE_URL, {"customer": lucia.pk}).content.decode()
    assert f'<input type="hidden" name="customer" value="{lucia.pk}">' in html
    assert "Factura duplicada" in html
    assert 'name="email"' not in html
    assert client.get(CHOICE_URL, {"customer": 999999}).status_code == 404
    assert client.get(CHOICE_URL, {"customer": "abc"}).status_code == 404
    # "Choose another customer": the finder and the new customer's fields again
    assert 'name="email"' in client.get(CHOICE_URL).content.decode()


def ticket_data(**overrides):
    data = {"subject": "No dial tone", "description": "Since this morning.", "channel": "phone"}
    data.update(priority="normal", **overrides)
    return data


def test_the_form_registers_the_case_for_the_chosen_customer(client, ana, lucia, team_n1):
    client.force_login(ana)
    # typed details are ignored once a customer is chosen
    response = client.post(
        CREATE_URL, ticket_data(customer=lucia.pk, email="otra@example.com", name="Otra")
    )
    assert response.status_code == 302
    assert Ticket.objects.get().customer == lucia
    assert Customer.objects.count() == 1


def test_a_bogus_customer_id_is_refused_keeping_what_was_typed(client, ana, team_n1):
    client.force_login(ana)
    for bogus in ("999999", "abc", "1e9"):
        response = client.post(CREATE_URL, ticket_data(customer=bogus, subject="Mi impresora"))
        assert response.status_code == 400
        html = response.content.decode()
        assert "The chosen customer no longer exists" in html
        assert 'value="Mi impresora"' in html
    assert not Ticket.objects.exists() and not Customer.objects.exists()


def test_a_chosen_customer_stays_chosen_when_something_else_is_wrong(client, ana, lucia):
    client.force_login(ana)
    response = client.post(CREATE_URL, ticket_data(customer=lucia.pk, subject=""))
    assert response.status_code == 400
    html = response.content.decode()
    assert f'<input type="hidden" name="customer" value="{lucia.pk}">' in html
    assert "Lucía Torres" in html


def test_without_a_chosen_customer_the_plain_form_still_finds_or_creates_one(
    client, ana, lucia, team_n1
):
    client.force_login(ana)
    client.post(CREATE_URL, ticket_data(email="LUCIA@example.com", name="Otro nombre"))
    client.post(CREATE_URL, ticket_data(email="nuevo@example.com", name="Nuevo"))
    assert [t.customer.name for t in Ticket.objects.order_by("pk")] == ["Lucía Torres", "Nuevo"]
    assert Customer.objects.count() == 2
    # the finder is there for browsers with JavaScript, hidden without it
    assert "data-customer-finder hidden" in client.get(CREATE_URL).content.decode()


def test_patterns_escape_what_the_agent_types():
    assert word_pattern("a.b") == r"[aáàâäãAÁÀÂÄÃ]\.B"
    assert phone_pattern("300") == "3[ ().+/-]{0,2}0[ ().+/-]{0,2}0"
    assert phone_pattern("ab1") is None
