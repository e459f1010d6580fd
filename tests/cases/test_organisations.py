"""Organisations (cases/services/organisations.py): created and edited by managers, every
change recorded; e-mail domains normalised, checked, one organisation each and never a
free-mail one; a new customer whose address is at a domain joins the organisation, wherever
customers are created (the services, the web form, the API, inbound mail)."""

import pytest

from cases import services
from cases.errors import PermissionDenied, ValidationError
from cases.models import Organisation, OrganisationChange, OrganisationDomain
from cases.services.inbound import ingest_email
from cases.services.organisations import (
    create_organisation,
    find_or_create_organisation,
    is_free_mail_domain,
    update_organisation,
)
from tests.cases.test_inbound_email import mail
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme(marta):
    return create_organisation(
        by=marta, name="Acme Ltda.", domains=["ACME.com.co", " acme.co "], notes="Mayorista"
    )


def domains_of(organisation) -> list[str]:
    return sorted(organisation.domains.values_list("domain", flat=True))


# --- create and edit --------------------------------------------------------------------------


def test_a_manager_creates_an_organisation_with_its_domains_in_lower_case(acme, marta):
    assert (acme.name, acme.notes) == ("Acme Ltda.", "Mayorista")
    assert domains_of(acme) == ["acme.co", "acme.com.co"]
    change = OrganisationChange.objects.get(organisation=acme)
    assert change.by == marta
    assert change.changes == {
        "name": [None, "Acme Ltda."],
        "notes": [None, "Mayorista"],
        "domains": [None, "acme.com.co, acme.co"],
    }


def test_domains_typed_as_addresses_or_with_a_trailing_dot_are_stored_plainly(marta):
    organisation = create_organisation(
        by=marta, name="Globex", domains=["@globex.com", "ventas@globex.co", "globex.net."]
    )
    assert domains_of(organisation) == ["globex.co", "globex.com", "globex.net"]


def test_every_change_is_recorded_with_who_and_old_and_new(acme, marta, ana):
    update_organisation(
        organisation=acme,
        by=marta,
        name="Acme S.A.S.",
        account_manager=ana,
        domains=["acme.co", "acme.com"],
        notes="Mayorista",  # unchanged: not recorded
    )
    change = OrganisationChange.objects.filter(organisation=acme).first()
    assert change.by == marta
    assert change.changes == {
        "name": ["Acme Ltda.", "Acme S.A.S."],
        "account_manager": [None, "Ana Pérez"],
        "domains": ["acme.co, acme.com.co", "acme.co, acme.com"],
    }
    acme.refresh_from_db()
    assert (acme.name, acme.account_manager, domains_of(acme)) == (
        "Acme S.A.S.",
        ana,
        ["acme.co", "acme.com"],
    )


def test_saving_without_a_change_records_nothing(acme, marta):
    update_organisation(
        organisation=acme, by=marta, name="Acme Ltda.", domains=["acme.co", "ACME.com.co"]
    )
    assert OrganisationChange.objects.filter(organisation=acme).count() == 1


@pytest.mark.parametrize("domain", ["gmail.com", "Hotmail.com", "outlook.com", "yahoo.com",
                                    "icloud.com", "live.com", "yahoo.com.mx", "hotmail.es",
                                    "outlook.co.uk", "protonmail.com"])  # fmt: skip
def test_a_free_mail_domain_is_refused_with_the_reason(marta, domain):
    with pytest.raises(ValidationError) as refused:
        create_organisation(by=marta, name="Personas", domains=["personas.co", domain])
    assert refused.value.field == "domains"
    assert "free e-mail service" in refused.value.message
    assert not Organisation.objects.exists() and not OrganisationDomain.objects.exists()


@pytest.mark.parametrize("domain", ["gmail.empresa.com", "live.co.example.org", "mymail.com"])
def test_a_company_domain_that_only_looks_like_free_mail_is_accepted(domain):
    assert not is_free_mail_domain(domain)


@pytest.mark.parametrize("typed", ["not a domain", "acme", "-acme.com", "acme..com", "a@b@c"])
def test_what_is_not_a_domain_is_refused(marta, typed):
    with pytest.raises(ValidationError) as refused:
        create_organisation(by=marta, name="Acme", domains=[typed])
    assert refused.value.field == "domains"
    assert not Organisation.objects.exists()


