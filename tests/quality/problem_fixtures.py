"""Helpers for the problems tests: tickets brought to a state through the real services."""

from datetime import datetime, timedelta

from cases import services as case_services
from cases.models import Team, Ticket, User
from quality.models import Problem
from quality.services import problems as problem_services
from surveys.models import SurveyInvitation
from surveys.services import answer_survey
from tests.factories import CustomerFactory, make_ticket


def open_ticket(
    *,
    agent: User,
    team: Team,
    language: str = "es",
    at: datetime | None = None,
    subject: str = "The invoice PDF is blank",
) -> Ticket:
    """A ticket of `team` an agent has answered once (open)."""
    ticket = make_ticket(
        by=agent,
        customer=CustomerFactory.create(language=language),
        team=team,
        assignee=agent,
        subject=subject,
        at=at,
    )
    case_services.add_reply(ticket=ticket, by=agent, body="Looking into it.", at=at)
    ticket.refresh_from_db()
    return ticket


def resolved_ticket(
    *,
    agent: User,
    team: Team,
    at: datetime,
    csat: int | None = None,
    nps: int | None = None,
    reopen: bool = False,
) -> Ticket:
    """A ticket resolved (last) at `at`, reopened once before if asked, its survey answered."""
    ticket = open_ticket(agent=agent, team=team, at=at - timedelta(hours=3))
    if reopen:
        case_services.resolve_ticket(
            ticket=ticket, by=agent, resolution="First try", at=at - timedelta(hours=2)
        )
        case_services.reopen_ticket(
            ticket=ticket, by=agent, reason="Still broken", at=at - timedelta(hours=1)
        )
    case_services.resolve_ticket(ticket=ticket, by=agent, resolution="Fixed", at=at)
    if csat is not None or nps is not None:
        invitation = SurveyInvitation.objects.filter(ticket=ticket).order_by("-pk").first()
        assert invitation is not None
        answer_survey(invitation=invitation, csat=csat, nps=nps, at=at + timedelta(minutes=5))
    ticket.refresh_from_db()
    return ticket


def problem_with(by: User, tickets: list[Ticket], title: str = "Blank invoices") -> Problem:
    return problem_services.open_problem(by=by, title=title, ticket_ids=[t.pk for t in tickets])


def fix(problem: Problem, by: User, at: datetime | None = None) -> Problem:
    return problem_services.update_problem(
        problem=problem,
        by=by,
        status="fixed",
        fix_note="The PDF renderer was rolled back.",
        fixed_at=at,
    )
