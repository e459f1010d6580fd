"""The REST API of organisations and of a customer's record: /organisations/ (list, search,
create) and /organisations/{id}/ (read, edit) with domains, account manager and contact count;
a customer's organisation, other addresses and whether they see the organisation's cases;
/customers/{id}/addresses/ and /customers/{id}/merge/ — bad input a 400 naming the field,
refusals a 403, nothing written either way."""

import pytest

from cases import services
from cases.models import Customer, CustomerMerge, Organisation, OrganisationChange, Ticket
from tests.factories import CustomerFactory, UserFactory, make_ticket

from .helpers import token_client, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(marta, ana):
    return services.create_organisation(
        by=marta, name="Acme Ltda.", domains=["acme.co"], account_manager=ana
    )


# --- organisations ----------------------------------------------------------------------------


def test_the_list_gives_domains_account_manager_and_contacts(ana, acme):
    services.find_or_create_customer(email="pedro@acme.co")
    response = token_client(ana).get(url("organisation-list"), {"search": "ACME.co"})
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row == {
        "id": acme.pk,
        "name": "Acme Ltda.",
        "notes": "",
        "domains": ["acme.co"],
        "account_manager": {"id": ana.pk, "name": "Ana Pérez"},
        "contact_count": 1,
        "created_at": row["created_at"],
    }


