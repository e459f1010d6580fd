"""The reviews API's bodies (quality/api/reviews.py): inputs refuse keys they do not declare
and values of the wrong JSON type; outputs are what the pages show."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cases.api.common import TEXT_MAX_LENGTH, IdField, StrictInputSerializer, UserRefOutput
from cases.models import Ticket

from ..models_reviews import DisputeOutcome, Scorecard
from ..services.reviews import (
    DESCRIPTION_MAX,
    MAX_CRITERIA,
    NAME_MAX,
    CommentData,
    CriterionData,
    ScoreData,
)

# --- inputs -----------------------------------------------------------------------------------


class CriterionInput(StrictInputSerializer):
    name = serializers.CharField(max_length=NAME_MAX)
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=DESCRIPTION_MAX, default=""
    )
    weight = serializers.IntegerField(min_value=1, max_value=100)
    max_score = serializers.IntegerField(
        min_value=1, max_value=10, help_text=_("The highest score, 1 to 10.")
    )
    is_critical = serializers.BooleanField(
        required=False, default=False, help_text=_("Scored 0, it fails the whole review.")
    )


class ScorecardInput(StrictInputSerializer):
    name = serializers.CharField(max_length=NAME_MAX)
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=TEXT_MAX_LENGTH, default=""
    )
    criteria = CriterionInput(many=True, max_length=MAX_CRITERIA)  # type: ignore[call-arg]  # ListSerializer takes max_length


class ScorecardVersionInput(ScorecardInput):
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=255, default="", help_text=_("What changed.")
    )


class ReviewCreateInput(StrictInputSerializer):
    ticket = IdField(queryset=Ticket.objects.all())  # type: ignore[no-untyped-call]  # common.py is checked at the default level
    scorecard = IdField(queryset=Scorecard.objects.all())  # type: ignore[no-untyped-call]  # as above


class ScoreInput(StrictInputSerializer):
    criterion = serializers.IntegerField(min_value=1, help_text=_("The criterion's id."))
    score = serializers.IntegerField(min_value=0, max_value=10)
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=TEXT_MAX_LENGTH, default=""
    )


class CommentInput(StrictInputSerializer):
    body = serializers.CharField(max_length=TEXT_MAX_LENGTH)
    reply = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        default=None,
        help_text=_("The id of the ticket's message the comment is about; empty for none."),
    )


class ReviewScoreInput(StrictInputSerializer):
    scores = ScoreInput(many=True, required=False, max_length=100)  # type: ignore[call-arg]  # ListSerializer takes max_length
    summary = serializers.CharField(required=False, allow_blank=True, max_length=TEXT_MAX_LENGTH)
    comments = CommentInput(many=True, required=False, max_length=100)  # type: ignore[call-arg]  # ListSerializer takes max_length
    complete = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_("Complete the review: every criterion must then be scored."),
    )


class DisputeInput(StrictInputSerializer):
    reason = serializers.CharField(max_length=TEXT_MAX_LENGTH, help_text=_("Why you disagree."))


class SettleInput(StrictInputSerializer):
    outcome = serializers.ChoiceField(choices=DisputeOutcome.choices)
    note = serializers.CharField(max_length=TEXT_MAX_LENGTH, help_text=_("The settlement note."))
    scores = ScoreInput(  # type: ignore[call-arg]  # ListSerializer takes max_length
        many=True,
        required=False,
        max_length=100,
        help_text=_("Upheld: the amended criterion scores."),
    )


def criteria_data(items: list[dict[str, Any]]) -> list[CriterionData]:
    return [
        CriterionData(
            name=item["name"],
            description=item.get("description", ""),
            weight=item["weight"],
            max_score=item["max_score"],
            is_critical=item.get("is_critical", False),
        )
        for item in items
    ]


def scores_data(items: list[dict[str, Any]]) -> list[ScoreData]:
    return [ScoreData(item["criterion"], item["score"], item.get("comment", "")) for item in items]


def comments_data(items: list[dict[str, Any]]) -> list[CommentData]:
    return [CommentData(item["body"], item.get("reply")) for item in items]


# --- outputs ----------------------------------------------------------------------------------


class CriterionOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    weight = serializers.IntegerField()
    max_score = serializers.IntegerField()
    is_critical = serializers.BooleanField()


class ScorecardVersionOutput(serializers.Serializer[Any]):
    number = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    note = serializers.CharField()
    criteria = CriterionOutput(many=True, source="criteria.all")


class ScorecardOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    is_active = serializers.BooleanField()
    current_version = serializers.SerializerMethodField(
        help_text=_("The version new reviews are scored against.")
    )

    def get_current_version(self, scorecard: Scorecard) -> int | None:
        versions = list(scorecard.versions.all())
        return max((v.number for v in versions), default=None)


class ScorecardDetailOutput(ScorecardOutput):
    versions = ScorecardVersionOutput(many=True, source="versions.all")


class TicketRefOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    subject = serializers.CharField()


class ScoreOutput(serializers.Serializer[Any]):
    criterion = serializers.IntegerField(source="criterion_id")
    name = serializers.CharField(source="criterion.name")
    weight = serializers.IntegerField(source="criterion.weight")
    max_score = serializers.IntegerField(source="criterion.max_score")
    is_critical = serializers.BooleanField(source="criterion.is_critical")
    score = serializers.IntegerField()
    comment = serializers.CharField()


class CommentOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    reply = serializers.IntegerField(source="reply_id", allow_null=True)
    author = UserRefOutput()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()


class DisputeOutput(serializers.Serializer[Any]):
    reason = serializers.CharField()
    raised_at = serializers.DateTimeField()
    outcome = serializers.CharField(help_text=_("upheld, rejected, or empty while open."))
    settled_at = serializers.DateTimeField(allow_null=True)
    settlement = serializers.CharField()
    original_score = serializers.FloatField(
        allow_null=True, help_text=_("The score before an upheld dispute amended it.")
    )


class ReviewOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    ticket = TicketRefOutput()
    agent = UserRefOutput(help_text=_("The reviewed agent."))
    reviewer = UserRefOutput()
    scorecard = serializers.IntegerField(source="scorecard_version.scorecard_id")
    scorecard_name = serializers.CharField(source="scorecard_version.scorecard.name")
    scorecard_version = serializers.IntegerField(source="scorecard_version.number")
    status = serializers.CharField()
    reason = serializers.CharField(help_text=_("Why this ticket was chosen."))
    week_start = serializers.DateField(allow_null=True)
    assigned_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    score = serializers.FloatField(allow_null=True, help_text=_("0–100 (docs/quality.md)."))
    critical_failed = serializers.BooleanField()
    disputed = serializers.SerializerMethodField()

    def get_disputed(self, review: Any) -> bool:
        return hasattr(review, "dispute")


class ReviewDetailOutput(ReviewOutput):
    summary = serializers.CharField()
    scores = ScoreOutput(many=True, source="scores.all")
    comments = CommentOutput(many=True, source="comments.all")
    criteria = CriterionOutput(many=True, source="scorecard_version.criteria.all")
    dispute = DisputeOutput(allow_null=True)


class IqsOutput(serializers.Serializer[Any]):
    start = serializers.DateField(help_text=_("First day of the period."))
    end = serializers.DateField(help_text=_("First day after the period."))
    iqs = serializers.FloatField(
        allow_null=True, help_text=_("Mean review score of the reviews completed in the period.")
    )
    reviews = serializers.IntegerField(help_text=_("The IQS's sample."))
    low_sample = serializers.BooleanField()


class AgentIqsOutput(serializers.Serializer[Any]):
    agent = serializers.IntegerField()
    name = serializers.CharField()
    iqs = serializers.FloatField(allow_null=True)
    reviews = serializers.IntegerField()
    iqs_low_sample = serializers.BooleanField()
    csat = serializers.FloatField(
        allow_null=True, help_text=_("The CSAT percentage the KPI engine gives.")
    )
    csat_answers = serializers.IntegerField()
    csat_low_sample = serializers.BooleanField()
