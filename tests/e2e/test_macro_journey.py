"""An agent applies a macro in headless Chromium: finds it with the keyboard, sees the
customer's name filled in and what else it will do, edits the text and sends it."""

import re

import pytest

from cases import services
from cases.models import MacroStatus, Priority, Reply, Status, Ticket
from tests.e2e.test_journeys import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_agent_picks_a_macro_edits_it_and_sends_it(page, ana, marta, ticket):
    services.save_macro(
        by=marta,
        shared=True,
        title="Envío retrasado",
        body_es="Hola {{ customer.first_name }}, tu pedido {{ ticket.reference }} sale mañana.",
        set_priority=Priority.HIGH,
        add_tags="envío-retrasado",
        set_status=MacroStatus.PENDING,
    )
    log_in(page, "ana")
    page.goto(f"/tickets/{ticket.pk}/")
    page.keyboard.press("m")
    search = page.locator("#macro-search")
    assert search.evaluate("el => el === document.activeElement")
    search.type("envío")
    page.locator(".macro-option", has_text="Envío retrasado").click()

    preview = page.locator(".macro-preview")
    preview.wait_for()
    assert f"Hola Lucía, tu pedido {ticket.reference} sale mañana." in preview.inner_text()
    assert "set the ticket pending" in preview.inner_text()
    body = page.locator("form[data-action=reply] textarea[name=body]")
    assert body.input_value() == f"Hola Lucía, tu pedido {ticket.reference} sale mañana."
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW  # nothing changed yet

    body.fill(f"Hola Lucía, tu pedido {ticket.reference} sale mañana temprano.")
    with page.expect_response(lambda r: r.request.method == "POST" and "/reply/" in r.url):
        page.locator("form[data-action=reply] button[type=submit]").click()
    page.get_by_text("Message added.").wait_for()

    after = Ticket.objects.get(pk=ticket.pk)
    assert after.status == Status.PENDING and after.priority == Priority.HIGH
    assert list(after.tags.values_list("name", flat=True)) == ["envío-retrasado"]
    assert Reply.objects.get(ticket=ticket).body.endswith("sale mañana temprano.")
    assert re.search(rf"/tickets/{ticket.pk}/$", page.url)