def test_a_manager_creates_and_edits_an_organisation(marta, ana):
    api = token_client(marta)
    created = api.post(
        url("organisation-list"),
        {"name": "Globex", "domains": ["Globex.com", "globex.co"], "account_manager": ana.pk},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["domains"] == ["globex.co", "globex.com"] and body["contact_count"] == 0
    edited = api.patch(
        url("organisation-detail", body["id"]),
        {"notes": "Paga a 60 días", "account_manager": None, "domains": ["globex.com"]},
        format="json",
    )
    assert edited.status_code == 200, edited.content
    assert edited.json()["account_manager"] is None and edited.json()["domains"] == ["globex.com"]
    change = OrganisationChange.objects.filter(organisation_id=body["id"]).first()
    assert change.by == marta
    assert set(change.changes) == {"notes", "account_manager", "domains"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Personas", "domains": ["hotmail.com"]}, "domains"),
        ({"name": "Personas", "domains": ["no es un dominio"]}, "domains"),
        ({"name": "Personas", "domains": "acme.co"}, "domains"),
        ({"name": "Otra", "domains": ["ACME.CO"]}, "domains"),
        ({"name": "acme ltda."}, "name"),
        ({"name": ""}, "name"),
        ({"name": "Personas", "account_manager": 10**6}, "account_manager"),
        ({"name": "Personas", "colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_written(marta, acme, body, field):
    response = token_client(marta).post(url("organisation-list"), body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert list(Organisation.objects.values_list("name", flat=True)) == ["Acme Ltda."]


def test_an_account_manager_without_a_role_is_refused(marta):
    outsider = UserFactory(username="fuera")
    response = token_client(marta).post(
        url("organisation-list"), {"name": "X", "account_manager": outsider.pk}, format="json"
    )
    assert response.status_code == 400 and "account_manager" in response.json()


def test_agents_read_organisations_but_do_not_change_them(ana, acme):
    api = token_client(ana)
    assert api.get(url("organisation-detail", acme.pk)).status_code == 200
    refused = api.patch(url("organisation-detail", acme.pk), {"name": "Mía"}, format="json")
    assert refused.status_code == 403 and "detail" in refused.json()
    assert Organisation.objects.get().name == "Acme Ltda."


# --- a customer's record ----------------------------------------------------------------------


def test_a_customer_shows_organisation_addresses_and_who_sees_the_cases(ana, marta, customer, acme):
    services.update_customer(customer=customer, by=marta, organisation=acme)
    services.add_customer_address(customer=customer, by=marta, email="lucia@acme.co")
    body = token_client(ana).get(url("customer-detail", customer.pk)).json()
    assert body["organisation"] == {"id": acme.pk, "name": "Acme Ltda."}
    assert [a["email"] for a in body["addresses"]] == ["lucia@acme.co"]
    assert body["is_organisation_admin"] is False


def test_an_agent_sets_the_organisation_but_not_who_sees_its_cases(ana, marta, customer, acme):
    api = token_client(ana)
    detail = url("customer-detail", customer.pk)
    joined = api.patch(detail, {"organisation": acme.pk}, format="json")
    assert joined.status_code == 200 and joined.json()["organisation"]["id"] == acme.pk
    refused = api.patch(detail, {"is_organisation_admin": True}, format="json")
    assert refused.status_code == 403
    customer.refresh_from_db()
    assert not customer.is_organisation_admin
    granted = token_client(marta).patch(detail, {"is_organisation_admin": True}, format="json")
    assert granted.status_code == 200 and granted.json()["is_organisation_admin"] is True
    moved = api.patch(detail, {"organisation": None}, format="json")
    assert moved.status_code == 403  # she sees the organisation's cases: a manager's call


def test_addresses_are_added_and_removed_through_the_api(ana, customer):
    api = token_client(ana)
    added = api.post(
        url("customer-addresses", customer.pk), {"email": "lucia@trabajo.co"}, format="json"
    )
    assert added.status_code == 201, added.content
    [address] = added.json()["addresses"]
    assert address["email"] == "lucia@trabajo.co"
    removed = api.delete(url("customer-address", customer.pk, address["id"]))
    assert removed.status_code == 204 and not customer.addresses.exists()
    assert api.delete(url("customer-address", customer.pk, address["id"])).status_code == 404


@pytest.mark.parametrize("email", ["pedro@example.com", "LUCIA@example.com", "not-an-address", 7])
def test_a_taken_or_bad_address_is_a_400(ana, customer, email):
    CustomerFactory(name="Pedro", email="pedro@example.com")
    response = token_client(ana).post(
        url("customer-addresses", customer.pk), {"email": email}, format="json"
    )
    assert response.status_code == 400 and "email" in response.json()
    assert not customer.addresses.exists()


def test_an_agent_of_another_team_gets_403_adding_an_address(ana, carla, customer, team_n1):
    make_ticket(by=ana, customer=customer, team=team_n1)
    response = token_client(carla).post(
        url("customer-addresses", customer.pk), {"email": "x@trabajo.co"}, format="json"
    )
    assert response.status_code == 403 and not customer.addresses.exists()


def test_a_manager_merges_a_duplicate_through_the_api(marta, ana, customer, team_n1):
    twin = CustomerFactory(name="Lucia T.", email="ltorres@trabajo.co")
    make_ticket(by=ana, customer=twin, team=team_n1)
    response = token_client(marta).post(
        url("customer-merge", customer.pk), {"duplicate": twin.pk}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["merged_id"], body["merged_name"], body["merged_email"]) == (
        twin.pk,
        "Lucia T.",
        "ltorres@trabajo.co",
    )
    assert body["moved"]["tickets"] == 1 and body["by"]["id"] == marta.pk
    assert [a["email"] for a in body["customer"]["addresses"]] == ["ltorres@trabajo.co"]
    assert Ticket.objects.get().customer == customer
    assert not Customer.objects.filter(pk=twin.pk).exists()


@pytest.mark.parametrize("duplicate", ["self", 10**6, "7", None])
def test_a_bad_duplicate_is_a_400_and_nothing_moves(marta, customer, duplicate):
    body = {"duplicate": customer.pk if duplicate == "self" else duplicate}
    response = token_client(marta).post(url("customer-merge", customer.pk), body, format="json")
    assert response.status_code == 400, response.content
    assert "duplicate" in response.json()
    assert Customer.objects.filter(pk=customer.pk).exists() and not CustomerMerge.objects.exists()


def test_an_agent_cannot_merge(ana, customer):
    twin = CustomerFactory()
    response = token_client(ana).post(
        url("customer-merge", customer.pk), {"duplicate": twin.pk}, format="json"
    )
    assert response.status_code == 403
    assert Customer.objects.filter(pk=twin.pk).exists()
