"""A customer's page and edit page: other addresses added and removed (refusals on the form,
keeping what was typed), the record of changes; merging a duplicate record — find it, see what
moves, confirm — for managers and admins only."""

import pytest
from django.urls import reverse

from cases import services
from cases.models import Customer, CustomerMerge, Ticket
from cases.services.customers import add_customer_address
from tests.factories import CustomerFactory, make_ticket


def detail_url(customer) -> str:
    return reverse("cases:customer_detail", args=[customer.pk])


def edit_url(customer) -> str:
    return reverse("cases:customer_edit", args=[customer.pk])


def add_url(customer) -> str:
    return reverse("cases:customer_address_add", args=[customer.pk])


def find_url(customer) -> str:
    return reverse("cases:customer_merge", args=[customer.pk])


def confirm_url(customer, duplicate) -> str:
    return reverse("cases:customer_merge_confirm", args=[customer.pk, duplicate.pk])


# --- other addresses --------------------------------------------------------------------------


def test_an_agent_adds_an_address_on_the_edit_page_and_the_page_shows_it(client, ana, customer):
    client.force_login(ana)
    response = client.post(add_url(customer), {"email": "lucia@trabajo.co"})
    assert response.status_code == 302 and response.url == edit_url(customer)
    assert "lucia@trabajo.co" in client.get(edit_url(customer)).content.decode()
    page = client.get(detail_url(customer))
    html = page.content.decode()
    assert "Other e-mail addresses" in html and "lucia@trabajo.co" in html
    assert page.context["changes"][0]["rows"] == [
        ("other e-mail addresses", None, "lucia@trabajo.co")
    ]


def test_another_customers_address_is_refused_on_the_page_keeping_what_was_typed(
    client, ana, customer
):
    CustomerFactory(name="Pedro Gil", email="pedro@example.com")
    client.force_login(ana)
    response = client.post(add_url(customer), {"email": "Pedro@example.com"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "the address of another customer, Pedro Gil" in html
    assert 'value="Pedro@example.com"' in html
    assert not customer.addresses.exists()


def test_an_address_is_removed_from_the_edit_page(client, ana, customer):
    address = add_customer_address(customer=customer, by=ana, email="lucia@trabajo.co")
    client.force_login(ana)
    remove = reverse("cases:customer_address_remove", args=[customer.pk, address.pk])
    assert client.get(remove).status_code == 405
    assert client.post(remove).status_code == 302
    assert not customer.addresses.exists()


def test_an_agent_of_another_team_cannot_add_an_address(client, ana, carla, customer, team_n1):
    make_ticket(by=ana, customer=customer, team=team_n1)
    client.force_login(carla)
    assert client.post(add_url(customer), {"email": "x@trabajo.co"}).status_code == 403
    assert not customer.addresses.exists()


def test_an_address_of_another_customer_cannot_be_removed_through_this_one(client, marta, customer):
    other = CustomerFactory()
    address = add_customer_address(customer=other, by=marta, email="o@trabajo.co")
    client.force_login(marta)
    remove = reverse("cases:customer_address_remove", args=[customer.pk, address.pk])
    assert client.post(remove).status_code == 404
    assert other.addresses.exists()


# --- merging ----------------------------------------------------------------------------------


@pytest.fixture
def twin(db, ana, team_n1):
    twin = CustomerFactory(name="Lucia T.", email="ltorres@trabajo.co")
    make_ticket(by=ana, customer=twin, team=team_n1)
    return twin


def test_a_manager_finds_the_duplicate_by_its_address(client, marta, customer, twin):
    client.force_login(marta)
    page = client.get(detail_url(customer)).content.decode()
    assert find_url(customer) in page
    response = client.get(find_url(customer), {"q": "trabajo.co"})
    assert [c.pk for c in response.context["matches"]] == [twin.pk]
    assert confirm_url(customer, twin) in response.content.decode()
    itself = client.get(find_url(customer), {"q": "lucia"}).context["matches"]
    assert customer.pk not in [c.pk for c in itself]


def test_the_confirmation_shows_what_moves_and_the_merge_happens_once_confirmed(
    client, marta, customer, twin
):
    client.force_login(marta)
    page = client.get(confirm_url(customer, twin))
    moves = dict(page.context["moves"])
    assert moves["Tickets"] == 1
    unconfirmed = client.post(confirm_url(customer, twin), {"duplicate": twin.pk})
    assert unconfirmed.status_code == 400 and Customer.objects.filter(pk=twin.pk).exists()
    merged = client.post(confirm_url(customer, twin), {"duplicate": twin.pk, "confirm": "on"})
    assert merged.status_code == 302 and merged.url == detail_url(customer)
    assert not Customer.objects.filter(pk=twin.pk).exists()
    assert Ticket.objects.get().customer == customer
    html = client.get(detail_url(customer)).content.decode()
    assert "Records merged into this one" in html and "Lucia T." in html
    assert "ltorres@trabajo.co" in html  # now one of her addresses


def test_a_stale_confirmation_merges_nothing(client, marta, customer, twin):
    other = CustomerFactory()
    client.force_login(marta)
    response = client.post(confirm_url(customer, twin), {"duplicate": other.pk, "confirm": "on"})
    assert response.status_code == 400
    assert not CustomerMerge.objects.exists()


def test_merging_a_record_into_itself_is_refused(client, marta, customer):
    client.force_login(marta)
    url = confirm_url(customer, customer)
    assert "cannot be merged into itself" in client.get(url).content.decode()
    response = client.post(url, {"duplicate": customer.pk, "confirm": "on"})
    assert response.status_code == 400
    assert Customer.objects.filter(pk=customer.pk).exists() and not CustomerMerge.objects.exists()


def test_agents_cannot_merge(client, ana, customer, twin):
    client.force_login(ana)
    assert find_url(customer) not in client.get(detail_url(customer)).content.decode()
    assert client.get(find_url(customer)).status_code == 403
    assert client.get(confirm_url(customer, twin)).status_code == 403
    posted = client.post(confirm_url(customer, twin), {"duplicate": twin.pk, "confirm": "on"})
    assert posted.status_code == 403
    assert Customer.objects.filter(pk=twin.pk).exists()


def test_the_admin_merges_too(client, adrian, customer, twin):
    client.force_login(adrian)
    client.post(confirm_url(customer, twin), {"duplicate": twin.pk, "confirm": "on"})
    assert CustomerMerge.objects.get().by == adrian
    assert services.find_or_create_customer(email="ltorres@trabajo.co") == customer
