"""Scorecards, reviews and disputes (docs/quality.md, "Reviews"). Each service runs in one
transaction, locks what it changes and refuses bad input with a `QualityError` (or
`QualityPermissionDenied`) with nothing written.

A scorecard is never edited in place: `revise_scorecard` writes a new version with its own
criteria, so the reviews scored against an older version keep their criteria and score."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Reply, Role, Ticket, User
from cases.selectors import can_see_ticket

from ..errors import QualityError, QualityPermissionDenied, Refusal
from ..models_reviews import (
    REVIEWER_GROUP,
    Criterion,
    Dispute,
    DisputeOutcome,
    Review,
    ReviewComment,
    ReviewReason,
    ReviewScore,
    ReviewStatus,
    Scorecard,
    ScorecardVersion,
)
from ..permissions import is_manager, is_reviewer
from ._checks import clean_text, require_manager

MAX_CRITERIA = 30
NAME_MAX = 100
DESCRIPTION_MAX = 500
TEXT_MAX = 10_000
WEIGHT_RANGE = (1, 100)
MAX_SCORE_RANGE = (1, 10)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class CriterionData:
    """One criterion as a manager writes it (validated by `clean_criteria`)."""

    name: str
    description: str = ""
    weight: int = 1
    max_score: int = 5
    is_critical: bool = False


@dataclass(frozen=True)
class ScoreData:
    """A reviewer's score for one criterion (by the criterion's id) and its comment."""

    criterion: int
    score: int
    comment: str = ""


@dataclass(frozen=True)
class CommentData:
    """A remark on the review, anchored to a message of the ticket (`reply` id) or to none."""

    body: str
    reply: int | None = None


# --- helpers ----------------------------------------------------------------------------------


def review_score(pairs: Sequence[tuple[Criterion, int]]) -> tuple[Decimal, bool]:
    """KPI.md "Review score": `100 × Σ weight·score/max / Σ weight` over the criteria, two
    decimals (half up); any critical criterion scored 0 makes it 0. Returns (score, failed)."""
    failed = any(criterion.is_critical and score == 0 for criterion, score in pairs)
    if failed:
        return Decimal("0.00"), True
    total_weight = sum(criterion.weight for criterion, _score in pairs)
    if not total_weight:
        raise QualityError(_("The scorecard has no criteria."))
    weighted = sum(
        (Fraction(criterion.weight * score, criterion.max_score) for criterion, score in pairs),
        Fraction(0),
    )
    exact = 100 * weighted / total_weight
    value = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(CENT, ROUND_HALF_UP)
    return value, False


def clean_criteria(criteria: Sequence[CriterionData]) -> list[CriterionData]:
    """At least one criterion, distinct names (ignoring case), weight 1–100, highest score
    1–10. Raises QualityError naming `criteria`."""
    if not criteria:
        raise QualityError(_("A scorecard needs at least one criterion."), field="criteria")
    if len(criteria) > MAX_CRITERIA:
        raise QualityError(
            _("A scorecard has at most %(n)s criteria.") % {"n": MAX_CRITERIA}, field="criteria"
        )
    cleaned: list[CriterionData] = []
    seen: set[str] = set()
    for item in criteria:
        name = clean_text(item.name, field="criteria", limit=NAME_MAX, required=True)
        if name.casefold() in seen:
            raise QualityError(
                _("Two criteria are called “%(name)s”: give each its own name.") % {"name": name},
                field="criteria",
            )
        seen.add(name.casefold())
        if not WEIGHT_RANGE[0] <= item.weight <= WEIGHT_RANGE[1]:
            raise QualityError(_("A weight runs from 1 to 100."), field="criteria")
        if not MAX_SCORE_RANGE[0] <= item.max_score <= MAX_SCORE_RANGE[1]:
            raise QualityError(_("The highest score runs from 1 to 10."), field="criteria")
        description = clean_text(item.description, field="criteria", limit=DESCRIPTION_MAX)
        cleaned.append(
            CriterionData(name, description, item.weight, item.max_score, bool(item.is_critical))
        )
    return cleaned


def current_version(scorecard: Scorecard) -> ScorecardVersion | None:
    return scorecard.versions.order_by("-number").first()


def _write_version(
    scorecard: Scorecard, by: User, criteria: list[CriterionData], note: str
) -> ScorecardVersion:
    latest = scorecard.versions.aggregate(n=Max("number"))["n"] or 0
    version = ScorecardVersion.objects.create(
        scorecard=scorecard, number=latest + 1, created_by=by, note=note
    )
    Criterion.objects.bulk_create(
        Criterion(
            version=version,
            position=position,
            name=item.name,
            description=item.description,
            weight=item.weight,
            max_score=item.max_score,
            is_critical=item.is_critical,
        )
        for position, item in enumerate(criteria)
    )
    return version


# --- scorecards -------------------------------------------------------------------------------


@transaction.atomic
def create_scorecard(
    *, by: User, name: str, description: str = "", criteria: Sequence[CriterionData]
) -> Scorecard:
    """A new scorecard and its version 1. Managers and admins."""
    require_manager(by)
    name = clean_text(name, field="name", limit=NAME_MAX, required=True)
    description = clean_text(description, field="description", limit=TEXT_MAX)
    cleaned = clean_criteria(criteria)
    if Scorecard.objects.filter(name__iexact=name).exists():
        raise QualityError(_("There is already a scorecard with this name."), field="name")
    try:
        with transaction.atomic():  # another manager may take the name meanwhile
            scorecard = Scorecard.objects.create(name=name, description=description, created_by=by)
    except IntegrityError:
        raise QualityError(
            _("There is already a scorecard with this name."), field="name"
        ) from None
    _write_version(scorecard, by, cleaned, note="")
    return scorecard


@transaction.atomic
def revise_scorecard(
    *,
    scorecard: Scorecard,
    by: User,
    name: str,
    description: str = "",
    criteria: Sequence[CriterionData],
    note: str = "",
) -> ScorecardVersion:
    """Writes version number + 1 with `criteria`; the reviews of older versions keep theirs.
    Managers and admins."""
    require_manager(by)
    scorecard = Scorecard.objects.select_for_update().get(pk=scorecard.pk)
    name = clean_text(name, field="name", limit=NAME_MAX, required=True)
    description = clean_text(description, field="description", limit=TEXT_MAX)
    note = clean_text(note, field="note", limit=255)
    cleaned = clean_criteria(criteria)
    if Scorecard.objects.filter(name__iexact=name).exclude(pk=scorecard.pk).exists():
        raise QualityError(_("There is already a scorecard with this name."), field="name")
    if (scorecard.name, scorecard.description) != (name, description):
        scorecard.name, scorecard.description = name, description
        try:
            with transaction.atomic():  # another manager may take the name meanwhile
                scorecard.save(update_fields=["name", "description"])
        except IntegrityError:
            raise QualityError(
                _("There is already a scorecard with this name."), field="name"
            ) from None
    return _write_version(scorecard, by, cleaned, note)


@transaction.atomic
def set_scorecard_active(*, scorecard: Scorecard, by: User, active: bool) -> Scorecard:
    """Deactivated, a scorecard is offered for no new review and sampled by no rule; its
    reviews stay."""
    require_manager(by)
    scorecard = Scorecard.objects.select_for_update().get(pk=scorecard.pk)
    if scorecard.is_active != active:
        scorecard.is_active = active
        scorecard.save(update_fields=["is_active"])
    return scorecard


# --- the Reviewer role ------------------------------------------------------------------------


@transaction.atomic
def set_reviewer(*, user: User, by: User, reviewer: bool) -> User:
    """Grant (or revoke) the Reviewer group to an agent. Managers and admins always review."""
    require_manager(by)
    if not user.is_active or user.role is None:
        raise QualityError(_("Only active agents can be reviewers."), field="user")
    if user.role != Role.AGENT:
        raise QualityError(_("Managers and admins review without the role."), field="user")
    group, _created = Group.objects.get_or_create(name=REVIEWER_GROUP)
    if reviewer:
        user.groups.add(group)
    else:
        user.groups.remove(group)
    return user


# --- reviews ----------------------------------------------------------------------------------


def _reviewer_refusal(by: User, ticket: Ticket) -> QualityPermissionDenied | None:
    if not is_reviewer(by):
        return QualityPermissionDenied(_("Only reviewers can review tickets."))
    if not can_see_ticket(by, ticket):
        return QualityPermissionDenied(_("You cannot see this ticket."))
    return None


def _ticket_refusal(reviewer: User, ticket: Ticket) -> Refusal | None:
    if ticket.assignee_id is None:
        return QualityError(
            _("This ticket has no assignee: there is nobody to review."), field="ticket"
        )
    if ticket.assignee_id == reviewer.pk:
        return QualityPermissionDenied(_("You cannot review your own ticket."))
    return None


def _refuse_unless_reviewer(by: User, ticket: Ticket) -> None:
    refusal = _reviewer_refusal(by, ticket)
    if refusal is not None:
        raise refusal


def review_refusal(reviewer: User, ticket: Ticket) -> Refusal | None:
    """Why `reviewer` may not review `ticket` (None: they may) — a reviewer who can see it,
    a ticket with an assignee who is not them. The rule `start_review` enforces, for the pages
    and the API to ask before offering "Review this ticket"."""
    return _reviewer_refusal(reviewer, ticket) or _ticket_refusal(reviewer, ticket)


def may_review(user: User, ticket: Ticket) -> bool:
    return review_refusal(user, ticket) is None


@transaction.atomic
def start_review(
    *,
    ticket: Ticket,
    by: User,
    scorecard: Scorecard,
    reason: str = ReviewReason.MANUAL,
    reviewer: User | None = None,
    week_start: Any = None,
) -> Review:
    """A review of `ticket` against the scorecard's current version, to do. The reviewed agent
    is the ticket's assignee; nobody reviews their own ticket."""
    reviewer = reviewer or by
    _refuse_unless_reviewer(reviewer, ticket)
    if reviewer.pk != by.pk:
        require_manager(by)
    refusal = _ticket_refusal(reviewer, ticket)
    if refusal is not None:
        raise refusal
    # The ticket's row serialises two starts at once; a second review of the same
    # conversation by the same reviewer would count it twice in the agent's IQS.
    list(Ticket.objects.select_for_update().filter(pk=ticket.pk).values_list("pk", flat=True))
    if Review.objects.filter(ticket=ticket, reviewer=reviewer).exists():
        raise QualityError(_("You already have a review of this ticket."), field="ticket")
    if not scorecard.is_active:
        raise QualityError(_("This scorecard is not active."), field="scorecard")
    version = current_version(scorecard)
    if version is None:
        raise QualityError(_("This scorecard has no criteria yet."), field="scorecard")
    assert ticket.assignee is not None
    return Review.objects.create(
        ticket=ticket,
        agent=ticket.assignee,
        reviewer=reviewer,
        scorecard_version=version,
        reason=reason,
        week_start=week_start,
    )


