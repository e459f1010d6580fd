"""Two agents on one ticket in two browsers: each sees the other, and who is writing."""

import re

import pytest

from tests.e2e.test_journeys import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def second_page(browser, live_server):
    context = browser.new_context(locale="en-US", base_url=live_server.url)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_an_agent_sees_a_colleague_open_the_ticket_and_start_a_reply(
    page, second_page, ana, bruno, ticket
):
    log_in(page, "ana")
    page.goto(f"/tickets/{ticket.pk}/")
    log_in(second_page, "bruno")
    second_page.goto(f"/tickets/{ticket.pk}/")

    others = page.locator("#ticket-presence")
    # The next heartbeat (every 10 s) brings the colleague.
    others.get_by_text("Bruno Díaz is viewing this ticket").wait_for(timeout=25_000)
    second_page.locator("#ticket-presence").get_by_text(
        "Ana Pérez is viewing this ticket"
    ).wait_for(timeout=25_000)

    second_page.locator("form[data-action=reply] textarea[name=body]").fill(
        "Hola Lucía, ya estamos revisando"
    )
    others.get_by_text("Bruno Díaz is writing a reply").wait_for(timeout=25_000)
    assert re.search(rf"/tickets/{ticket.pk}/$", page.url)
