"""Helpers of the coaching tests: an agent's tickets worked through the real case services,
survey answers through the surveys service, and completed reviews (written directly: the
reviews' own services are tested in test_reviews_*.py)."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from cases import services as case_services
from cases.models import Team, Ticket, User
from quality.models import CoachingGoal, Review, ReviewStatus, Scorecard, ScorecardVersion
from surveys.models import SurveyInvitation
from surveys.services import answer_survey
from tests.factories import CustomerFactory, make_ticket


def local(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(
        day.year, day.month, day.day, hour, minute, tzinfo=timezone.get_default_timezone()
    )


def worked_ticket(
    *,
    agent: User,
    team: Team,
    created: datetime,
    first_reply_after: timedelta | None = None,
    resolve_after: timedelta | None = None,
    csat: int | None = None,
    escalate: bool = False,
) -> Ticket:
    """A ticket of `team` assigned to `agent` created at `created`, answered publicly after
    `first_reply_after`, resolved after `resolve_after`, its survey answered with `csat`."""
    ticket = make_ticket(
        by=agent, customer=CustomerFactory.create(), team=team, assignee=agent, at=created
    )
    if first_reply_after is not None:
        case_services.add_reply(
            ticket=ticket, by=agent, body="Here is the fix.", at=created + first_reply_after
        )
    if escalate:
        case_services.escalate_ticket(
            ticket=ticket, by=agent, reason="Needs N2", team=team, at=created + timedelta(minutes=1)
        )
        ticket.refresh_from_db()
        if ticket.assignee_id != agent.pk:
            case_services.assign_ticket(
                ticket=ticket, by=agent, assignee=agent, at=created + timedelta(minutes=2)
            )
    if resolve_after is not None:
        resolved_at = created + resolve_after
        case_services.resolve_ticket(ticket=ticket, by=agent, resolution="Fixed", at=resolved_at)
        if csat is not None:
            invitation = SurveyInvitation.objects.get(ticket=ticket)
            answer_survey(invitation=invitation, csat=csat, at=resolved_at + timedelta(minutes=5))
    ticket.refresh_from_db()
    return ticket


def completed_review(
    *, ticket: Ticket, agent: User, reviewer: User, score: str, at: datetime
) -> Review:
    scorecard, _ = Scorecard.objects.get_or_create(
        name="Coaching test card", defaults={"created_by": reviewer}
    )
    version, _ = ScorecardVersion.objects.get_or_create(
        scorecard=scorecard, number=1, defaults={"created_by": reviewer}
    )
    return Review.objects.create(
        ticket=ticket,
        agent=agent,
        reviewer=reviewer,
        scorecard_version=version,
        status=ReviewStatus.COMPLETED,
        completed_at=at,
        score=Decimal(score),
    )


def goal(
    *,
    agent: User,
    by: User,
    kpi: str,
    target: str,
    starts_on: date,
    due_on: date,
    comparison: str = "at_least",
) -> CoachingGoal:
    return CoachingGoal.objects.create(
        agent=agent,
        created_by=by,
        kpi=kpi,
        comparison=comparison,
        target=Decimal(target),
        starts_on=starts_on,
        due_on=due_on,
    )
