"""Insights in headless Chromium (docs/insights.md): on a desk whose history carries its
categories' words, an agent opens a new e-mail ticket, reads the suggested triage with its
confidence and the similar solved cases, accepts the category, and the ticket and its
timeline say so — no CSP violation, no console or script error on the way."""

import re

import pytest

from cases.models import Channel, EventKind, TicketEvent
from insights.models import AppliedSuggestion, ModelKind, SuggestionOutcome
from insights.services.training import train_model
from tests.e2e.test_csp import Visitor
from tests.factories import AgentFactory, CustomerFactory, make_ticket
from tests.insights.histories import planted_desk

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "pulso-test"  # the factories' password


def log_in(visitor: Visitor, username: str) -> None:
    visitor.visit("/accounts/login/")
    visitor.page.fill("#id_username", username)
    visitor.page.fill("#id_password", PASSWORD)
    visitor.page.click("button[type=submit]")
    visitor.page.wait_for_url(re.compile(r".*/tickets/.*"))
    visitor.page.wait_for_load_state("networkidle")
    visitor.settle()


def test_an_agent_accepts_the_suggested_category_of_a_new_ticket(browser, live_server, settings):
    settings.DEBUG = False
    settings.INSIGHTS_MODEL_DIR = settings.VAR_DIR / "e2e-models"
    desk = planted_desk(500, noise=0.05)
    train_model(kind=ModelKind.TRIAGE, force=True)
    train_model(kind=ModelKind.SIMILAR, force=True)
    billing = desk.teams["Billing"]
    AgentFactory(username="luis", first_name="Luis", teams=[billing])
    ticket = make_ticket(
        customer=CustomerFactory(language="es"),
        team=billing,
        channel=Channel.EMAIL,
        subject="Factura con el IVA mal",
        description="Hola, la factura rectificativa tiene el IVA mal calculado, gracias.",
    )

    agent = Visitor(browser, live_server.url)
    log_in(agent, "luis")
    agent.visit(f"/tickets/{ticket.pk}/", wait_for=".triage-suggestion[data-field='category']")
    category = agent.page.locator(".triage-suggestion[data-field='category']")
    assert category.locator(".triage-value").inner_text() == "Billing"
    assert re.fullmatch(r"\d{1,3} % sure", category.locator(".triage-confidence").inner_text())
    agent.page.locator(".similar-case").first.wait_for()
    assert 1 <= agent.page.locator(".similar-case").count() <= 5

    category.get_by_role("button", name="Accept").click()
    agent.page.locator(".classified-suggested").first.wait_for()
    agent.settle()
    ticket.refresh_from_db()
    assert ticket.category == desk.categories["Billing"]
    applied = AppliedSuggestion.objects.get(ticket=ticket)
    assert applied.outcome == SuggestionOutcome.ACCEPTED and applied.by.username == "luis"
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.CLASSIFIED)
    assert event.data["suggested"]["automatic"] is False
    assert "suggested" in agent.page.locator(".classified-suggested").first.inner_text()
    # Accepted: the suggestion now reads as already set.
    agent.page.locator(".triage-suggestion[data-field='category'] .triage-current").wait_for()
    problems = agent.close()
    assert not problems, problems