def _lock_review(review: Review) -> Review:
    return (
        Review.objects.select_for_update()
        .select_related("ticket", "scorecard_version")
        .get(pk=review.pk)
    )


def _criteria_of(review: Review) -> dict[int, Criterion]:
    return {c.pk: c for c in Criterion.objects.filter(version_id=review.scorecard_version_id)}


def _check_scores(
    scores: Sequence[ScoreData], criteria: Mapping[int, Criterion]
) -> dict[int, ScoreData]:
    given: dict[int, ScoreData] = {}
    for item in scores:
        criterion = criteria.get(item.criterion)
        if criterion is None:
            raise QualityError(
                _("Criterion %(id)s is not part of this review's scorecard.")
                % {"id": item.criterion},
                field="scores",
            )
        if item.criterion in given:
            raise QualityError(
                _("“%(name)s” is scored twice.") % {"name": criterion.name}, field="scores"
            )
        if not 0 <= item.score <= criterion.max_score:
            raise QualityError(
                _("“%(name)s” is scored from 0 to %(max)s.")
                % {"name": criterion.name, "max": criterion.max_score},
                field="scores",
            )
        comment = clean_text(item.comment, field="scores", limit=TEXT_MAX)
        given[item.criterion] = ScoreData(item.criterion, item.score, comment)
    return given


