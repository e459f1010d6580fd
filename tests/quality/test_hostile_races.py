"""Two people (or two workers) doing the same quality thing at the same moment, with real
threads and connections: exactly one wins, the other gets a refusal, nothing is doubled.

Needs PostgreSQL: SQLite serialises writers anyway and `select_for_update` is a no-op there."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from quality.errors import QualityError
from quality.models import Dispute, ReviewComment, SamplingRule, SamplingRun
from quality.models_problems import ProblemBulkAnswer
from quality.services import reviews as review_services
from quality.services import sampling
from quality.services.problems import start_bulk_answer
from quality.services.reviews import CommentData, ScoreData
from tests.factories import ManagerFactory
from tests.racing import at_once

from .conftest import completed_review, resolve
from .problem_fixtures import fix, open_ticket, problem_with

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (DATABASE_URL)"
    ),
]


def outcomes(*calls):
    return ["refused" if isinstance(o, QualityError) else o for o in at_once(list(calls))]


def test_two_managers_settling_one_dispute_settle_it_once(resolved, marta, ana, scorecard):
    review = completed_review(
        ticket=resolved, reviewer=marta, scorecard=scorecard, scores=[5, 3, 7]
    )
    review_services.dispute_review(review=review, by=ana, reason="Unfair")
    other = ManagerFactory(username="otro")
    first = review.scorecard_version.criteria.order_by("position").first()

    def upheld():
        return review_services.settle_dispute(
            review=review,
            by=marta,
            outcome="upheld",
            note="Agreed",
            scores=[ScoreData(first.pk, 0)],
        )

    def rejected():
        return review_services.settle_dispute(
            review=review, by=other, outcome="rejected", note="Stands"
        )

    results = outcomes(upheld, rejected)
    assert sorted(type(r).__name__ if r != "refused" else r for r in results) == [
        "Dispute",
        "refused",
    ]
    dispute = Dispute.objects.get(review=review)
    review.refresh_from_db()
    if dispute.outcome == "upheld":
        assert dispute.original_score is not None and float(review.score) == 55.0
    else:
        assert float(review.score) == 71.67


def test_disputing_twice_at_once_keeps_one_dispute(resolved, marta, ana, scorecard):
    review = completed_review(
        ticket=resolved, reviewer=marta, scorecard=scorecard, scores=[5, 3, 7]
    )

    def dispute(reason):
        return lambda: review_services.dispute_review(review=review, by=ana, reason=reason)

    results = outcomes(dispute("A"), dispute("B"))
    assert results.count("refused") == 1, results
    assert Dispute.objects.filter(review=review).count() == 1


def test_completing_one_review_twice_at_once_completes_it_once(resolved, marta, scorecard):
    draft = review_services.start_review(ticket=resolved, by=marta, scorecard=scorecard)
    criteria = list(draft.scorecard_version.criteria.order_by("position"))
    scores = [ScoreData(c.pk, s) for c, s in zip(criteria, [5, 3, 7], strict=True)]

    def complete():
        return review_services.score_review(
            review=draft, by=marta, scores=scores, comments=[CommentData("Nice")], complete=True
        )

    results = outcomes(complete, complete)
    assert results.count("refused") == 1, results
    assert ReviewComment.objects.filter(review=draft).count() == 1


def test_sampling_one_week_twice_at_once_assigns_once(marta, ana, team_n1, scorecard):
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday() + 7)
    at = timezone.make_aware(
        timezone.datetime(monday.year, monday.month, monday.day, 12) + timedelta(days=2)
    )
    for _ in range(3):
        resolve(agent=ana, team=team_n1, at=at)
    rule = SamplingRule.objects.create(scorecard=scorecard, updated_by=marta, reviews_per_agent=2)

    def run():
        return sampling.sample_week(rule=rule, week_start=monday)

    results = at_once([run, run])
    assert sorted(r.assigned for r in results) == [0, 2], results
    assert sorted(r.already_run for r in results) == [False, True]
    assert SamplingRun.objects.filter(rule=rule).count() == 1


def test_starting_the_bulk_answer_twice_at_once_starts_one(marta, ana, team_n1):
    problem = fix(problem_with(marta, [open_ticket(agent=ana, team=team_n1)]), marta)

    def start():
        return start_bulk_answer(problem=problem, by=marta, message_es="Hola", message_en="Hi")

    results = outcomes(start, start)
    assert results.count("refused") == 1, results
    assert ProblemBulkAnswer.objects.filter(problem=problem).count() == 1


def test_two_managers_creating_the_same_scorecard_at_once_get_one_and_a_400(marta):
    other = ManagerFactory(username="otra")

    def create(by):
        return lambda: review_services.create_scorecard(
            by=by, name="Chat", criteria=[review_services.CriterionData("Tone")]
        )

    results = outcomes(create(marta), create(other))
    assert results.count("refused") == 1, results
