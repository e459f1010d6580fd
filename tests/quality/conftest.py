"""Fixtures for quality reviews: a scorecard (weights 1, 2, 3; highest scores 5, 5, 10; the
last one critical), resolved tickets of the cast, and Bruno granted the Reviewer role."""

from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from cases import services as case_services
from quality.models import REVIEWER_GROUP, Review, Scorecard
from quality.services import reviews as review_services
from quality.services.reviews import CriterionData, ScoreData
from surveys.models import SurveyInvitation
from surveys.services import answer_survey
from tests.factories import CustomerFactory, make_ticket

CRITERIA = [
    CriterionData("Greeting", "Says hello by name", weight=1, max_score=5),
    CriterionData("Tone", "Kind and clear", weight=2, max_score=5),
    CriterionData("Accuracy", "The answer is right", weight=3, max_score=10, is_critical=True),
]


@pytest.fixture
def reviewer_group(db):
    return Group.objects.get_or_create(name=REVIEWER_GROUP)[0]


@pytest.fixture
def bruno_reviewer(bruno, reviewer_group):
    """Bruno (Soporte N1) in the Reviewer group."""
    bruno.groups.add(reviewer_group)
    return type(bruno).objects.get(pk=bruno.pk)  # a fresh object: role and groups re-read


@pytest.fixture
def scorecard(marta) -> Scorecard:
    return review_services.create_scorecard(
        by=marta, name="Conversation quality", description="", criteria=CRITERIA
    )


def resolve(*, agent, team, at=None, csat=None, reopen=False, escalate=False):
    """A ticket of `team` assigned to `agent`, answered and resolved (at `at`), its survey
    answered with `csat` if given."""
    ticket = make_ticket(
        by=agent,
        customer=CustomerFactory(),
        team=team,
        assignee=agent,
        at=(at - timedelta(hours=2)) if at else None,
    )
    start = (at - timedelta(hours=1)) if at else None
    case_services.add_reply(ticket=ticket, by=agent, body="Here is the fix.", at=start)
    if escalate:
        case_services.escalate_ticket(
            ticket=ticket, by=agent, reason="Needs a look", team=team, at=start
        )
        ticket.refresh_from_db()
        if ticket.assignee_id != agent.pk:
            case_services.assign_ticket(ticket=ticket, by=agent, assignee=agent, at=start)
    if reopen:
        case_services.resolve_ticket(
            ticket=ticket,
            by=agent,
            resolution="First try",
            at=start + timedelta(minutes=10) if start else None,
        )
        case_services.reopen_ticket(
            ticket=ticket,
            by=agent,
            reason="Still broken",
            at=start + timedelta(minutes=20) if start else None,
        )
    case_services.resolve_ticket(ticket=ticket, by=agent, resolution="Fixed", at=at)
    if csat is not None:
        invitation = SurveyInvitation.objects.filter(ticket=ticket).order_by("-pk").first()
        answer_survey(invitation=invitation, csat=csat, at=at)
    ticket.refresh_from_db()
    return ticket


@pytest.fixture
def resolved(ana, team_n1):
    """A ticket of Soporte N1 assigned to Ana, answered and resolved now."""
    return resolve(agent=ana, team=team_n1)


def completed_review(*, ticket, reviewer, scorecard, scores, summary="Good work") -> Review:
    """A review of `ticket` by `reviewer`, `scores` in the criteria's order, completed."""
    review = review_services.start_review(ticket=ticket, by=reviewer, scorecard=scorecard)
    criteria = list(review.scorecard_version.criteria.order_by("position"))
    return review_services.score_review(
        review=review,
        by=reviewer,
        scores=[ScoreData(c.pk, s) for c, s in zip(criteria, scores, strict=True)],
        summary=summary,
        complete=True,
    )


def local(year, month, day, hour=12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=timezone.get_default_timezone())