@transaction.atomic
def score_review(
    *,
    review: Review,
    by: User,
    scores: Sequence[ScoreData] = (),
    summary: str | None = None,
    comments: Sequence[CommentData] = (),
    complete: bool = False,
) -> Review:
    """The reviewer saves scores (any subset while a draft), comments anchored to the ticket's
    messages, and the summary; with `complete` every criterion must be scored and the review
    gets its score (KPI.md "Review score") and `completed_at`."""
    review = _lock_review(review)
    if review.reviewer_id != by.pk:
        raise QualityPermissionDenied(_("Only the review's reviewer can score it."))
    _refuse_unless_reviewer(by, review.ticket)
    if review.status != ReviewStatus.ASSIGNED:
        raise QualityError(_("This review is completed and can no longer be changed."))
    criteria = _criteria_of(review)
    given = _check_scores(scores, criteria)
    checked_comments: list[tuple[int | None, str]] = []
    for comment in comments:
        body = clean_text(comment.body, field="comments", limit=TEXT_MAX)
        if not body:
            continue
        if (
            comment.reply is not None
            and not Reply.objects.filter(pk=comment.reply, ticket_id=review.ticket_id).exists()
        ):
            raise QualityError(_("That message is not part of this ticket."), field="comments")
        checked_comments.append((comment.reply, body))
    if summary is not None:
        review.summary = clean_text(summary, field="summary", limit=TEXT_MAX)
    for item in given.values():
        ReviewScore.objects.update_or_create(
            review=review,
            criterion_id=item.criterion,
            defaults={"score": item.score, "comment": item.comment},
        )
    ReviewComment.objects.bulk_create(
        ReviewComment(review=review, reply_id=reply, author=by, body=body)
        for reply, body in checked_comments
    )
    fields = ["summary"]
    if complete:
        stored = dict(review.scores.values_list("criterion_id", "score"))
        missing = [c.name for pk, c in criteria.items() if pk not in stored]
        if missing:
            raise QualityError(
                _("Score every criterion before completing: %(names)s.")
                % {"names": ", ".join(missing)},
                field="scores",
            )
        review.score, review.critical_failed = review_score(
            [(criteria[pk], score) for pk, score in stored.items()]
        )
        review.status = ReviewStatus.COMPLETED
        review.completed_at = timezone.now()
        fields += ["score", "critical_failed", "status", "completed_at"]
    review.save(update_fields=fields)
    return review


