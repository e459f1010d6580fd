"""The ticket page: header, customer card and history, the timeline, and only the actions the
lifecycle allows now."""

import re

import pytest

from cases import services
from cases.models import Status
from tests.factories import make_ticket
from tests.web.test_workspace_support import detail_url, move_to

ALL_ACTIONS = {
    "reply",
    "classify",
    "tags",
    "assign",
    "assign-me",
    "auto-assign",
    "escalate",
    "pending",
    "resume",
    "resolve",
    "reopen",
    "close",
    "merge",
}
ASSIGNING = {"classify", "tags", "assign", "assign-me", "auto-assign"}
EXPECTED_ACTIONS = {
    Status.NEW: {"reply", "escalate", "merge"} | ASSIGNING,
    Status.OPEN: {"reply", "escalate", "pending", "resolve", "merge"} | ASSIGNING,
    Status.PENDING: {"reply", "escalate", "resume", "resolve", "merge"} | ASSIGNING,
    Status.RESOLVED: {"reply", "reopen", "close", "merge"} | ASSIGNING,
    Status.CLOSED: set(),
}


def actions_on_page(html: str) -> set[str]:
    return set(re.findall(r'data-action="([\w-]+)"', html))


def timeline_kinds(html: str) -> list[str]:
    return re.findall(r'class="timeline-item (\w+)" data-kind', html)


@pytest.mark.parametrize("status", EXPECTED_ACTIONS)
def test_the_page_offers_only_the_actions_the_lifecycle_allows(status, ticket, ana, client):
    ticket = move_to(ticket, status, by=ana)
    client.force_login(ana)
    html = client.get(detail_url(ticket)).content.decode()
    assert actions_on_page(html) == EXPECTED_ACTIONS[status]
    for slug in ALL_ACTIONS - EXPECTED_ACTIONS[status]:
        assert f"/tickets/{ticket.pk}/{slug}/" not in html


def test_every_action_form_carries_the_ticket_version(ticket, ana, client):
    ticket = move_to(ticket, Status.OPEN, by=ana)
    client.force_login(ana)
    html = client.get(detail_url(ticket)).content.decode()
    # The lifecycle's action forms (data-action); relating tickets checks no version.
    forms = re.findall(
        r"<form method=\"post\" action=\"/tickets/[^>]*data-action=.*?</form>", html, re.S
    )
    assert len(forms) == len(EXPECTED_ACTIONS[Status.OPEN])
    for form in forms:
        assert f'name="version" value="{ticket.version}"' in form


def test_a_resolved_ticket_only_takes_internal_notes(ticket, ana, client):
    ticket = move_to(ticket, Status.RESOLVED, by=ana)
    client.force_login(ana)
    html = client.get(detail_url(ticket)).content.decode()
    assert 'name="kind" value="note"' in html
    assert 'name="kind" value="public"' not in html


def test_assign_to_me_is_not_offered_to_the_assignee_or_outside_the_team(
    ticket, ana, marta, client
):
    services.assign_ticket(ticket=ticket, by=ana, assignee=ana)
    client.force_login(ana)
    assert "assign-me" not in actions_on_page(client.get(detail_url(ticket)).content.decode())
    client.force_login(marta)  # a manager outside the team may not take it either
    actions = actions_on_page(client.get(detail_url(ticket)).content.decode())
    assert "assign-me" not in actions
    assert "assign" in actions


def test_escalate_is_not_offered_at_the_highest_level(ana, team_n3, client, marta):
    ticket = make_ticket(by=marta, team=team_n3)
    client.force_login(marta)
    assert "escalate" not in actions_on_page(client.get(detail_url(ticket)).content.decode())


def test_the_header_shows_the_facts_of_the_ticket(ticket, ana, billing, client):
    services.classify_ticket(ticket=ticket, by=ana, category=billing)
    services.assign_ticket(ticket=ticket, by=ana, assignee=ana)
    ticket = move_to(ticket, Status.OPEN, by=ana)
    client.force_login(ana)
    html = client.get(detail_url(ticket)).content.decode()
    for text in (
        ticket.reference,
        ticket.subject,
        "Open",
        "Normal",
        "L1",
        "Phone",
        "Billing",
        "Soporte N1",
        "Ana Pérez",
        "It blinks orange",
    ):
        assert text in html
    assert "First response" in html


