"""Organisation pages: the list with its search and pages, an organisation's page (profile,
domains, account manager, contacts with links, the record of changes), create and edit for
managers (agents read only), refusals on the form keeping what was typed; a customer's
organisation, who sees its cases, and the joining by domain from the web forms and the API."""

import pytest
from django.urls import reverse

from cases import services
from cases.models import Customer, Organisation, OrganisationChange
from cases.services.organisations import create_organisation
from tests.api.helpers import token_client, url
from tests.factories import UserFactory, make_ticket
from tests.web.test_portal import case_form

LIST_URL = reverse("cases:organisation_list")
CREATE_URL = reverse("cases:organisation_create")


def detail_url(organisation) -> str:
    return reverse("cases:organisation_detail", args=[organisation.pk])


def edit_url(organisation) -> str:
    return reverse("cases:organisation_edit", args=[organisation.pk])


@pytest.fixture
def acme(marta, ana):
    return create_organisation(
        by=marta, name="Acme Ltda.", domains=["acme.co"], account_manager=ana, notes="Mayorista"
    )


def test_the_list_shows_domains_account_manager_and_contacts(client, ana, acme):
    services.find_or_create_customer(email="pedro@acme.co", name="Pedro")
    create_organisation(by=None, name="Globex")
    client.force_login(ana)
    response = client.get(LIST_URL)
    rows = {o.name: o.contact_count for o in response.context["page_obj"]}
    assert rows == {"Acme Ltda.": 1, "Globex": 0}
    html = response.content.decode()
    assert "acme.co" in html and "Ana Pérez" in html
    assert CREATE_URL not in html  # agents do not create organisations


@pytest.mark.parametrize("term", ["acme", "ACME.CO", "ltda"])
def test_the_search_looks_in_names_and_domains(client, ana, acme, term):
    create_organisation(by=None, name="Globex", domains=["globex.com"])
    client.force_login(ana)
    response = client.get(LIST_URL, {"q": term})
    assert [o.name for o in response.context["page_obj"]] == ["Acme Ltda."]


def test_the_list_is_paginated(client, ana):
    for number in range(30):
        create_organisation(by=None, name=f"Org {number:02d}")
    client.force_login(ana)
    first = client.get(LIST_URL)
    second = client.get(LIST_URL, {"page": 2})
    assert len(first.context["page_obj"]) == 25 and len(second.context["page_obj"]) == 5


def test_the_page_shows_the_profile_contacts_and_changes(client, ana, marta, acme, team_n1):
    pedro = services.find_or_create_customer(email="pedro@acme.co", name="Pedro Gil")
    make_ticket(by=ana, customer=pedro, team=team_n1)
    services.update_customer(customer=pedro, by=marta, is_organisation_admin=True)
    services.update_organisation(organisation=acme, by=marta, notes="Factura mensual")
    client.force_login(ana)
    response = client.get(detail_url(acme))
    html = response.content.decode()
    assert response.status_code == 200
    assert reverse("cases:customer_detail", args=[pedro.pk]) in html
    assert "Organisation admin" in html and "Factura mensual" in html
    assert [c.ticket_count for c in response.context["contacts"]] == [1]
    assert [row[0] for row in response.context["changes"][0]["rows"]] == ["notes"]
    assert "Mayorista → Factura mensual" in html
    assert edit_url(acme) not in html  # agents read


def test_the_page_escapes_what_was_typed(client, ana, marta):
    evil = create_organisation(by=marta, name="<script>alert(1)</script>", notes="<b>x</b>")
    client.force_login(ana)
    html = client.get(detail_url(evil)).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html


def test_a_manager_creates_an_organisation_on_the_web(client, marta, ana):
    client.force_login(marta)
    response = client.post(
        CREATE_URL,
        {
            "name": "Globex",
            "domains": "Globex.com, globex.co",
            "account_manager": ana.pk,
            "notes": "",
        },
    )
    globex = Organisation.objects.get(name="Globex")
    assert response.status_code == 302 and response.url == detail_url(globex)
    assert sorted(globex.domains.values_list("domain", flat=True)) == ["globex.co", "globex.com"]
    assert OrganisationChange.objects.get(organisation=globex).by == marta


