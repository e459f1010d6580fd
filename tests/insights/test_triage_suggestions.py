"""Triage suggestions on the ticket page and in the API: an aid an agent accepts (or the desk
applies on its own when an admin said so), changing the ticket only through cases' services
and saying so in its timeline."""

import re
from decimal import ROUND_FLOOR, Decimal

import pytest
from django.test import Client
from django.urls import reverse

from cases import services
from cases.errors import TransitionError
from cases.models import Channel, EventKind, Priority, Status, Ticket, TicketEvent
from insights.errors import InsightsError
from insights.models import AppliedSuggestion, AutoApplyRule, ModelKind, SuggestionOutcome
from insights.predict import suggest_for
from insights.services.suggestions import apply_suggestion
from insights.services.training import train_model
from insights.wording import sure_percent
from tests.api.helpers import bring_to, token_client
from tests.factories import AgentFactory, CustomerFactory
from tests.insights.histories import planted_desk

SPANISH_BILLING = {
    "subject": "Factura rectificativa",
    "description": "El IVA de la factura, urgente",
}


@pytest.fixture
def desk(db):
    desk = planted_desk(600, noise=0.05)
    train_model(kind=ModelKind.TRIAGE)
    return desk


@pytest.fixture
def sofia(desk):
    """An agent of the shipping team, where the new e-mail landed by mistake."""
    return AgentFactory(username="sofia", teams=[desk.teams["Shipping"]])


@pytest.fixture
def new_ticket(desk, sofia):
    """A Spanish e-mail about an invoice, filed under Shipping with normal priority."""
    return services.register_ticket(
        by=None,
        customer=CustomerFactory(language="es"),
        channel=Channel.EMAIL,
        category=desk.categories["Shipping"],
        team=desk.teams["Shipping"],
        **SPANISH_BILLING,
    )


def suggested(ticket):
    return {s.field: s for s in suggest_for(ticket)}


def state(ticket):
    """What a refused request must leave as it was."""
    fresh = Ticket.objects.get(pk=ticket.pk)
    return (
        fresh.version,
        fresh.category_id,
        fresh.team_id,
        fresh.priority,
        TicketEvent.objects.filter(ticket=ticket).count(),
        AppliedSuggestion.objects.count(),
    )


def panel_url(ticket):
    return reverse("insights:ticket_triage", args=[ticket.pk])


def accept_url(ticket):
    return reverse("insights:ticket_triage_accept", args=[ticket.pk])


def logged_in(user, **kwargs):
    client = Client(**kwargs)
    client.force_login(user)
    return client


# --- the panel ------------------------------------------------------------------------------


def test_the_panel_shows_each_suggestion_with_its_confidence(desk, sofia, new_ticket):
    found = suggested(new_ticket)
    assert found["category"].label == "Billing" and found["priority"].value == Priority.URGENT

    response = logged_in(sofia).get(panel_url(new_ticket))

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    html = response.content.decode()
    for field in ("category", "team", "priority"):
        row = re.search(rf'data-field="{field}" data-value="([^"]+)"', html)
        assert row and row.group(1) == found[field].value
        assert f"{sure_percent(found[field].confidence)} % sure" in html
    assert html.count('class="triage-accept"') == 3
    assert html.count('name="csrfmiddlewaretoken"') == 3
    assert f'name="version" value="{new_ticket.version}"' in html


def test_a_value_the_ticket_already_has_says_already_set(desk, sofia, new_ticket):
    services.classify_ticket(ticket=new_ticket, by=sofia, priority=Priority.URGENT)
    html = logged_in(sofia).get(panel_url(new_ticket)).content.decode()
    priority = html[html.index('data-field="priority"') :]
    priority = priority[: priority.index("</li>")]
    assert "already set" in priority and "triage-accept" not in priority
    assert html.count('class="triage-accept"') == 2


def test_the_ticket_page_loads_the_panel(desk, sofia, new_ticket):
    html = logged_in(sofia).get(reverse("cases:ticket_detail", args=[new_ticket.pk])).content
    assert f'hx-get="{panel_url(new_ticket)}"'.encode() in html


def test_an_empty_desk_says_how_much_history_suggestions_need(db, ana, ticket):
    record = train_model(kind=ModelKind.TRIAGE)
    assert record.quality["needed"] == 100

    response = logged_in(ana).get(panel_url(ticket))

    assert response.status_code == 200
    html = response.content.decode()
    sentence = (
        f"Suggestions start once 100 tickets have been classified "
        f"({record.quality['have']} so far)."
    )
    assert sentence in html
    assert "triage-accept" not in html


