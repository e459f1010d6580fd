"""Automatic assignment per team (round robin, fewest open tickets) among available agents,
agents switching their own availability, and resolved tickets closing on their own."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import AssignmentMode, EventKind, Status, Ticket, TicketEvent
from tests.factories import AgentFactory, CustomerFactory, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def trio(team_n1):
    agents = [
        AgentFactory(username=name, first_name=name.title(), teams=[team_n1])
        for name in ("uno", "dos", "tres")
    ]
    return agents


def new_case(team, **kwargs):
    return make_ticket(by=None, team=team, customer=CustomerFactory(), **kwargs)


def test_round_robin_hands_cases_out_in_turn(team_n1, trio):
    team_n1.assignment = AssignmentMode.ROUND_ROBIN
    team_n1.save()

    assignees = [new_case(team_n1).assignee for _ in range(4)]

    assert assignees == [trio[0], trio[1], trio[2], trio[0]]
    event = TicketEvent.objects.filter(kind=EventKind.ASSIGNED).latest("pk")
    assert event.data["auto"] is True


def test_fewest_open_tickets_goes_to_the_least_busy(team_n1, trio):
    team_n1.assignment = AssignmentMode.LEAST_OPEN
    team_n1.save()
    for agent in trio[:2]:
        make_ticket(by=agent, team=team_n1, assignee=agent)

    assert new_case(team_n1).assignee == trio[2]


def test_unavailable_agents_are_skipped(team_n1, trio):
    team_n1.assignment = AssignmentMode.ROUND_ROBIN
    team_n1.save()
    trio[1].is_available = False
    trio[1].save()

    assert [new_case(team_n1).assignee for _ in range(3)] == [trio[0], trio[2], trio[0]]


def test_off_leaves_cases_unassigned(team_n1, trio):
    assert new_case(team_n1).assignee is None


def test_nobody_available_leaves_the_case_unassigned(team_n1, trio):
    team_n1.assignment = AssignmentMode.LEAST_OPEN
    team_n1.save()
    for agent in trio:
        agent.is_available = False
        agent.save()
    assert new_case(team_n1).assignee is None


def test_an_escalated_case_is_assigned_in_its_new_team(ana, carla, team_n1, team_n2):
    team_n2.assignment = AssignmentMode.ROUND_ROBIN
    team_n2.save()
    ticket = make_ticket(by=ana, team=team_n1, assignee=ana)

    ticket = services.escalate_ticket(ticket=ticket, by=ana, reason="Hardware", team=team_n2)

    assert (ticket.team, ticket.assignee) == (team_n2, carla)
    escalated = TicketEvent.objects.get(ticket=ticket, kind=EventKind.ESCALATED)
    assert escalated.data["unassigned"] is False
    assigned = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.ASSIGNED).latest("pk")
    assert assigned.data["assignee_id"] == carla.pk and assigned.data["auto"] is True


def test_an_agent_switches_their_own_availability(client, ana):
    client.force_login(ana)
    response = client.post(
        reverse("preferences"), {"language": "es", "weekly_digest": "on"}
    )  # the box left unticked
    assert response.status_code == 302
    ana.refresh_from_db()
    assert ana.is_available is False
    client.post(reverse("preferences"), {"language": "es", "is_available": "on"})
    ana.refresh_from_db()
    assert ana.is_available is True


# --- closing on their own -----------------------------------------------------------------------


def resolved(ana, team_n1, days_ago):
    at = timezone.now() - timedelta(days=days_ago)
    ticket = make_ticket(by=ana, team=team_n1, assignee=ana, at=at)
    services.add_reply(ticket=ticket, by=ana, body="Fixed", at=at)
    return services.resolve_ticket(ticket=ticket, by=ana, resolution="Done", at=at)


def test_resolved_tickets_close_after_the_configured_days(ana, team_n1, settings):
    settings.AUTO_CLOSE_DAYS = 7
    old, recent = resolved(ana, team_n1, 8), resolved(ana, team_n1, 6)
    reopened = resolved(ana, team_n1, 9)
    services.add_customer_reply(ticket=reopened, body="Still broken")

    assert services.close_resolved_tickets() == 1
    assert Ticket.objects.get(pk=old.pk).status == Status.CLOSED
    assert Ticket.objects.get(pk=recent.pk).status == Status.RESOLVED
    assert Ticket.objects.get(pk=reopened.pk).status == Status.OPEN
    closed = TicketEvent.objects.get(ticket=old, kind=EventKind.CLOSED)
    assert closed.actor is None
    assert services.close_resolved_tickets() == 0  # nothing twice
