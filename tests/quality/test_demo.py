"""The demo desk's quality data (quality/demo.py): scorecards, a month of sampled reviews,
disputes, coaching for every agent and two problems, one fixed with a visible before/after."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from cases import demo
from cases.models import User
from metrics.kpis import Period
from quality import problem_figures
from quality.goals import progress_of
from quality.kpis import iqs_against_csat
from quality.models import (
    CoachingGoal,
    CoachingSession,
    Dispute,
    Problem,
    ProblemStatus,
    ProblemTicket,
    Review,
    ReviewStatus,
    Scorecard,
)
from surveys import demo as survey_demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(settings) -> Iterator[None]:
    settings.EMBEDDED = True
    demo.load_demo()
    survey_demo.load_survey_history(seed=demo.SEED)
    yield


def test_the_demo_desk_has_reviews_coaching_and_problems_to_show(desk):
    now = timezone.now()
    assert Scorecard.objects.count() == 2
    conversation = Scorecard.objects.get(name="Calidad de la conversación")
    assert conversation.versions.count() == 2  # revised: older reviews keep version 1
    versions = set(Review.objects.values_list("scorecard_version__number", flat=True))
    assert versions == {1, 2}

    completed = Review.objects.filter(status=ReviewStatus.COMPLETED)
    assert completed.count() >= 30
    assert Review.objects.filter(status=ReviewStatus.ASSIGNED).exists()  # the week to do
    assert not completed.filter(completed_at__gt=now).exists()
    assert completed.filter(comments__reply__isnull=False).exists()  # remarks on messages
    assert not Review.objects.filter(reviewer=F("agent")).exists()  # never their own tickets
    assert Dispute.objects.count() == 2
    assert Dispute.objects.exclude(outcome="").count() == 1

    # The IQS-against-CSAT chart has agents to plot, with different IQS.
    today = timezone.localdate(now)
    rows = iqs_against_csat(Period.of(today - timedelta(days=35), today + timedelta(days=1)))
    plotted = [row for row in rows if row["iqs"] is not None and row["csat"] is not None]
    assert len(plotted) >= 5
    assert len({round(row["iqs"] or 0) for row in plotted}) >= 3

    agents = User.objects.filter(groups__name="Agent")
    assert CoachingSession.objects.values("agent").distinct().count() == agents.count()
    progress = progress_of(CoachingGoal.objects.all(), today)
    assert len(progress) == 3 * agents.count()
    assert {p.status for p in progress} & {"met", "missed"}
    assert {p.status for p in progress} & {"on_track", "off_track"}

    fixed = Problem.objects.get(status=ProblemStatus.FIXED)
    figures = problem_figures.before_after(fixed)
    assert figures is not None
    before, after = figures["before"], figures["after"]
    assert before.csat_answers and after.csat_answers
    assert (after.csat or 0) > (before.csat or 0)
    assert Problem.objects.exclude(status=ProblemStatus.FIXED).get().links.count() >= 5

    # Dated as it happened: nothing stamped at the load, nothing in the future.
    version_one = conversation.versions.get(number=1)
    assert version_one.created_at < completed.order_by("completed_at").first().completed_at
    for dispute in Dispute.objects.select_related("review"):
        assert dispute.review.completed_at < dispute.raised_at < now
    fixed_events = fixed.events.order_by("at")
    assert fixed_events.first().kind == "opened" and fixed_events.first().at < fixed.fixed_at
    assert not ProblemTicket.objects.filter(linked_at__gt=now).exists()
    for link in ProblemTicket.objects.select_related("ticket"):
        assert link.linked_at >= link.ticket.created_at

    # A second load (the loader runs once per desk) adds nothing.
    survey_demo.load_survey_history(seed=demo.SEED)
    assert Scorecard.objects.count() == 2
