"""Scoring, scorecard versions, the review's rules and disputes, through the services."""

from decimal import Decimal

import pytest

from quality.errors import QualityError, QualityPermissionDenied
from quality.models import Dispute, ReviewComment, ReviewStatus
from quality.services import reviews as services
from quality.services.reviews import CommentData, CriterionData, ScoreData

from .conftest import completed_review, resolve


def test_the_score_weighs_each_criterion_by_its_share_of_its_highest_score(
    resolved, marta, scorecard
):
    # 100 × (1·5/5 + 2·3/5 + 3·7/10) / 6 = 100 × 4.3 / 6 = 71.67
    review = completed_review(
        ticket=resolved, reviewer=marta, scorecard=scorecard, scores=[5, 3, 7]
    )
    assert review.score == Decimal("71.67")
    assert review.critical_failed is False
    assert review.status == ReviewStatus.COMPLETED
    assert review.completed_at is not None
    assert review.agent == resolved.assignee


def test_a_critical_criterion_scored_zero_fails_the_whole_review(resolved, marta, scorecard):
    review = completed_review(
        ticket=resolved, reviewer=marta, scorecard=scorecard, scores=[5, 5, 0]
    )
    assert review.score == Decimal("0.00")
    assert review.critical_failed is True


def test_a_non_critical_zero_only_lowers_the_score(resolved, marta, scorecard):
    review = completed_review(
        ticket=resolved, reviewer=marta, scorecard=scorecard, scores=[0, 5, 10]
    )
    assert review.score == Decimal("83.33")  # 100 × 5 / 6


def test_a_draft_keeps_partial_scores_and_completes_later(resolved, marta, scorecard):
    review = services.start_review(ticket=resolved, by=marta, scorecard=scorecard)
    greeting, tone, accuracy = review.scorecard_version.criteria.order_by("position")
    services.score_review(review=review, by=marta, scores=[ScoreData(greeting.pk, 4, "Warm")])
    review.refresh_from_db()
    assert review.status == ReviewStatus.ASSIGNED and review.score is None
    with pytest.raises(QualityError, match="Score every criterion"):
        services.score_review(review=review, by=marta, complete=True)
    services.score_review(
        review=review,
        by=marta,
        scores=[ScoreData(tone.pk, 5), ScoreData(accuracy.pk, 10)],
        complete=True,
    )
    review.refresh_from_db()
    assert review.score == Decimal("96.67")  # 100 × (0.8 + 2 + 3) / 6
    assert review.scores.get(criterion=greeting).comment == "Warm"


def test_scores_out_of_range_or_of_another_scorecard_are_refused(resolved, marta, scorecard):
    review = services.start_review(ticket=resolved, by=marta, scorecard=scorecard)
    greeting = review.scorecard_version.criteria.get(name="Greeting")
    for bad in (ScoreData(greeting.pk, 6), ScoreData(greeting.pk, -1), ScoreData(999999, 1)):
        with pytest.raises(QualityError):
            services.score_review(review=review, by=marta, scores=[bad])
    assert not review.scores.exists()


def test_comments_are_anchored_to_the_tickets_own_messages(
    resolved, marta, scorecard, carla, team_n2
):
    review = services.start_review(ticket=resolved, by=marta, scorecard=scorecard)
    reply = resolved.replies.first()
    services.score_review(
        review=review,
        by=marta,
        comments=[CommentData("Nice opening", reply.pk), CommentData("Overall fine")],
    )
    assert list(ReviewComment.objects.values_list("reply_id", "body")) == [
        (reply.pk, "Nice opening"),
        (None, "Overall fine"),
    ]
    other = resolve(agent=carla, team=team_n2).replies.first()
    with pytest.raises(QualityError, match="not part of this ticket"):
        services.score_review(review=review, by=marta, comments=[CommentData("x", other.pk)])


def test_editing_a_scorecard_writes_a_new_version_and_old_reviews_keep_theirs(
    resolved, marta, scorecard, ana, team_n1
):
    old = completed_review(ticket=resolved, reviewer=marta, scorecard=scorecard, scores=[5, 3, 7])
    version = services.revise_scorecard(
        scorecard=scorecard,
        by=marta,
        name=scorecard.name,
        criteria=[CriterionData("Empathy", weight=1, max_score=4)],
        note="Simpler",
    )
    assert version.number == 2
    old.refresh_from_db()
    assert old.score == Decimal("71.67")
    assert old.scorecard_version.number == 1
    assert [s.criterion.name for s in old.scores.all()] == ["Greeting", "Tone", "Accuracy"]
    new = completed_review(
        ticket=resolve(agent=ana, team=team_n1), reviewer=marta, scorecard=scorecard, scores=[3]
    )
    assert new.scorecard_version == version
    assert new.score == Decimal("75.00")


