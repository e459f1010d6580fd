"""The coaching API's bodies: sessions and goals out (a goal with its progress from the KPI
engine), and what a manager sends to write them. Input is strict JSON (cases.api.common):
unknown keys, wrong types and out-of-range values are a 400 that says why."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

from cases.api.common import MAX_ID, IdField, StrictInputSerializer, UserRefOutput

from ..goals import GoalStatus, Progress
from ..models_coaching import GoalComparison, GoalKpi
from ..selectors.coaching import coached_agents
from ..services.coaching import MAX_TICKETS, NOTES_MAX_LENGTH


class GoalStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=GoalStatus.CHOICES, **kwargs)


class GoalStatusSchema(OpenApiSerializerFieldExtension):
    """Its own enum name: `status` is a ticket's property too."""

    target_class = GoalStatusField

    def get_name(self) -> str:
        return "CoachingGoalStatus"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        schema: dict[str, Any] = auto_schema._map_serializer_field(  # type: ignore[no-untyped-call]  # drf-spectacular's private helper is untyped
            self.target, direction, bypass_extensions=True
        )
        return {key: schema[key] for key in ("type", "enum", "description") if key in schema}


class CoachingTicketRefOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    reference = serializers.CharField()


class CoachingReviewRefOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    ticket = CoachingTicketRefOutput()
    score = serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=False)
    completed_at = serializers.DateTimeField()


class CoachingSessionOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    agent = UserRefOutput()
    coach = UserRefOutput()
    held_on = serializers.DateField()
    notes = serializers.CharField()
    tickets = CoachingTicketRefOutput(many=True, source="tickets.all")
    reviews = CoachingReviewRefOutput(many=True, source="reviews.all")
    created_at = serializers.DateTimeField()


class GoalProgressOutput(serializers.Serializer[Progress]):
    period_from = serializers.DateField(source="period_start", help_text=_("First day counted."))
    period_to = serializers.DateField(
        source="period_end", help_text=_("The day after the last day counted (exclusive).")
    )
    value = serializers.FloatField(
        allow_null=True,
        help_text=_("The agent's figure so far, as the KPI engine computes it (times in hours)."),
    )
    sample = serializers.IntegerField(help_text=_("Answers, tickets or reviews behind it."))
    sample_unit = serializers.ChoiceField(choices=["answers", "tickets", "reviews"])
    met_so_far = serializers.BooleanField(allow_null=True)
    status = GoalStatusField()
    is_due = serializers.BooleanField(help_text=_("The due date has passed."))
    final_value = serializers.FloatField(
        allow_null=True, help_text=_("The whole goal period's figure, once it is due.")
    )


class CoachingGoalOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    agent = UserRefOutput()
    kpi = serializers.ChoiceField(choices=GoalKpi.choices)
    comparison = serializers.ChoiceField(choices=GoalComparison.choices)
    target = serializers.DecimalField(max_digits=10, decimal_places=2, coerce_to_string=False)
    starts_on = serializers.DateField()
    due_on = serializers.DateField()
    note = serializers.CharField()
    created_by = UserRefOutput()
    created_at = serializers.DateTimeField()


def goal_body(progress: Progress) -> dict[str, Any]:
    """A goal as the API shows it: its fields and its `progress`."""
    return {
        **CoachingGoalOutput(progress.goal).data,
        "progress": GoalProgressOutput(progress).data,
    }


class CoachingGoalWithProgressOutput(CoachingGoalOutput):
    """(For the schema: `goal_body` builds it.)"""

    progress = GoalProgressOutput()


# --- input -------------------------------------------------------------------------------------


class SessionInput(StrictInputSerializer):
    agent = IdField(queryset=coached_agents(), help_text=_("An active agent."))  # type: ignore[no-untyped-call]  # common.py is checked at the default level
    held_on = serializers.DateField()
    notes = serializers.CharField(max_length=NOTES_MAX_LENGTH)
    tickets = serializers.ListField(
        child=serializers.CharField(max_length=30),
        max_length=MAX_TICKETS,
        required=False,
        default=list,
        help_text=_("References of the tickets discussed (PUL-000123): the agent's."),
    )
    reviews = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        max_length=MAX_TICKETS,
        required=False,
        default=list,
        help_text=_("Ids of the agent's completed reviews discussed."),
    )


class SessionChangeInput(SessionInput):
    """Any of the session's fields; its agent stays."""

    unknown_field_hints = {"agent": _("A session's agent cannot change.")}

    agent = None  # type: ignore[assignment]  # not a field here


class GoalInput(StrictInputSerializer):
    agent = IdField(queryset=coached_agents(), help_text=_("An active agent."))  # type: ignore[no-untyped-call]  # common.py is checked at the default level
    kpi = serializers.ChoiceField(choices=GoalKpi.choices)
    comparison = serializers.ChoiceField(choices=GoalComparison.choices)
    target = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        coerce_to_string=False,
        help_text=_("Percentages 0–100, NPS −100 to 100, CES 1–7, times in hours (more than 0)."),
    )
    starts_on = serializers.DateField()
    due_on = serializers.DateField(help_text=_("On or after `starts_on`."))
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class GoalChangeInput(GoalInput):
    """Any of the goal's fields; its agent stays."""

    unknown_field_hints = {"agent": _("A goal's agent cannot change.")}

    agent = None  # type: ignore[assignment]  # not a field here