def test_the_customer_card_shows_details_and_other_tickets(ticket, ana, customer, client):
    older = make_ticket(by=ana, customer=customer, team=ticket.team, subject="Paper jam")
    client.force_login(ana)
    html = client.get(detail_url(ticket)).content.decode()
    card = html[html.index("customer-card") :]
    assert "Lucía Torres" in card
    assert "lucia@example.com" in card
    assert f"/customers/{customer.pk}/" in card
    assert older.reference in card and "Paper jam" in card
    history = card[card.index("customer-history") :]
    assert ticket.reference not in history


def test_the_customer_history_lists_only_visible_tickets_at_most_ten(
    ticket, ana, carla, customer, team_n2, client
):
    hidden = make_ticket(by=carla, customer=customer, team=team_n2, subject="Secret N2 case")
    for n in range(11):
        make_ticket(by=ana, customer=customer, team=ticket.team, subject=f"Visit {n}")
    client.force_login(ana)
    response = client.get(detail_url(ticket))
    assert len(response.context["history"]) == 10
    assert hidden.reference not in response.content.decode()


def test_the_timeline_shows_replies_notes_and_events_in_order(ticket, ana, client):
    services.add_reply(ticket=ticket, by=ana, body="Have you tried turning it off?")
    services.add_reply(ticket=ticket, by=ana, body="Customer sounds upset", public=False)
    services.add_customer_reply(ticket=ticket, body="Still broken")
    services.set_pending(ticket=ticket, by=ana)
    services.escalate_ticket(ticket=ticket, by=ana, reason="Hardware fault")
    client.force_login(ana)
    html = client.get(detail_url(ticket)).content.decode()
    assert timeline_kinds(html) == ["event", "agent", "note", "customer", "event", "event"]
    events = re.findall(r'data-event="(\w+)"', html)
    assert events == ["created", "pending", "escalated"]
    assert html.index("turning it off") < html.index("sounds upset") < html.index("Still broken")
    assert "Escalated from level 1 to level 2." in html
    assert "Hardware fault" in html
    # the first public reply moved the ticket from new to open, shown on that reply
    assert "New → Open" in html


def test_an_internal_note_is_visibly_marked(ticket, ana, client):
    services.add_reply(ticket=ticket, by=ana, body="Only for us", public=False)
    client.force_login(ana)
    html = client.get(detail_url(ticket)).content.decode()
    note = re.search(r'<li class="timeline-item note".*?</li>', html, re.S).group(0)
    assert "Internal note" in note
    assert "Only for us" in note
    assert "message-body" in note


def test_the_timeline_describes_each_kind_of_event(ticket, ana, bruno, billing, client):
    services.classify_ticket(ticket=ticket, by=ana, priority="high", category=billing)
    services.assign_ticket(ticket=ticket, by=ana, assignee=bruno)
    services.assign_ticket(ticket=ticket, by=ana, assignee=ana)
    ticket = move_to(ticket, Status.RESOLVED, by=ana)
    services.reopen_ticket(ticket=ticket, by=ana, reason="It failed again")
    client.force_login(ana)
    html = client.get(detail_url(ticket)).content.decode()
    for text in (
        "Ticket created — channel: Phone, priority: Normal, level: 1.",
        "Team: Soporte N1.",
        "Priority",
        "Normal → High",
        "Category",
        "— → Billing",
        "Assigned to Bruno Díaz.",
        "Assigned to Ana Pérez.",
        "Previously Bruno Díaz.",
        "Resolved.",
        "Replaced the toner.",
        "Reopened.",
        "It failed again",
    ):
        assert text in html, text


def test_a_customer_reopening_by_reply_is_attributed_to_the_customer(ticket, ana, client):
    ticket = move_to(ticket, Status.RESOLVED, by=ana)
    services.add_customer_reply(ticket=ticket, body="Nope")
    client.force_login(ana)
    html = client.get(detail_url(ticket)).content.decode()
    text = html.index("Reopened.")
    reopened_item = html[html.rindex("timeline-item event", 0, text) : text]
    assert "Lucía Torres" in reopened_item
