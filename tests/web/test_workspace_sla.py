"""SLA clocks in the workspace: the queue shows time left, a warning from 80 % of the
target and an overdue badge, and sorts by the nearest deadline; the ticket page shows both
clocks and the policy."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from cases import services
from cases.models import SLAPolicy
from cases.services import deadlines
from tests.factories import CustomerFactory, make_ticket

pytestmark = pytest.mark.django_db

QUEUE_URL = reverse("cases:queue")
NOW = datetime(2025, 3, 4, 12, tzinfo=ZoneInfo("America/Bogota"))


@pytest.fixture
def policy(db):
    return SLAPolicy.objects.create(
        name="High 1 h / 8 h", priority="high", first_response_minutes=60, resolution_minutes=480
    )


def opened(by, team, minutes_ago, subject, priority="high"):
    with time_machine.travel(NOW - timedelta(minutes=minutes_ago), tick=False):
        return make_ticket(
            by=by, team=team, assignee=by, priority=priority, subject=subject,
            customer=CustomerFactory(),
        )  # fmt: skip


def row_of(html: str, subject: str) -> str:
    [row] = [r for r in re.findall(r"<tr.*?</tr>", html, re.S) if subject in r]
    return row


def test_the_queue_shows_time_left_warning_and_overdue(client, ana, team_n1, policy):
    opened(ana, team_n1, 10, "Fresh case")
    opened(ana, team_n1, 50, "Nearly due")  # 83 % of the hour
    opened(ana, team_n1, 70, "Late case")
    opened(ana, team_n1, 70, "No policy", priority="low")
    client.force_login(ana)

    with time_machine.travel(NOW, tick=False):
        html = client.get(QUEUE_URL, {"status": ["new", "open"]}).content.decode()

    fresh, nearly, late = (row_of(html, s) for s in ("Fresh case", "Nearly due", "Late case"))
    assert "sla-running" in fresh and "50 min left" in fresh
    assert "sla-warning" in nearly and "10 min left" in nearly
    assert "sla-breached" in late and "Overdue by 10 min" in late
    assert "badge" not in row_of(html, "No policy").split("sla-cell")[1].split("</td>")[0]


def test_the_queue_sorts_by_the_nearest_deadline(client, ana, team_n1, policy):
    opened(ana, team_n1, 10, "Due last")
    opened(ana, team_n1, 70, "Due first")
    opened(ana, team_n1, 30, "Due second")
    opened(ana, team_n1, 90, "No clock", priority="low")
    client.force_login(ana)

    with time_machine.travel(NOW, tick=False):
        html = client.get(QUEUE_URL, {"sort": "deadline"}).content.decode()

    order = re.findall(r">(Due \w+|No clock)<", html)
    assert order == ["Due first", "Due second", "Due last", "No clock"]


def test_the_ticket_page_shows_both_clocks_and_the_policy(client, ana, team_n1, policy):
    ticket = opened(ana, team_n1, 30, "Printer jam")
    with time_machine.travel(NOW - timedelta(minutes=20), tick=False):
        services.add_reply(ticket=ticket, by=ana, body="On my way")
    client.force_login(ana)

    with time_machine.travel(NOW, tick=False):
        html = client.get(reverse("cases:ticket_detail", args=[ticket.pk])).content.decode()

    assert "High 1 h / 8 h" in html
    first = html.split("sla-first-response")[1].split("</dd>")[0]
    resolution = html.split("sla-resolution")[1].split("</dd>")[0]
    assert "sla-met" in first
    assert "sla-running" in resolution and "7 h 30 min left" in resolution


def test_the_timeline_tells_the_sla_story(client, ana, team_n1, policy):
    ticket = opened(ana, team_n1, 65, "Forgotten case")
    with time_machine.travel(NOW, tick=False):
        deadlines.check_deadlines()
    client.force_login(ana)

    html = client.get(reverse("cases:ticket_detail", args=[ticket.pk])).content.decode()

    assert "SLA policy High 1 h / 8 h: first response due" in html
    policy_line = html[html.index("SLA policy High 1 h / 8 h:") :].split("<", 1)[0].strip()
    # A time ending in "p.m." ends the line: no second full stop after it.
    assert policy_line == (
        "SLA policy High 1 h / 8 h: first response due 03/04/2025 11:55 a.m., "
        "resolution due 03/04/2025 6:55 p.m."
    )
    assert "First response deadline missed (due" in html