@transaction.atomic
def delete_draft_review(*, review: Review, by: User) -> None:
    """A review still to do may be dropped by its reviewer or a manager."""
    review = _lock_review(review)
    if review.reviewer_id != by.pk and not is_manager(by):
        raise QualityPermissionDenied(_("Only the review's reviewer or a manager can drop it."))
    if review.status != ReviewStatus.ASSIGNED:
        raise QualityError(_("A completed review cannot be dropped."))
    review.delete()


@transaction.atomic
def reassign_review(*, review: Review, by: User, reviewer: User) -> Review:
    """Give a review still to do to another reviewer (a manager's way out of a stuck draft:
    its reviewer left, or lost sight of the ticket). The new reviewer must be a reviewer who
    can see the ticket, not its agent, and without a review of this ticket already."""
    require_manager(by)
    review = _lock_review(review)
    if review.status != ReviewStatus.ASSIGNED:
        raise QualityError(_("A completed review cannot be reassigned."))
    if reviewer.pk == review.agent_id:
        raise QualityError(_("Nobody reviews their own ticket."), field="reviewer")
    if reviewer.pk == review.reviewer_id:
        raise QualityError(_("This review is already theirs."), field="reviewer")
    if not reviewer.is_active or not is_reviewer(reviewer):
        raise QualityError(_("Choose someone who may review."), field="reviewer")
    if not can_see_ticket(reviewer, review.ticket):
        raise QualityError(_("They cannot see this ticket."), field="reviewer")
    if Review.objects.filter(ticket_id=review.ticket_id, reviewer=reviewer).exists():
        raise QualityError(_("They already have a review of this ticket."), field="reviewer")
    review.reviewer = reviewer
    review.save(update_fields=["reviewer"])
    return review


# --- disputes ---------------------------------------------------------------------------------


@transaction.atomic
def dispute_review(*, review: Review, by: User, reason: str) -> Dispute:
    """The reviewed agent disagrees with a completed review, once."""
    review = _lock_review(review)
    if review.agent_id != by.pk:
        raise QualityPermissionDenied(_("Only the reviewed agent can dispute a review."))
    if review.status != ReviewStatus.COMPLETED:
        raise QualityError(_("Only a completed review can be disputed."))
    reason = clean_text(reason, field="reason", limit=TEXT_MAX, required=True)
    if Dispute.objects.filter(review=review).exists():
        raise QualityError(_("This review has already been disputed."))
    return Dispute.objects.create(review=review, raised_by=by, reason=reason)


@transaction.atomic
def settle_dispute(
    *,
    review: Review,
    by: User,
    outcome: str,
    note: str,
    scores: Sequence[ScoreData] = (),
) -> Dispute:
    """A manager settles an open dispute. Upheld: `scores` amend the review's criterion
    scores, the score is computed again and the one before is kept in
    `Dispute.original_score`. Rejected: the review stands."""
    require_manager(by)
    review = _lock_review(review)
    try:
        dispute = Dispute.objects.select_for_update().get(review=review)
    except Dispute.DoesNotExist:
        raise QualityError(_("This review has not been disputed.")) from None
    if not dispute.is_open:
        raise QualityError(_("This dispute is already settled."))
    if outcome not in DisputeOutcome.values:
        raise QualityError(_("Choose upheld or rejected."), field="outcome")
    note = clean_text(note, field="settlement", limit=TEXT_MAX, required=True)
    fields = ["outcome", "settled_by", "settled_at", "settlement"]
    if outcome == DisputeOutcome.UPHELD:
        criteria = _criteria_of(review)
        given = _check_scores(scores, criteria)
        if not given:
            raise QualityError(_("Give the amended scores of an upheld dispute."), field="scores")
        for item in given.values():
            ReviewScore.objects.filter(review=review, criterion_id=item.criterion).update(
                score=item.score
            )
        stored = dict(review.scores.values_list("criterion_id", "score"))
        dispute.original_score = review.score
        fields.append("original_score")
        review.score, review.critical_failed = review_score(
            [(criteria[pk], score) for pk, score in stored.items()]
        )
        review.save(update_fields=["score", "critical_failed"])
    dispute.outcome = outcome
    dispute.settled_by = by
    dispute.settled_at = timezone.now()
    dispute.settlement = note
    dispute.save(update_fields=fields)
    return dispute
