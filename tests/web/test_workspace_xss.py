"""Stored XSS: whatever people type comes back escaped on every workspace page."""

import pytest
from django.urls import reverse

from cases import services
from tests.factories import AgentFactory, CategoryFactory, CustomerFactory, TeamFactory, make_ticket
from tests.web.test_workspace_support import detail_url

PAYLOAD = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


@pytest.fixture
def poisoned(marta):
    team = TeamFactory(name=f"Team {PAYLOAD}", level=1)
    other_team = TeamFactory(name=f"Other {PAYLOAD}", level=2)
    category = CategoryFactory(name=f"Cat {PAYLOAD}", default_team=team)
    agent = AgentFactory(username="mallory", first_name=PAYLOAD, teams=[team])
    customer = CustomerFactory(name=f"Eve {PAYLOAD}", company=PAYLOAD, phone=PAYLOAD)
    ticket = make_ticket(
        by=marta,
        customer=customer,
        category=category,
        team=team,
        subject=f"Subject {PAYLOAD}",
        description=PAYLOAD,
        assignee=agent,
    )
    services.add_reply(ticket=ticket, by=agent, body=PAYLOAD)
    services.add_reply(ticket=ticket, by=agent, body=PAYLOAD, public=False)
    services.add_customer_reply(ticket=ticket, body=PAYLOAD)
    services.classify_ticket(ticket=ticket, by=marta, subject=f"New {PAYLOAD}")
    services.escalate_ticket(ticket=ticket, by=marta, reason=PAYLOAD, team=other_team)
    services.resolve_ticket(ticket=ticket, by=marta, resolution=PAYLOAD)
    services.reopen_ticket(ticket=ticket, by=marta, reason=PAYLOAD)
    make_ticket(by=marta, customer=customer, team=team, subject=f"Older {PAYLOAD}")
    return ticket


def pages(ticket):
    customer = ticket.customer_id
    return [
        reverse("cases:queue") + "?queue=all",
        reverse("cases:queue") + "?q=%3Cimg",
        detail_url(ticket),
        reverse("cases:ticket_create"),
        reverse("cases:customer_list"),
        reverse("cases:customer_detail", args=[customer]),
        reverse("cases:customer_edit", args=[customer]),
    ]


def test_user_data_is_escaped_on_every_page(poisoned, client, marta):
    client.force_login(marta)
    for url in pages(poisoned):
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 200, url
        assert PAYLOAD not in html, url
        assert ESCAPED in html, url


def test_the_ticket_page_escapes_every_message_and_event(poisoned, client, marta):
    client.force_login(marta)
    html = client.get(detail_url(poisoned)).content.decode()
    assert PAYLOAD not in html
    # subject, description, 3 messages, classify change (x2), escalation reason and teams,
    # resolution (event and card), reopen reason, customer name/company/phone, assignee…
    assert html.count(ESCAPED) >= 12


def test_a_failed_form_echoes_the_input_escaped(poisoned, client, marta):
    client.force_login(marta)
    response = client.post(
        reverse("cases:customer_create"),
        {"name": PAYLOAD, "email": "not-an-email", "language": "es"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert PAYLOAD not in html
    assert ESCAPED in html