def test_before_any_training_the_panel_says_so(db, ana, ticket):
    html = logged_in(ana).get(panel_url(ticket)).content.decode()
    assert "Suggestions start after the first training on the desk" in html


def test_a_closed_ticket_gets_no_suggestions(desk, sofia, new_ticket):
    closed = bring_to(new_ticket, Status.CLOSED, by=sofia)
    html = logged_in(sofia).get(panel_url(closed)).content.decode()
    assert "This ticket can no longer be classified." in html
    assert "triage-accept" not in html and "triage-suggestion" not in html


# --- accepting on the page ------------------------------------------------------------------


def test_accepting_a_suggestion_classifies_the_ticket_and_says_it_was_suggested(
    desk, sofia, new_ticket
):
    category = suggested(new_ticket)["category"]
    client = logged_in(sofia)

    response = client.post(
        accept_url(new_ticket),
        {"field": "category", "value": category.value, "version": new_ticket.version},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("cases:ticket_detail", args=[new_ticket.pk])
    ticket = Ticket.objects.get(pk=new_ticket.pk)
    assert ticket.category == desk.categories["Billing"]
    assert ticket.team == desk.teams["Shipping"] and ticket.priority == Priority.NORMAL
    assert ticket.version == new_ticket.version + 1
    event = TicketEvent.objects.filter(ticket=ticket).latest("pk")
    assert event.kind == EventKind.CLASSIFIED and event.actor == sofia
    assert event.data["changes"] == {"category": ["Shipping", "Billing"]}
    assert event.data["suggested"] == {
        "field": "category",
        "confidence": category.confidence,
        "percent": sure_percent(category.confidence),
        "automatic": False,
        "model": category.model.pk,
    }
    applied = AppliedSuggestion.objects.get()
    assert (applied.ticket, applied.field, applied.value, applied.label) == (
        ticket,
        "category",
        category.value,
        "Billing",
    )
    assert applied.outcome == SuggestionOutcome.ACCEPTED and applied.by == sofia
    assert applied.confidence == category.confidence and applied.model == category.model
    # the page the agent lands on: the new category, the timeline, the message
    page = client.get(response["HX-Redirect"]).content.decode()
    assert f"suggested, {sure_percent(category.confidence)} % sure" in page
    assert "Suggestion accepted: Category is now Billing." in page


def test_accepting_a_team_that_is_not_the_agents_lands_on_the_queue(desk, sofia, new_ticket):
    team = suggested(new_ticket)["team"]
    response = logged_in(sofia).post(
        accept_url(new_ticket), {"field": "team", "value": team.value}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("cases:queue")
    assert Ticket.objects.get(pk=new_ticket.pk).team == desk.teams["Billing"]
    assert AppliedSuggestion.objects.get().by == sofia


def test_a_forged_value_is_refused_and_nothing_changes(desk, sofia, new_ticket):
    before = state(new_ticket)
    returns = str(desk.categories["Returns"].pk)

    response = logged_in(sofia).post(
        accept_url(new_ticket), {"field": "category", "value": returns}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 400
    assert "This is not what the model suggests now" in response.content.decode()
    assert state(new_ticket) == before


def test_an_agent_who_cannot_see_the_ticket_gets_404_and_nothing_changes(desk, new_ticket):
    outsider = AgentFactory(username="rita", teams=[desk.teams["Returns"]])
    category = suggested(new_ticket)["category"]
    before = state(new_ticket)
    client = logged_in(outsider)

    assert client.get(panel_url(new_ticket)).status_code == 404
    response = client.post(accept_url(new_ticket), {"field": "category", "value": category.value})

    assert response.status_code == 404
    assert state(new_ticket) == before


def test_a_customer_or_anonymous_caller_gets_no_panel(desk, new_ticket):
    assert Client().get(panel_url(new_ticket)).status_code == 302  # to the login page
    category = suggested(new_ticket)["category"]
    before = state(new_ticket)
    response = Client().post(accept_url(new_ticket), {"field": "category", "value": category.value})
    assert response.status_code == 302 and state(new_ticket) == before


def test_accepting_needs_the_csrf_token(desk, sofia, new_ticket):
    category = suggested(new_ticket)["category"]
    client = logged_in(sofia, enforce_csrf_checks=True)
    before = state(new_ticket)

    forged = client.post(accept_url(new_ticket), {"field": "category", "value": category.value})

    assert forged.status_code == 403
    assert state(new_ticket) == before
    html = client.get(panel_url(new_ticket)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    sent = client.post(
        accept_url(new_ticket),
        {"field": "category", "value": category.value, "csrfmiddlewaretoken": token},
    )
    assert sent.status_code == 302
    assert Ticket.objects.get(pk=new_ticket.pk).category == desk.categories["Billing"]


def test_a_closed_ticket_is_not_changed(desk, sofia, new_ticket):
    category = suggested(new_ticket)["category"]
    closed = bring_to(new_ticket, Status.CLOSED, by=sofia)
    before = state(closed)

    response = logged_in(sofia).post(
        accept_url(closed), {"field": "category", "value": category.value}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 409
    assert "This ticket can no longer be classified." in response.content.decode()
    assert state(closed) == before


def test_a_stale_page_is_refused(desk, sofia, new_ticket):
    category = suggested(new_ticket)["category"]
    seen = new_ticket.version
    services.add_reply(ticket=new_ticket, by=sofia, body="Lo miramos.", public=False)
    before = state(new_ticket)

    response = logged_in(sofia).post(
        accept_url(new_ticket),
        {"field": "category", "value": category.value, "version": seen},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 409
    assert "Someone else changed this ticket" in response.content.decode()
    assert state(new_ticket) == before


# --- the API --------------------------------------------------------------------------------


def api_url(name, ticket):
    return reverse(f"insights-api:{name}", args=[ticket.pk])


def test_api_lists_the_suggestions(desk, sofia, new_ticket):
    found = suggested(new_ticket)

    response = token_client(sofia).get(api_url("insights-triage", new_ticket))

    assert response.status_code == 200
    body = response.json()
    assert body["ticket"] == new_ticket.pk and body["version"] == new_ticket.version
    assert body["can_classify"] is True and body["message"] == ""
    by_field = {s["field"]: s for s in body["suggestions"]}
    assert set(by_field) == {"category", "team", "priority"}
    for field, suggestion in found.items():
        assert by_field[field]["value"] == suggestion.value
        assert by_field[field]["label"] == suggestion.label
        assert by_field[field]["confidence"] == suggestion.confidence
        assert by_field[field]["current"] is False
        assert by_field[field]["model_trained_at"] is not None


def test_api_says_why_there_are_no_suggestions(db, ana, ticket):
    train_model(kind=ModelKind.TRIAGE)
    body = token_client(ana).get(api_url("insights-triage", ticket)).json()
    assert body["suggestions"] == [] and body["can_classify"] is True
    assert body["message"].startswith("Suggestions start once 100 tickets have been classified")


def test_api_accept_applies_the_suggestion(desk, sofia, new_ticket):
    priority = suggested(new_ticket)["priority"]

    response = token_client(sofia).post(
        api_url("insights-triage-accept", new_ticket),
        {"field": "priority", "value": "urgent", "version": new_ticket.version},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["field"] == "priority" and body["value"] == "urgent"
    assert body["outcome"] == "accepted" and body["by"]["id"] == sofia.pk
    assert body["confidence"] == priority.confidence
    assert body["version"] == new_ticket.version + 1
    assert Ticket.objects.get(pk=new_ticket.pk).priority == Priority.URGENT
    event = TicketEvent.objects.filter(ticket=new_ticket).latest("pk")
    assert event.kind == EventKind.CLASSIFIED and event.data["suggested"]["automatic"] is False


def test_api_refuses_a_forged_value_with_400(desk, sofia, new_ticket):
    before = state(new_ticket)
    response = token_client(sofia).post(
        api_url("insights-triage-accept", new_ticket),
        {"field": "priority", "value": "low"},
        format="json",
    )
    assert response.status_code == 400
    assert "value" in response.json()
    assert state(new_ticket) == before


def test_api_hides_another_teams_ticket(desk, new_ticket):
    outsider = AgentFactory(username="rita", teams=[desk.teams["Returns"]])
    client = token_client(outsider)
    before = state(new_ticket)
    assert client.get(api_url("insights-triage", new_ticket)).status_code == 404
    response = client.post(
        api_url("insights-triage-accept", new_ticket),
        {"field": "priority", "value": "urgent"},
        format="json",
    )
    assert response.status_code == 404
    assert state(new_ticket) == before


def test_api_refuses_a_stale_version_and_a_closed_ticket_with_409(desk, sofia, new_ticket):
    client = token_client(sofia)
    seen = new_ticket.version
    services.add_reply(ticket=new_ticket, by=sofia, body="Lo miramos.", public=False)
    before = state(new_ticket)
    stale = client.post(
        api_url("insights-triage-accept", new_ticket),
        {"field": "priority", "value": "urgent", "version": seen},
        format="json",
    )
    assert stale.status_code == 409 and state(new_ticket) == before

    closed = bring_to(Ticket.objects.get(pk=new_ticket.pk), Status.CLOSED, by=sofia)
    before = state(closed)
    refused = client.post(
        api_url("insights-triage-accept", closed),
        {"field": "priority", "value": "urgent"},
        format="json",
    )
    assert refused.status_code == 409 and refused.json()["status"] == "closed"
    assert state(closed) == before
    listed = client.get(api_url("insights-triage", closed)).json()
    assert listed["can_classify"] is False and listed["suggestions"] == []


# --- the desk on its own --------------------------------------------------------------------


def test_an_automatic_application_is_recorded_as_automatic(desk, sofia, new_ticket):
    AutoApplyRule.objects.create(field="priority", enabled=True, threshold="0.50")
    priority = suggested(new_ticket)["priority"]

    applied = apply_suggestion(ticket=new_ticket, field="priority", value="urgent", by=None)

    assert applied.outcome == SuggestionOutcome.AUTOMATIC and applied.by is None
    assert Ticket.objects.get(pk=new_ticket.pk).priority == Priority.URGENT
    event = TicketEvent.objects.filter(ticket=new_ticket).latest("pk")
    assert event.kind == EventKind.CLASSIFIED and event.actor is None
    assert event.data["suggested"]["automatic"] is True
    assert event.data["changes"] == {"priority": ["normal", "urgent"]}
    page = logged_in(sofia).get(reverse("cases:ticket_detail", args=[new_ticket.pk]))
    assert (
        f"applied automatically, {sure_percent(priority.confidence)} % sure"
        in page.content.decode()
    )


def test_the_desk_applies_nothing_on_its_own_unless_an_admin_switched_it_on(desk, new_ticket):
    before = state(new_ticket)
    with pytest.raises(InsightsError, match="only when an agent accepts them"):
        apply_suggestion(ticket=new_ticket, field="priority", value="urgent", by=None)
    AutoApplyRule.objects.create(field="priority", enabled=False, threshold="0.50")
    with pytest.raises(InsightsError, match="only when an agent accepts them"):
        apply_suggestion(ticket=new_ticket, field="priority", value="urgent", by=None)
    assert state(new_ticket) == before


def test_the_desk_applies_nothing_the_model_is_less_sure_of_than_the_threshold(desk):
    """Billing and Shipping words together: the model is far from sure of the category."""
    mixed = services.register_ticket(
        by=None,
        customer=CustomerFactory(language="es"),
        channel=Channel.EMAIL,
        category=desk.categories["Shipping"],
        team=desk.teams["Shipping"],
        subject="Factura",
        description="El envío del paquete y la factura",
    )
    category = suggested(mixed)["category"]
    above = Decimal(str(category.confidence)).quantize(Decimal("0.01"), rounding=ROUND_FLOOR)
    above += Decimal("0.01")
    assert category.current is False and above <= Decimal("0.99"), category
    AutoApplyRule.objects.create(field="category", enabled=True, threshold=above)
    before = state(mixed)
    with pytest.raises(InsightsError, match="less sure than the auto-apply threshold"):
        apply_suggestion(ticket=mixed, field="category", value=category.value, by=None)
    assert state(mixed) == before


def test_accepting_a_value_the_ticket_already_has_is_refused(desk, sofia, new_ticket):
    services.classify_ticket(ticket=new_ticket, by=sofia, priority=Priority.URGENT)
    urgent = Ticket.objects.get(pk=new_ticket.pk)
    assert suggested(urgent)["priority"].current is True
    before = state(urgent)
    with pytest.raises(InsightsError, match="already has this value"):
        apply_suggestion(ticket=urgent, field="priority", value="urgent", by=sofia)
    assert state(urgent) == before


def test_the_service_refuses_a_closed_ticket(desk, sofia, new_ticket):
    closed = bring_to(new_ticket, Status.CLOSED, by=sofia)
    before = state(closed)
    with pytest.raises(TransitionError):
        apply_suggestion(ticket=closed, field="priority", value="urgent", by=sofia)
    assert state(closed) == before


def test_cases_classify_without_an_agent_needs_a_source(db, ticket):
    with pytest.raises(ValueError):
        services.classify_ticket(ticket=ticket, by=None, priority=Priority.HIGH)
    assert Ticket.objects.get(pk=ticket.pk).priority == ticket.priority


def test_a_model_is_never_shown_as_certain():
    """0.9996 reads "99 % sure": "100 %" would read as a fact, not a model's guess."""
    assert [sure_percent(p) for p in (0.9996, 0.995, 0.994, 0.5, 0.0)] == [99, 99, 99, 50, 0]
