"""An agent registers a phone case for a known customer in headless Chromium: types part of
her name, sees her open case, picks her with the keyboard and registers the case for her —
no second customer is created."""

import pytest

from cases.models import Customer, Ticket
from tests.e2e.test_journeys import log_in
from tests.factories import CustomerFactory, make_ticket

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_agent_finds_the_customer_by_part_of_her_name_and_picks_her(
    page, ana, team_n1, customer
):
    CustomerFactory(name="Lucas Moreno", email="lucas@example.com")
    open_case = make_ticket(by=ana, team=team_n1, customer=customer, subject="Factura duplicada")
    log_in(page, "ana")
    page.goto("/tickets/new/")
    search = page.locator("#customer-search")
    search.click()
    search.type("torr")  # part of "Lucía Torres"
    option = page.locator(".customer-option", has_text="Lucía Torres")
    option.wait_for()
    assert page.locator(".customer-option").count() == 1
    assert open_case.reference in page.locator("#customer-matches").inner_text()

    search.press("Enter")  # searches; never sends the form half filled
    assert page.url.endswith("/tickets/new/")
    search.press("ArrowDown")
    assert option.evaluate("el => el === document.activeElement")
    page.keyboard.press("Enter")
    chosen = page.locator(".chosen-customer")
    chosen.wait_for()
    assert "Lucía Torres" in chosen.inner_text() and "Factura duplicada" in chosen.inner_text()
    assert page.locator("input[name=customer]").input_value() == str(customer.pk)

    page.fill("#id_subject", "Cobro doble otra vez")
    page.fill("#id_description", "Llamó de nuevo por el cobro.")
    page.click("button[type=submit]")
    page.get_by_text("registered.").wait_for()
    ticket = Ticket.objects.get(subject="Cobro doble otra vez")
    assert ticket.customer == customer
    assert Customer.objects.count() == 2
