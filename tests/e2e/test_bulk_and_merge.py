"""In headless Chromium: an agent ticks twenty tickets and assigns them in one go, and merges
a duplicate into the ticket that carries on."""

import pytest

from cases.models import Reply, Status, Ticket
from tests.e2e.test_journeys import log_in
from tests.factories import make_ticket

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_agent_assigns_twenty_tickets_to_themselves_in_bulk(page, ana, team_n1, customer):
    tickets = [
        make_ticket(by=ana, team=team_n1, customer=customer, subject=f"Pedido {n}")
        for n in range(20)
    ]
    log_in(page, "ana")
    page.goto("/tickets/?queue=all&sort=created")
    submit = page.locator(".bulk-submit")
    assert submit.is_disabled()  # nothing ticked yet
    assert page.locator("[data-bulk-field=assignee]").is_hidden()  # no action chosen yet

    page.locator("input[data-bulk-all]").check()
    assert "20" in page.locator("[data-bulk-count]").inner_text()
    page.locator("#id_bulk_action").select_option("assign")
    assert page.locator("[data-bulk-field=assignee]").is_visible()
    assert page.locator("[data-bulk-field=resolution]").is_hidden()
    page.locator("#id_bulk_assignee").select_option(str(ana.pk))
    submit.click()

    page.locator(".bulk-results").wait_for()
    assert "20 tickets done" in page.locator(".bulk-summary").inner_text()
    assert page.locator("tr.bulk-refused").count() == 0
    assert Ticket.objects.filter(pk__in=[t.pk for t in tickets], assignee=ana).count() == 20


def test_an_agent_merges_a_duplicate_from_its_page(page, ana, team_n1, customer):
    original = make_ticket(by=ana, team=team_n1, customer=customer, subject="Sin internet")
    duplicate = make_ticket(
        by=ana,
        team=team_n1,
        customer=customer,
        subject="Sigo sin internet",
        description="Desde ayer no tengo conexión.",
    )
    log_in(page, "ana")
    page.goto(f"/tickets/{duplicate.pk}/")
    page.locator(".merge-details summary").click()
    page.locator("form[data-action=merge] input[name=into]").fill(original.reference)
    page.locator("form[data-action=merge] button[type=submit]").click()

    page.wait_for_url(f"**/tickets/{original.pk}/")
    page.get_by_text("Ticket merged: the conversation continues here.").wait_for()
    assert "Desde ayer no tengo conexión." in page.locator(".timeline, body").first.inner_text()
    assert Ticket.objects.get(pk=duplicate.pk).status == Status.MERGED
    assert Reply.objects.filter(ticket=original, body__contains="Sigo sin internet").exists()

    page.goto(f"/tickets/{duplicate.pk}/")
    assert original.reference in page.locator(".merged-banner").inner_text()
