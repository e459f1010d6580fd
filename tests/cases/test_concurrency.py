"""Two (or twenty) agents acting on one ticket at the same moment, with real threads and
connections. Exactly one wins; the others get a conflict; the event log stays consistent.

Needs PostgreSQL: SQLite serialises writers anyway and `select_for_update` is a no-op there.
"""

import pytest
from django.db import connection

from cases import services
from cases.errors import ConflictError, TransitionError
from cases.models import EventKind, Status, Ticket, TicketEvent
from tests.factories import AgentFactory
from tests.racing import at_once

from .lifecycle_helpers import bring_to

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (DATABASE_URL)"
    ),
]

THREADS = 20
SURVEY_KINDS = [
    EventKind.SURVEY_SKIPPED,
    EventKind.SURVEY_WITHDRAWN,
    EventKind.SURVEY_ANSWERED,
    EventKind.FOLLOW_UP_OPENED,
    EventKind.FOLLOW_UP_UPDATED,
]


def race(*calls):
    """Run the calls at once; return 'won' / 'conflict' per call, or the unexpected
    exception."""
    outcomes = at_once(list(calls), timeout=60)
    return [
        "conflict"
        if isinstance(outcome, (ConflictError, TransitionError))
        else outcome
        if isinstance(outcome, Exception)
        else "won"
        for outcome in outcomes
    ]


def events_of(ticket, kind):
    return TicketEvent.objects.filter(ticket=ticket, kind=kind).count()


@pytest.fixture
def agents(team_n1):
    return [AgentFactory(username=f"racer{i}", teams=[team_n1]) for i in range(THREADS)]


def test_concurrent_assignments_have_one_winner(ticket, agents):
    seen = ticket.version
    outcomes = race(
        *[
            (
                lambda a=a: services.assign_ticket(
                    ticket=ticket, by=a, assignee=a, expected_version=seen
                )
            )
            for a in agents
        ]
    )
    assert outcomes.count("won") == 1, outcomes
    assert outcomes.count("conflict") == THREADS - 1, outcomes
    winner = agents[outcomes.index("won")]
    assert Ticket.objects.get(pk=ticket.pk).assignee == winner
    assert events_of(ticket, EventKind.ASSIGNED) == 1


def test_concurrent_resolutions_have_one_winner_even_without_versions(ticket, ana, agents):
    ticket = bring_to(ticket, Status.OPEN, by=ana)
    outcomes = race(
        *[
            (lambda a=a: services.resolve_ticket(ticket=ticket, by=a, resolution=f"by {a}"))
            for a in agents
        ]
    )
    assert outcomes.count("won") == 1, outcomes
    assert outcomes.count("conflict") == THREADS - 1, outcomes
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert events_of(ticket, EventKind.RESOLVED) == 1
    assert ticket.resolution == f"by {agents[outcomes.index('won')]}"


def test_resolve_and_escalate_at_once_one_wins_and_nothing_is_lost(ticket, ana, bruno):
    ticket = bring_to(ticket, Status.OPEN, by=ana)
    for _round in range(5):
        ticket = Ticket.objects.get(pk=ticket.pk)
        if ticket.status == Status.RESOLVED:
            ticket = services.reopen_ticket(ticket=ticket, by=ana)
        if ticket.level == 3:
            break
        seen = ticket.version
        outcomes = race(
            lambda t=ticket, v=seen: services.resolve_ticket(
                ticket=t, by=ana, resolution="done", expected_version=v
            ),
            lambda t=ticket, v=seen: services.escalate_ticket(
                ticket=t, by=bruno, reason="needs N2", expected_version=v
            ),
        )
        assert sorted(outcomes) == ["conflict", "won"], outcomes
    ticket.refresh_from_db()
    assert ticket.escalation_count == events_of(ticket, EventKind.ESCALATED)
    assert ticket.reopen_count == events_of(ticket, EventKind.REOPENED)
    assert ticket.level == 1 + ticket.escalation_count
    # Versions strictly increase: every committed change was applied on top of the last one.
    # (Facts other apps record, like survey events, do not change the ticket.)
    ticket_changes = TicketEvent.objects.filter(ticket=ticket).exclude(
        kind__in=[EventKind.CREATED, *SURVEY_KINDS]
    )
    assert ticket.version == 1 + ticket_changes.count()


def test_replies_at_once_are_all_kept_and_counted(ticket, agents):
    outcomes = race(
        *[(lambda a=a: services.add_reply(ticket=ticket, by=a, body=f"from {a}")) for a in agents]
    )
    assert outcomes == ["won"] * THREADS
    ticket.refresh_from_db()
    assert ticket.public_agent_replies == THREADS == ticket.replies.count()
    assert ticket.status == Status.OPEN
