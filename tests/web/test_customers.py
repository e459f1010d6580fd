"""Customer pages: list with search and ticket counts, profile with case history, create
and edit."""

import datetime

import pytest
from django.urls import reverse

from cases.models import Customer, Status
from cases.queues import customers_with_counts
from tests.factories import CustomerFactory, make_ticket
from tests.web.test_workspace_support import move_to

LIST_URL = reverse("cases:customer_list")
CREATE_URL = reverse("cases:customer_create")


def detail_url(customer):
    return reverse("cases:customer_detail", args=[customer.pk])


def edit_url(customer):
    return reverse("cases:customer_edit", args=[customer.pk])


@pytest.fixture
def as_ana(client, ana):
    client.force_login(ana)
    return client


def listed(response) -> list[str]:
    return [c.name for c in response.context["page_obj"]]


def test_the_list_shows_each_customer_with_their_ticket_counts(as_ana, ana, customer, team_n1):
    make_ticket(by=ana, customer=customer, team=team_n1)
    move_to(make_ticket(by=ana, customer=customer, team=team_n1), Status.RESOLVED, by=ana)
    CustomerFactory(name="Zoe Quiet")
    response = as_ana.get(LIST_URL)
    rows = {c.name: (c.ticket_count, c.active_count) for c in response.context["page_obj"]}
    assert rows == {"Lucía Torres": (2, 1), "Zoe Quiet": (0, 0)}
    assert "Lucía Torres" in response.content.decode()


def test_the_counts_include_only_tickets_the_user_may_see(carla, ana, customer, team_n1, client):
    make_ticket(by=ana, customer=customer, team=team_n1)
    client.force_login(carla)
    response = client.get(LIST_URL)
    assert [(c.name, c.ticket_count) for c in response.context["page_obj"]] == [("Lucía Torres", 0)]


@pytest.mark.parametrize("who", ["ana", "marta"])
def test_the_list_with_counts_is_one_query(
    who, request, customer, team_n1, ana, django_assert_num_queries
):
    make_ticket(by=ana, customer=customer, team=team_n1)
    CustomerFactory.create_batch(3)
    user = request.getfixturevalue(who)
    user.role, user.team_ids  # noqa: B018 - read once per request, before the list
    with django_assert_num_queries(1):
        rows = list(customers_with_counts(user))
    assert len(rows) == 4


@pytest.mark.parametrize("term", ["torres", "LUCIA@EXAMPLE", "acme", "555 0101"])
def test_search_looks_in_name_email_company_and_phone(term, as_ana, customer):
    customer.company, customer.phone = "ACME Corp", "+1 555 0101"
    customer.save()
    CustomerFactory(name="Other Person", company="Globex", phone="+1 999")
    response = as_ana.get(LIST_URL, {"q": term})
    assert listed(response) == ["Lucía Torres"]


def test_a_search_without_matches_says_so(as_ana, customer):
    html = as_ana.get(LIST_URL, {"q": "nobody-like-this"}).content.decode()
    assert "No customer matches this search." in html


def test_the_list_is_paginated_and_keeps_the_search(as_ana, db):
    for n in range(27):
        CustomerFactory(name=f"Garcia {n:02d}")
    # Faker's companies are surnames ("Garcia, Smith and Lee"): Smith's must not match.
    CustomerFactory(name="Smith", company="Smith Ltd")
    first = as_ana.get(LIST_URL, {"q": "garcia"})
    assert len(listed(first)) == 25
    assert 'href="?q=garcia&amp;page=2"' in first.content.decode()
    assert len(listed(as_ana.get(LIST_URL, {"q": "garcia", "page": 2}))) == 2


def test_the_profile_shows_details_and_the_visible_case_history(
    client, carla, ana, customer, team_n1, team_n2
):
    mine = make_ticket(by=carla, customer=customer, team=team_n2, subject="VPN drops")
    hidden = make_ticket(by=ana, customer=customer, team=team_n1, subject="Printer jam")
    client.force_login(carla)
    html = client.get(detail_url(customer)).content.decode()
    assert "lucia@example.com" in html and "Spanish" in html
    assert mine.reference in html and "VPN drops" in html
    assert hidden.reference not in html


def test_a_manager_sees_the_whole_history(client, marta, ana, customer, team_n1):
    tickets = [make_ticket(by=ana, customer=customer, team=team_n1) for _ in range(3)]
    client.force_login(marta)
    response = client.get(detail_url(customer))
    assert [t.pk for t in response.context["tickets"]] == [t.pk for t in reversed(tickets)]


def test_an_unknown_customer_is_not_found(as_ana, db):
    assert as_ana.get(reverse("cases:customer_detail", args=[424242])).status_code == 404


def test_create_a_customer(as_ana, db):
    response = as_ana.post(
        CREATE_URL,
        {
            "name": "Ana Mora",
            "email": "ana@mora.example",
            "phone": "123",
            "company": "Mora",
            "language": "en",
        },
    )
    customer = Customer.objects.get()
    assert response.status_code == 302
    assert response.url == detail_url(customer)
    assert (customer.name, customer.email, customer.language) == (
        "Ana Mora",
        "ana@mora.example",
        "en",
    )


def test_creating_a_customer_with_a_taken_email_is_refused_on_the_email(as_ana, customer):
    response = as_ana.post(
        CREATE_URL, {"name": "Copy", "email": "LUCIA@example.com", "language": "es"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["email"] == [
        "A customer with this e-mail already exists."
    ]
    assert 'value="Copy"' in response.content.decode()
    assert Customer.objects.count() == 1


def test_creating_a_customer_needs_a_name(as_ana, db):
    response = as_ana.post(CREATE_URL, {"name": "", "email": "x@y.example", "language": "es"})
    assert response.status_code == 400
    assert not Customer.objects.exists()


def test_edit_a_customer(as_ana, customer):
    response = as_ana.post(
        edit_url(customer),
        {
            "name": "Lucía Torres Gil",
            "email": "lucia@example.com",
            "phone": "777",
            "company": "",
            "language": "en",
            "active_since": "2024-01-15",
            "churned_at": "",
        },
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.phone, customer.language, customer.active_since) == (
        "Lucía Torres Gil",
        "777",
        "en",
        datetime.date(2024, 1, 15),
    )


def test_the_edit_form_starts_from_the_current_details(as_ana, customer):
    html = as_ana.get(edit_url(customer)).content.decode()
    assert 'value="Lucía Torres"' in html
    assert 'value="lucia@example.com"' in html


def test_editing_to_a_taken_email_is_refused_on_the_email(as_ana, customer):
    other = CustomerFactory(name="Other", email="other@example.com")
    response = as_ana.post(
        edit_url(other),
        {
            "name": "Other",
            "email": "Lucia@Example.com",
            "language": "es",
            "active_since": "2024-01-01",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["email"] == [
        "A customer with this e-mail already exists."
    ]
    other.refresh_from_db()
    assert other.email == "other@example.com"


def test_churn_before_the_start_is_refused_on_the_churn_date(as_ana, customer):
    response = as_ana.post(
        edit_url(customer),
        {
            "name": "Lucía Torres",
            "email": "lucia@example.com",
            "language": "es",
            "active_since": "2024-05-01",
            "churned_at": "2024-04-01",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["churned_at"]
    customer.refresh_from_db()
    assert customer.churned_at is None
