"""The ticket search of the queue and the API (`selectors.ticket_search`): a subject, a
description, a customer's e-mail or a reference, in any case; a term matching many customers
finds their tickets all the same; on PostgreSQL trigram indexes serve it."""

import pytest
from django.db import connection

from cases.models import Ticket
from cases.selectors import ticket_search
from tests.factories import CustomerFactory, make_ticket


@pytest.fixture
def tickets(ana, team_n1):
    lucia = CustomerFactory(name="Lucía", email="lucia.torres@example.com")
    otto = CustomerFactory(name="Otto", email="otto@weber.example")
    return {
        "printer": make_ticket(by=ana, team=team_n1, customer=otto, subject="Printer jam"),
        "invoice": make_ticket(
            by=ana,
            team=team_n1,
            customer=otto,
            subject="Question",
            description="Charged twice for 100% of March_2026.",
        ),
        "lucia": make_ticket(by=ana, team=team_n1, customer=lucia, subject="Login"),
    }


def found(term: str) -> set[int]:
    return set(Ticket.objects.filter(ticket_search(term)).values_list("pk", flat=True))


def ids(tickets, *names) -> set[int]:
    return {tickets[name].pk for name in names}


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("PRINTER", ["printer"]),
        ("charged TWICE", ["invoice"]),
        ("LUCIA.TORRES@", ["lucia"]),
        ("weber.example", ["printer", "invoice"]),
        ("nothing like this", []),
    ],
)
def test_a_search_looks_in_subject_description_and_customer_email(term, expected, tickets):
    assert found(term) == ids(tickets, *expected)


def test_a_reference_finds_its_ticket(tickets):
    ticket = tickets["lucia"]
    assert ticket.pk in found(ticket.reference)
    assert ticket.pk in found(ticket.reference.lower())


def test_wildcards_in_a_search_are_plain_characters(tickets):
    assert found("100%") == ids(tickets, "invoice")
    assert found("h_2026") == ids(tickets, "invoice")
    assert found("%") == ids(tickets, "invoice")


def test_a_term_matching_many_customers_finds_their_tickets_all_the_same(tickets, monkeypatch):
    """Beyond SEARCH_CUSTOMER_IDS matching customers the customer part is a subquery
    instead of a list of ids: the same tickets come back."""
    as_ids = found("example")
    monkeypatch.setattr("cases.selectors.SEARCH_CUSTOMER_IDS", 1)
    assert found("example") == as_ids == ids(tickets, "printer", "invoice", "lucia")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's trigram indexes")
def test_the_searches_have_their_trigram_indexes_on_postgresql(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE '%trgm'")
        indexes = dict(cursor.fetchall())
    for name, column in [
        ("ticket_subject_trgm", "subject"),
        ("ticket_description_trgm", "description"),
        ("customer_email_trgm", "email"),
        ("customer_name_trgm", "name"),
        ("customer_company_trgm", "company"),
        ("customer_phone_trgm", "phone"),
    ]:
        definition = indexes[name].replace("(", "").replace(")", "").replace("::text", "")
        assert "USING gin" in definition and f"upper{column} gin_trgm_ops" in definition, name