def test_a_domain_belongs_to_one_organisation(acme, marta):
    with pytest.raises(ValidationError) as refused:
        create_organisation(by=marta, name="Otra", domains=["otra.com", "Acme.co"])
    assert refused.value.message == "Acme Ltda. already has the domain acme.co."
    assert list(Organisation.objects.values_list("name", flat=True)) == ["Acme Ltda."]


def test_a_name_is_unique_whatever_its_case(acme, marta):
    with pytest.raises(ValidationError) as refused:
        create_organisation(by=marta, name="ACME LTDA.")
    assert refused.value.field == "name"
    other = create_organisation(by=marta, name="Otra")
    with pytest.raises(ValidationError):
        update_organisation(organisation=other, by=marta, name="acme ltda.")
    assert Organisation.objects.get(pk=other.pk).name == "Otra"


def test_the_account_manager_must_be_active_staff(marta):
    outsider = UserFactory(username="sinrol")
    with pytest.raises(ValidationError) as refused:
        create_organisation(by=marta, name="Acme", account_manager=outsider)
    assert refused.value.field == "account_manager"


def test_agents_cannot_create_or_edit_organisations(acme, ana):
    with pytest.raises(PermissionDenied):
        create_organisation(by=ana, name="Mía")
    with pytest.raises(PermissionDenied):
        update_organisation(organisation=acme, by=ana, notes="cambiada")
    acme.refresh_from_db()
    assert acme.notes == "Mayorista" and not Organisation.objects.filter(name="Mía").exists()


def test_the_import_finds_an_organisation_by_name_whatever_its_case(acme):
    assert find_or_create_organisation(name="acme LTDA.") == acme
    created = find_or_create_organisation(name="Nueva")
    assert (
        created.name == "Nueva" and OrganisationChange.objects.get(organisation=created).by is None
    )


# --- joining by domain ------------------------------------------------------------------------


def test_a_new_customer_at_a_domain_joins_the_organisation(acme):
    customer = services.find_or_create_customer(email="Pedro@ACME.com.co", name="Pedro")
    assert customer.organisation == acme
    second = services.find_or_create_customer(email="rosa@acme.co", name="Rosa")
    assert second.organisation == acme


def test_a_subdomain_or_another_domain_joins_nobody(acme):
    assert services.find_or_create_customer(email="x@ventas.acme.co").organisation is None
    assert services.find_or_create_customer(email="x@acme.com").organisation is None


def test_an_existing_customer_is_not_moved_by_a_domain_added_later(marta):
    old = CustomerFactory(email="eva@globex.com")
    create_organisation(by=marta, name="Globex", domains=["globex.com"])
    assert services.find_or_create_customer(email="eva@globex.com") == old
    old.refresh_from_db()
    assert old.organisation is None


def test_changing_a_customers_address_does_not_move_them(acme, marta):
    customer = services.find_or_create_customer(email="pedro@acme.co")
    services.update_customer(customer=customer, by=marta, email="pedro@gmail.com")
    customer.refresh_from_db()
    assert customer.organisation == acme
    outsider = services.find_or_create_customer(email="juan@gmail.com")
    services.update_customer(customer=outsider, by=marta, email="juan@acme.co")
    outsider.refresh_from_db()
    assert outsider.organisation is None


def test_an_organisation_given_explicitly_wins_over_the_domain(acme, marta):
    other = create_organisation(by=marta, name="Otra")
    customer = services.find_or_create_customer(email="pedro@acme.co", organisation=other)
    assert customer.organisation == other


def test_a_message_from_a_new_address_at_the_domain_joins_the_organisation(acme):
    result = ingest_email(
        mail(
            {
                "From": "Pedro Gil <pedro.gil@acme.com.co>",
                "To": "soporte@pulso.example",
                "Subject": "Factura",
                "Message-ID": "<acme-1@acme.com.co>",
            }
        )
    )
    assert result.outcome == "created"
    assert result.ticket.customer.organisation == acme


def test_mail_from_a_free_mail_address_joins_nobody(acme):
    result = ingest_email(
        mail({"From": "p@gmail.com", "Subject": "Hola", "Message-ID": "<g-1@gmail.com>"})
    )
    assert result.ticket.customer.organisation is None
