"""Quality's records in the Django admin, read-mostly (docs/quality.md): scorecards, reviews,
disputes, sampling, coaching and problems are written on the quality pages, where the
services keep their rules (versions, scores, settlements); the admin lists them to look up."""

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from .models import (
    CoachingGoal,
    CoachingSession,
    Criterion,
    Dispute,
    Problem,
    ProblemBulkAnswer,
    ProblemEvent,
    ProblemFollowUp,
    ProblemTicket,
    Review,
    ReviewComment,
    ReviewScore,
    SamplingRule,
    SamplingRun,
    Scorecard,
    ScorecardVersion,
)

# The admin's classes are generic in django-stubs only.
if TYPE_CHECKING:
    ModelAdminBase = admin.ModelAdmin[Any]
else:
    ModelAdminBase = admin.ModelAdmin


class ReadOnlyAdmin(ModelAdminBase):
    """Lists and shows; adding, changing and deleting go through the quality pages."""

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Scorecard)
class ScorecardAdmin(ReadOnlyAdmin):
    list_display = ("name", "is_active", "created_by", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name",)


@admin.register(ScorecardVersion)
class ScorecardVersionAdmin(ReadOnlyAdmin):
    list_display = ("scorecard", "number", "created_by", "created_at", "note")
    list_filter = ("scorecard",)


@admin.register(Criterion)
class CriterionAdmin(ReadOnlyAdmin):
    list_display = ("name", "version", "weight", "max_score", "is_critical")
    list_filter = ("version__scorecard",)


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = (
        "ticket",
        "agent",
        "reviewer",
        "scorecard_version",
        "status",
        "reason",
        "score",
        "completed_at",
    )
    list_filter = ("status", "reason", "critical_failed")
    search_fields = ("ticket__subject",)
    list_select_related = ("ticket", "agent", "reviewer", "scorecard_version__scorecard")
    raw_id_fields = ("ticket",)


@admin.register(ReviewScore)
class ReviewScoreAdmin(ReadOnlyAdmin):
    list_display = ("review", "criterion", "score")


@admin.register(ReviewComment)
class ReviewCommentAdmin(ReadOnlyAdmin):
    list_display = ("review", "author", "created_at", "__str__")


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = ("review", "raised_by", "raised_at", "outcome", "settled_by", "settled_at")
    list_filter = ("outcome",)


@admin.register(SamplingRule)
class SamplingRuleAdmin(ReadOnlyAdmin):
    list_display = ("scorecard", "reviews_per_agent", "mode", "is_active", "updated_at")
    list_filter = ("is_active", "mode")


@admin.register(SamplingRun)
class SamplingRunAdmin(ReadOnlyAdmin):
    list_display = ("rule", "week_start", "ran_at", "assigned")


for model in (
    CoachingSession,
    CoachingGoal,
    Problem,
    ProblemTicket,
    ProblemEvent,
    ProblemFollowUp,
    ProblemBulkAnswer,
):
    admin.site.register(model, ReadOnlyAdmin)