def test_a_free_mail_domain_is_refused_on_the_form_keeping_what_was_typed(client, marta):
    client.force_login(marta)
    response = client.post(CREATE_URL, {"name": "Personas", "domains": "personas.co, gmail.com"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "gmail.com is a free e-mail service" in html
    assert 'value="Personas"' in html and "personas.co, gmail.com" in html
    assert not Organisation.objects.exists()


def test_a_taken_domain_is_refused_naming_its_organisation(client, marta, acme):
    client.force_login(marta)
    other = create_organisation(by=marta, name="Otra")
    response = client.post(edit_url(other), {"name": "Otra", "domains": "acme.co"})
    assert response.status_code == 400
    assert "Acme Ltda. already has the domain acme.co." in response.content.decode()


def test_a_manager_edits_and_the_change_is_recorded(client, marta, acme):
    client.force_login(marta)
    form = {"name": "Acme S.A.S.", "domains": "acme.co, acme.com", "notes": "Mayorista"}
    response = client.post(edit_url(acme), {**form, "account_manager": ""})
    assert response.status_code == 302
    change = OrganisationChange.objects.filter(organisation=acme).first()
    assert change.changes == {
        "name": ["Acme Ltda.", "Acme S.A.S."],
        "account_manager": ["Ana Pérez", None],
        "domains": ["acme.co", "acme.co, acme.com"],
    }


def test_agents_may_not_create_or_edit_organisations(client, ana, acme):
    client.force_login(ana)
    assert client.get(CREATE_URL).status_code == 403
    assert client.post(CREATE_URL, {"name": "Mía"}).status_code == 403
    assert client.get(edit_url(acme)).status_code == 403
    assert client.post(edit_url(acme), {"name": "Cambiada"}).status_code == 403
    assert list(Organisation.objects.values_list("name", flat=True)) == ["Acme Ltda."]


def test_someone_without_a_role_sees_no_organisation(client, acme):
    client.force_login(UserFactory(username="nadie"))
    assert client.get(LIST_URL).status_code == 403
    assert client.get(detail_url(acme)).status_code == 403


# --- a customer's organisation -------------------------------------------------------------


def customer_form(customer, **changes) -> dict:
    data = {
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "company": customer.company,
        "organisation": customer.organisation_id or "",
        "language": customer.language,
        "active_since": customer.active_since.isoformat(),
        "churned_at": "",
    }
    if customer.is_organisation_admin:
        data["is_organisation_admin"] = "on"
    return {**data, **changes}


def response_rows(client, customer) -> list[tuple]:
    page = client.get(reverse("cases:customer_detail", args=[customer.pk]))
    return page.context["changes"][0]["rows"]


def test_an_agent_puts_a_customer_in_an_organisation_and_it_shows(client, ana, customer, acme):
    client.force_login(ana)
    edit = reverse("cases:customer_edit", args=[customer.pk])
    assert client.post(edit, customer_form(customer, organisation=acme.pk)).status_code == 302
    customer.refresh_from_db()
    assert customer.organisation == acme
    page = client.get(reverse("cases:customer_detail", args=[customer.pk])).content.decode()
    assert detail_url(acme) in page and "Acme Ltda." in page
    assert [row[1:] for row in response_rows(client, customer)] == [(None, "Acme Ltda.")]
    listed = client.get(reverse("cases:customer_list")).content.decode()
    assert detail_url(acme) in listed


def test_an_agent_cannot_make_a_contact_see_the_organisations_cases(client, ana, customer, acme):
    services.update_customer(customer=customer, by=None, organisation=acme)
    client.force_login(ana)
    edit = reverse("cases:customer_edit", args=[customer.pk])
    form = client.get(edit).context["form"]
    assert form.fields["is_organisation_admin"].disabled
    client.post(edit, customer_form(customer, is_organisation_admin="on"))
    customer.refresh_from_db()
    assert not customer.is_organisation_admin


def test_a_manager_makes_a_contact_see_the_organisations_cases(client, marta, customer, acme):
    client.force_login(marta)
    edit = reverse("cases:customer_edit", args=[customer.pk])
    response = client.post(
        edit, customer_form(customer, organisation=acme.pk, is_organisation_admin="on")
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.is_organisation_admin and customer.organisation == acme
    change = customer.audit.first()
    assert change.changes["is_organisation_admin"] == ["False", "True"]
    page = client.get(reverse("cases:customer_detail", args=[customer.pk])).content.decode()
    assert "no → yes" in page


def test_seeing_the_cases_without_an_organisation_is_refused_on_the_form(client, marta, customer):
    client.force_login(marta)
    edit = reverse("cases:customer_edit", args=[customer.pk])
    response = client.post(edit, customer_form(customer, is_organisation_admin="on"))
    assert response.status_code == 400
    assert "Only a contact of an organisation" in response.content.decode()


def test_the_web_form_the_new_ticket_form_and_the_api_join_by_domain(client, acme, ana):
    client.force_login(ana)
    client.post(
        reverse("cases:customer_create"), {"name": "Web", "email": "web@acme.co", "language": "es"}
    )
    client.post(
        reverse("cases:ticket_create"),
        {
            "email": "phone@acme.co",
            "name": "Teléfono",
            "subject": "No imprime",
            "description": "Nada sale",
            "channel": "phone",
            "priority": "normal",
        },
    )
    api = token_client(ana)
    created = api.post(url("customer-list"), {"email": "api@acme.co"}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["organisation"] == {"id": acme.pk, "name": "Acme Ltda."}
    joined = Customer.objects.filter(organisation=acme).values_list("email", flat=True)
    assert sorted(joined) == ["api@acme.co", "phone@acme.co", "web@acme.co"]


def test_the_customer_portals_form_joins_by_domain(client, acme):
    response = client.post(reverse("portal:new_case"), case_form(email="eva@acme.co"))
    assert response.status_code == 302
    assert Customer.objects.get(email="eva@acme.co").organisation == acme
