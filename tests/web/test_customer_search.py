"""The customer list's and the API's search reach a customer through their other addresses
and their organisation's name, as well as their own name, e-mail, company and phone."""

import pytest
from django.urls import reverse

from cases.models import CustomerAddress, Organisation
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lucia(db):
    clinic = Organisation.objects.create(name="Clínica Santa Fe")
    customer = CustomerFactory.create(
        name="Lucía Torres", email="lucia@example.com", company="", organisation=clinic
    )
    CustomerAddress.objects.create(customer=customer, email="ltorres@trabajo.example")
    CustomerFactory.create(name="Pedro Gómez", email="pedro@example.com", company="")
    return customer


@pytest.mark.parametrize("term", ["ltorres@trabajo", "santa fe", "Lucía", "lucia@example"])
def test_the_customer_list_finds_a_customer_by_any_of_their_marks(client, ana, lucia, term):
    client.force_login(ana)
    page = client.get(reverse("cases:customer_list"), {"q": term}).content.decode()
    assert "Lucía Torres" in page and "Pedro Gómez" not in page


@pytest.mark.parametrize("term", ["ltorres@trabajo", "santa fe"])
def test_the_api_search_finds_a_customer_by_another_address_or_organisation(
    client, ana, lucia, term
):
    from knox.models import AuthToken

    _, key = AuthToken.objects.create(ana)
    response = client.get(
        reverse("api:customer-list"), {"search": term}, HTTP_AUTHORIZATION=f"Token {key}"
    )
    assert [c["id"] for c in response.json()["results"]] == [lucia.pk]