@pytest.mark.parametrize(
    "criteria, message",
    [
        ([], "at least one criterion"),
        ([CriterionData("A"), CriterionData("a")], "Two criteria"),
        ([CriterionData("A", weight=0)], "weight"),
        ([CriterionData("A", weight=101)], "weight"),
        ([CriterionData("A", max_score=11)], "highest score"),
        ([CriterionData("  ")], "required"),
    ],
)
def test_a_scorecard_needs_valid_distinct_criteria(marta, criteria, message):
    with pytest.raises(QualityError, match=message):
        services.create_scorecard(by=marta, name="Card", criteria=criteria)


def test_only_managers_write_scorecards(ana):
    with pytest.raises(QualityPermissionDenied):
        services.create_scorecard(by=ana, name="Card", criteria=[CriterionData("A")])


def test_an_agent_without_the_reviewer_role_cannot_review(resolved, carla, scorecard):
    with pytest.raises(QualityPermissionDenied):
        services.start_review(ticket=resolved, by=carla, scorecard=scorecard)


def test_a_reviewer_cannot_review_their_own_ticket(bruno_reviewer, team_n1, scorecard):
    own = resolve(agent=bruno_reviewer, team=team_n1)
    with pytest.raises(QualityPermissionDenied, match="own ticket"):
        services.start_review(ticket=own, by=bruno_reviewer, scorecard=scorecard)


def test_a_ticket_without_assignee_cannot_be_reviewed(ticket, marta, scorecard):
    with pytest.raises(QualityError, match="no assignee"):
        services.start_review(ticket=ticket, by=marta, scorecard=scorecard)


def test_a_reviewer_cannot_review_a_ticket_they_cannot_see(
    bruno_reviewer, carla, team_n2, scorecard
):
    hidden = resolve(agent=carla, team=team_n2)
    with pytest.raises(QualityPermissionDenied, match="cannot see"):
        services.start_review(ticket=hidden, by=bruno_reviewer, scorecard=scorecard)


def test_only_the_reviewer_scores_and_a_completed_review_is_final(
    resolved, marta, adrian, scorecard
):
    review = completed_review(
        ticket=resolved, reviewer=marta, scorecard=scorecard, scores=[5, 5, 10]
    )
    with pytest.raises(QualityPermissionDenied):
        services.score_review(review=review, by=adrian, summary="mine")
    with pytest.raises(QualityError, match="completed"):
        services.score_review(review=review, by=marta, summary="changed")


def test_granting_and_revoking_the_reviewer_role(marta, carla, ana):
    from quality.permissions import is_reviewer

    services.set_reviewer(user=carla, by=marta, reviewer=True)
    assert is_reviewer(type(carla).objects.get(pk=carla.pk))
    services.set_reviewer(user=carla, by=marta, reviewer=False)
    assert not is_reviewer(type(carla).objects.get(pk=carla.pk))
    with pytest.raises(QualityPermissionDenied):
        services.set_reviewer(user=carla, by=ana, reviewer=True)


# --- disputes ---------------------------------------------------------------------------------


@pytest.fixture
def review(resolved, marta, scorecard):
    return completed_review(ticket=resolved, reviewer=marta, scorecard=scorecard, scores=[5, 3, 7])


def test_only_the_reviewed_agent_disputes_and_only_once(review, ana, bruno):
    with pytest.raises(QualityPermissionDenied):
        services.dispute_review(review=review, by=bruno, reason="Unfair")
    dispute = services.dispute_review(review=review, by=ana, reason="The tone was fine")
    assert dispute.is_open
    with pytest.raises(QualityError, match="already"):
        services.dispute_review(review=review, by=ana, reason="Again")
    assert Dispute.objects.count() == 1


def test_a_review_still_to_do_cannot_be_disputed(resolved, marta, ana, scorecard):
    draft = services.start_review(ticket=resolved, by=marta, scorecard=scorecard)
    with pytest.raises(QualityError, match="completed"):
        services.dispute_review(review=draft, by=ana, reason="No")


def test_an_upheld_dispute_amends_the_scores_and_keeps_the_original(review, ana, marta):
    services.dispute_review(review=review, by=ana, reason="The tone was fine")
    tone = review.scorecard_version.criteria.get(name="Tone")
    dispute = services.settle_dispute(
        review=review, by=marta, outcome="upheld", note="Agreed", scores=[ScoreData(tone.pk, 5)]
    )
    review.refresh_from_db()
    assert dispute.original_score == Decimal("71.67")
    assert review.score == Decimal("85.00")  # 100 × (1 + 2 + 2.1) / 6
    assert dispute.settled_by == marta and dispute.settlement == "Agreed"
    with pytest.raises(QualityError, match="already settled"):
        services.settle_dispute(review=review, by=marta, outcome="rejected", note="x")


def test_a_rejected_dispute_leaves_the_review_as_it_was(review, ana, marta, bruno):
    services.dispute_review(review=review, by=ana, reason="Unfair")
    with pytest.raises(QualityPermissionDenied):
        services.settle_dispute(review=review, by=bruno, outcome="rejected", note="No")
    dispute = services.settle_dispute(review=review, by=marta, outcome="rejected", note="It stands")
    review.refresh_from_db()
    assert review.score == Decimal("71.67")
    assert dispute.outcome == "rejected" and dispute.original_score is None
