"""SLA compliance (docs/kpis.md): the share of tickets whose first response / resolution met the
due time of the policy that applied, placed by creation — live and from the rollups — on
the API, the breakdowns and the dashboard (only where SLA clocks exist)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse

from cases import services
from cases.models import SLAPolicy, Ticket
from cases.services import deadlines
from metrics import kpis, rollups
from metrics.kpis import Filters, Period
from tests.factories import CustomerFactory, make_ticket

pytestmark = pytest.mark.django_db

MONDAY = datetime(2025, 3, 3, 9, tzinfo=ZoneInfo("America/Bogota"))
WEEK = Period.of(MONDAY.date(), MONDAY.date() + timedelta(days=7))


@pytest.fixture
def desk(ana, team_n1):
    """Policy: answer within 1 h, resolve within 4 h (around the clock). Five tickets:
    answered in 30 min and resolved in 2 h (both met); answered in 2 h (missed) and resolved
    in 3 h (met); never answered, flagged by the check (missed, and its resolution too);
    just opened at the end of the week (undecided); a low-priority ticket without policy."""
    SLAPolicy.objects.create(
        name="High", priority="high", first_response_minutes=60, resolution_minutes=240
    )

    def case(at, priority="high"):
        with time_machine.travel(at, tick=False):
            return make_ticket(
                by=ana, team=team_n1, assignee=ana, priority=priority, customer=CustomerFactory()
            )

    def work(ticket, reply_after, resolve_after=None):
        at = ticket.created_at
        services.add_reply(ticket=ticket, by=ana, body="Hi", at=at + reply_after)
        if resolve_after:
            services.resolve_ticket(
                ticket=Ticket.objects.get(pk=ticket.pk), by=ana, resolution="Done",
                at=at + resolve_after,
            )  # fmt: skip

    work(case(MONDAY), timedelta(minutes=30), timedelta(hours=2))
    work(case(MONDAY + timedelta(days=1)), timedelta(hours=2), timedelta(hours=3))
    case(MONDAY + timedelta(days=2))
    with time_machine.travel(MONDAY + timedelta(days=2, hours=5), tick=False):
        deadlines.check_deadlines()
    case(MONDAY + timedelta(days=6, hours=14))
    case(MONDAY, priority="low")


def test_sla_compliance_in_the_summary(desk):
    sla = kpis.summary(WEEK)["sla"]
    assert sla == {
        "first_response_percent": 33.3,  # 1 of 3 decided
        "resolution_percent": 66.7,  # 2 resolved on time, 1 overdue
        "breached": 2,
        "first_response_count": 3,
        "resolution_count": 3,
    }


def test_the_rollups_give_the_same_sla_figures(desk, team_n1):
    live = kpis.summary(WEEK)
    rollups.rebuild()
    assert kpis._rollup_grain(WEEK, Filters(), None) is not None
    assert kpis.summary(WEEK)["sla"] == live["sla"]
    by_team = kpis.breakdown("sla_first_response", "team", WEEK)
    with override_settings(METRICS_ROLLUPS=False):
        assert by_team == kpis.breakdown("sla_first_response", "team", WEEK)
    assert [(row["key"], row["value"]) for row in by_team] == [(team_n1.pk, 33.3)]


def test_the_api_reports_sla_compliance(desk, client, marta):
    client.force_login(marta)
    response = client.get(
        reverse("metrics_api:metrics-summary"), {"from": "2025-03-03", "to": "2025-03-10"}
    )
    assert response.status_code == 200
    assert response.json()["sla"]["first_response_percent"] == 33.3
    rows = client.get(
        reverse("metrics_api:metrics-breakdown"),
        {"kpi": "sla_resolution", "by": "priority", "from": "2025-03-03", "to": "2025-03-10"},
    ).json()
    assert [(row["key"], row["value"]) for row in rows["rows"]] == [("high", 66.7), ("low", None)]


def test_the_dashboard_shows_sla_cards_only_where_there_are_clocks(desk, client, marta):
    client.force_login(marta)
    params = {"period": "custom", "from": "2025-03-03", "to": "2025-03-09"}
    cards = {c["key"]: c for c in client.get(reverse("metrics:dashboard"), params).context["cards"]}
    assert cards["sla_first_response"]["value"] == "33.3 %"
    assert cards["sla_resolution"]["value"] == "66.7 %"

    empty = {"period": "custom", "from": "2024-03-03", "to": "2024-03-09"}
    shown = [c["key"] for c in client.get(reverse("metrics:dashboard"), empty).context["cards"]]
    assert "sla_first_response" not in shown
