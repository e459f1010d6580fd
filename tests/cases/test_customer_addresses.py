"""A customer's other addresses (cases/services/customers.py): added and removed under the
edit policy and recorded; an address is one customer's only, primary or other; mail from any
of them finds the customer — a new case is theirs, and a reply from another of their
addresses threads into their ticket — and so does every other way of finding a customer."""

import pytest
from django.urls import reverse

from cases import services
from cases.errors import PermissionDenied, ValidationError
from cases.models import CustomerAddress, CustomerChange, Reply, Ticket
from cases.selectors import customers_with_email
from cases.services.customers import add_customer_address, remove_customer_address
from cases.services.inbound import ingest_email
from tests.cases.test_inbound_email import mail
from tests.factories import CustomerFactory, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def work(customer, marta):
    """Lucía's work address."""
    return add_customer_address(customer=customer, by=marta, email="Lucia.Torres@Acme.co")


def test_another_address_is_added_and_recorded(work, customer, marta):
    assert work.email == "Lucia.Torres@Acme.co" and work.customer == customer
    change = CustomerChange.objects.get(customer=customer)
    assert change.by == marta
    assert change.changes == {"addresses": [None, "Lucia.Torres@Acme.co"]}


def test_removing_an_address_is_recorded(work, customer, marta):
    add_customer_address(customer=customer, by=marta, email="lucia@casa.co")
    remove_customer_address(customer=customer, by=marta, address_id=work.pk)
    assert list(customer.addresses.values_list("email", flat=True)) == ["lucia@casa.co"]
    latest = CustomerChange.objects.filter(customer=customer).first()
    assert latest.changes == {"addresses": ["Lucia.Torres@Acme.co, lucia@casa.co", "lucia@casa.co"]}


@pytest.mark.parametrize("taken", ["LUCIA@example.com", "lucia.torres@acme.co"])
def test_an_address_the_customer_already_has_is_refused(work, customer, marta, taken):
    with pytest.raises(ValidationError) as refused:
        add_customer_address(customer=customer, by=marta, email=taken)
    assert "already one of Lucía Torres's addresses" in refused.value.message
    assert customer.addresses.count() == 1


@pytest.mark.parametrize("taken", ["Pedro@example.com", "pedro@trabajo.co"])
def test_another_customers_address_is_refused_naming_them(customer, marta, taken):
    pedro = CustomerFactory(name="Pedro Gil", email="pedro@example.com")
    add_customer_address(customer=pedro, by=marta, email="pedro@trabajo.co")
    with pytest.raises(ValidationError) as refused:
        add_customer_address(customer=customer, by=marta, email=taken)
    assert refused.value.field == "email"
    assert "another customer, Pedro Gil" in refused.value.message
    assert not customer.addresses.exists()


def test_a_primary_address_that_is_another_customers_other_address_is_refused(work, marta):
    pedro = CustomerFactory(email="pedro@example.com")
    with pytest.raises(ValidationError):
        services.update_customer(customer=pedro, by=marta, email="LUCIA.TORRES@acme.co")
    pedro.refresh_from_db()
    assert pedro.email == "pedro@example.com"


def test_a_new_customer_form_refuses_another_customers_other_address(work, client, ana):
    client.force_login(ana)
    response = client.post(
        reverse("cases:customer_create"),
        {"name": "Otra", "email": "lucia.torres@acme.co", "language": "es"},
    )
    assert response.status_code == 400
    assert "A customer with this e-mail already exists." in response.content.decode()


def test_an_address_that_is_not_one_is_refused(customer, marta):
    with pytest.raises(ValidationError):
        add_customer_address(customer=customer, by=marta, email="not an address")
    assert not CustomerAddress.objects.exists() and not CustomerChange.objects.exists()


