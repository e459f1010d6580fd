"""Keyboard shortcuts (static/js/shortcuts.js) in headless Chromium: an agent works the
queue and a ticket without the mouse, in English and in Spanish."""

import re

import pytest

from cases.models import Ticket
from tests.e2e.test_journeys import log_in
from tests.factories import CustomerFactory, make_ticket

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def three_tickets(ana, team_n1):
    customer = CustomerFactory(email="lucia@example.com", name="Lucía Gómez")
    return [
        make_ticket(by=ana, customer=customer, subject=f"Consulta número {n}", team=team_n1)
        for n in range(3)
    ]


def ticket_pk(page) -> int:
    return int(page.locator("#ticket-panel").get_attribute("data-ticket"))


def test_an_agent_walks_the_queue_and_works_a_ticket_from_the_keyboard(page, three_tickets):
    log_in(page, "ana")
    page.goto("/tickets/?queue=teams")
    newest_first = [
        int(pk)
        for pk in page.locator(".queue-table tr[data-ticket]").evaluate_all(
            "rows => rows.map(r => r.dataset.ticket)"
        )
    ]
    assert sorted(newest_first) == sorted(t.pk for t in three_tickets)

    page.keyboard.press("j")
    page.keyboard.press("j")
    selected = page.locator(".queue-table tr.shortcut-selected")
    assert int(selected.get_attribute("data-ticket")) == newest_first[1]
    page.keyboard.press("k")
    assert int(selected.get_attribute("data-ticket")) == newest_first[0]
    # x ticks the selected ticket for a bulk action (and again unticks it).
    page.keyboard.press("x")
    assert selected.locator("input[data-bulk-row]").is_checked()
    assert "1" in page.locator("[data-bulk-count]").inner_text()
    page.keyboard.press("x")
    assert not selected.locator("input[data-bulk-row]").is_checked()
    page.keyboard.press("o")
    page.wait_for_url(re.compile(rf".*/tickets/{newest_first[0]}/$"))

    # j / k go through the queue the agent came from, in its order.
    page.keyboard.press("j")
    page.wait_for_url(re.compile(rf".*/tickets/{newest_first[1]}/$"))
    assert ticket_pk(page) == newest_first[1]
    page.keyboard.press("k")
    page.wait_for_url(re.compile(rf".*/tickets/{newest_first[0]}/$"))

    # a: assign to me, through the same form (and service) as the button.
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.keyboard.press("a")
    page.locator("form[data-action=assign-me]").wait_for(state="detached")
    ticket = Ticket.objects.get(pk=newest_first[0])
    assert ticket.assignee is not None and ticket.assignee.username == "ana"

    # n: an internal note, typed straight away; letters typed there are text, not shortcuts.
    page.keyboard.press("n")
    body = page.locator("form[data-action=reply] textarea[name=body]")
    assert body.evaluate("el => el === document.activeElement")
    assert page.locator("form[data-action=reply] input[name=kind][value=note]").is_checked()
    page.keyboard.type("Revisar con facturación; j k a no son atajos aquí")
    assert re.search(rf"/tickets/{newest_first[0]}/$", page.url)
    page.keyboard.press("Escape")
    assert not body.evaluate("el => el === document.activeElement")

    # r: the public reply is chosen instead.
    page.keyboard.press("r")
    assert page.locator("form[data-action=reply] input[name=kind][value=public]").is_checked()
    assert body.input_value() == "Revisar con facturación; j k a no son atajos aquí"

    # u: back to the queue, as it was.
    page.keyboard.press("Escape")
    page.keyboard.press("u")
    page.wait_for_url(re.compile(r".*/tickets/\?queue=teams$"))


def test_question_mark_lists_the_shortcuts_in_the_agents_language(page, three_tickets):
    log_in(page, "ana")
    page.goto("/tickets/")
    dialog = page.locator("#shortcut-help")
    assert not dialog.is_visible()
    page.keyboard.press("?")
    dialog.wait_for(state="visible")
    assert "Write an internal note" in dialog.inner_text()
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")

    # "/" puts the cursor in the queue's search.
    page.keyboard.press("/")
    assert page.locator(".queue-filters input[name=q]").evaluate(
        "el => el === document.activeElement"
    )

    with page.expect_navigation():
        page.select_option("#language-select", "es")
    page.locator("[data-shortcut-help]").click()
    dialog.wait_for(state="visible")
    assert "Escribe una nota interna" in dialog.inner_text()