def test_an_agent_of_another_team_cannot_add_or_remove(work, customer, ana, carla, team_n1):
    make_ticket(by=ana, customer=customer, team=team_n1)
    with pytest.raises(PermissionDenied):
        add_customer_address(customer=customer, by=carla, email="otra@acme.co")
    with pytest.raises(PermissionDenied):
        remove_customer_address(customer=customer, by=carla, address_id=work.pk)
    assert list(customer.addresses.values_list("email", flat=True)) == ["Lucia.Torres@Acme.co"]
    add_customer_address(customer=customer, by=ana, email="otra@acme.co")  # her team's


def test_an_address_of_another_customer_cannot_be_removed_through_this_one(work, marta):
    pedro = CustomerFactory()
    with pytest.raises(ValidationError):
        remove_customer_address(customer=pedro, by=marta, address_id=work.pk)
    assert CustomerAddress.objects.filter(pk=work.pk).exists()


def test_making_another_address_the_primary_one_takes_it_off_the_others(work, customer, marta):
    services.update_customer(customer=customer, by=marta, email="lucia.torres@acme.co")
    customer.refresh_from_db()
    assert customer.email == "lucia.torres@acme.co" and not customer.addresses.exists()
    change = CustomerChange.objects.filter(customer=customer).first()
    assert change.changes == {
        "email": ["lucia@example.com", "lucia.torres@acme.co"],
        "addresses": ["Lucia.Torres@Acme.co", None],
    }


def test_every_address_finds_the_customer_whatever_its_case(work, customer):
    for address in ("lucia@example.com", "LUCIA.torres@acme.CO", " lucia.torres@acme.co "):
        assert list(customers_with_email(address)) == [customer]
    assert not customers_with_email("").exists()
    assert services.find_or_create_customer(email="lucia.torres@acme.co") == customer


def test_finding_by_email_reads_no_table_whole(work, customer, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        assert customers_with_email("lucia.torres@acme.co").get() == customer


def test_mail_from_another_address_opens_the_case_for_the_customer(work, customer):
    result = ingest_email(
        mail(
            {
                "From": "Lucía Torres <lucia.torres@acme.co>",
                "To": "soporte@pulso.example",
                "Subject": "La impresora de la oficina",
                "Message-ID": "<work-1@acme.co>",
                "Date": "Mon, 3 Mar 2025 09:00:00 -0500",
            }
        )
    )
    assert result.outcome == "created"
    assert result.ticket.customer == customer
    assert customers_with_email("lucia.torres@acme.co").count() == 1  # nobody new


def test_a_reply_from_another_of_the_customers_addresses_threads_into_their_ticket(work, customer):
    first = ingest_email(
        mail(
            {
                "From": "Lucía Torres <lucia@example.com>",
                "Subject": "Impresora no imprime",
                "Message-ID": "<home-1@example.com>",
            }
        )
    )
    reply = ingest_email(
        mail(
            {
                "From": "Lucía Torres <lucia.torres@acme.co>",
                "Subject": "Re: Impresora no imprime",
                "Message-ID": "<work-2@acme.co>",
                "In-Reply-To": "<home-1@example.com>",
                "References": "<home-1@example.com>",
            },
            "Les escribo desde la oficina: sigue igual.\r\n",
        )
    )
    assert reply.outcome == "threaded" and reply.ticket == first.ticket
    assert Ticket.objects.count() == 1
    assert (
        Reply.objects.get(ticket=first.ticket).body == "Les escribo desde la oficina: sigue igual."
    )


def test_a_reply_from_someone_elses_address_does_not_thread(customer):
    first = ingest_email(
        mail({"From": "lucia@example.com", "Subject": "Hola", "Message-ID": "<h-1@example.com>"})
    )
    other = ingest_email(
        mail(
            {
                "From": "intruso@example.org",
                "Subject": "Re: Hola",
                "Message-ID": "<i-1@example.org>",
                "In-Reply-To": "<h-1@example.com>",
            }
        )
    )
    assert other.ticket != first.ticket and other.ticket.customer != customer
