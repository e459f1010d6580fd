"""Input and output shapes of the problems API (quality/api/problems.py)."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cases.api.common import MAX_ID, JsonInput

from ..models_problems import Problem, ProblemStatus
from ..services.problems import LINK_MAX, TEXT_MAX, TITLE_MAX


class WholeIdField(serializers.IntegerField):
    """An id inside a JSON list: a whole number as JSON writes it, never the text "12"."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return int(super().to_internal_value(data))


class ProblemStatusField(serializers.ChoiceField):
    """A problem's status: investigating, known_error or fixed. An enum in the schema, named
    `ProblemStatusEnum` by config/settings.py ENUM_NAME_OVERRIDES (beside the tickets'
    `StatusEnum`)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", _("investigating, known_error or fixed."))
        kwargs.setdefault(
            "error_messages", {"invalid_choice": _("Use investigating, known_error or fixed.")}
        )
        super().__init__(choices=ProblemStatus.choices, **kwargs)


def _ids(help_text: Any) -> "serializers.ListField":
    return serializers.ListField(
        child=WholeIdField(),
        allow_empty=False,
        max_length=LINK_MAX,
        help_text=help_text,
    )


class ProblemOutput(serializers.Serializer[Problem]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    root_cause = serializers.CharField()
    owner = serializers.IntegerField(source="owner_id", allow_null=True)
    status = ProblemStatusField()
    fix_note = serializers.CharField()
    fixed_at = serializers.DateTimeField(allow_null=True)
    origin = serializers.DictField(help_text=_("Where it was opened from (`kind` and details)."))
    created_by = serializers.IntegerField(source="created_by_id")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    linked_tickets = serializers.SerializerMethodField(
        help_text=_("How many tickets are linked (some may be ones you cannot see).")
    )

    def get_linked_tickets(self, problem: Problem) -> int:
        linked = getattr(problem, "linked", None)
        return int(linked) if linked is not None else problem.links.count()


class ProblemDetailOutput(ProblemOutput):
    tickets = serializers.SerializerMethodField(
        help_text=_("The ids of the linked tickets you can see.")
    )

    def get_tickets(self, problem: Problem) -> list[int]:
        return list(self.context["tickets"])


class ProblemListQuery(serializers.Serializer[Any]):
    status = serializers.ChoiceField(
        choices=[*ProblemStatus.values, "open"],
        required=False,
        help_text=_("Only this status; `open` means not fixed."),
    )


class ProblemInput(JsonInput):
    title = serializers.CharField(max_length=TITLE_MAX)
    description = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    root_cause = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    owner = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    tickets = serializers.ListField(
        child=WholeIdField(),
        max_length=LINK_MAX,
        required=False,
        help_text=_("Ticket ids to link (tickets you can see)."),
    )
    follow_ups = serializers.ListField(
        child=WholeIdField(),
        max_length=LINK_MAX,
        required=False,
        help_text=_("Survey follow-up ids to link, with their tickets (managers and admins)."),
    )


class ProblemPatchInput(JsonInput):
    title = serializers.CharField(max_length=TITLE_MAX, required=False)
    description = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    root_cause = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    owner = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False, allow_null=True)
    status = ProblemStatusField(required=False)
    fix_note = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    fixed_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text=_("When it was fixed (status fixed only; now if left out; not in the future)."),
    )


class TicketIdsInput(JsonInput):
    tickets = _ids(_("Ticket ids to link."))


class LinkOutcomeOutput(serializers.Serializer[Any]):
    linked = serializers.ListField(child=serializers.IntegerField())
    already = serializers.ListField(
        child=serializers.IntegerField(), help_text=_("Linked before this request.")
    )
    not_visible = serializers.ListField(
        child=serializers.IntegerField(),
        help_text=_("No ticket you can see has this id: not linked."),
    )


class FollowUpIdsInput(JsonInput):
    follow_ups = _ids(_("Survey follow-up ids to link."))


class FollowUpLinkOutput(serializers.Serializer[Any]):
    linked = serializers.ListField(child=serializers.IntegerField())
    already = serializers.ListField(child=serializers.IntegerField())
    not_found = serializers.ListField(child=serializers.IntegerField())
    tickets = LinkOutcomeOutput()


class BulkAnswerInput(JsonInput):
    message_es = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    message_en = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)
    resolve = serializers.BooleanField(
        default=True, help_text=_("Resolve each ticket too, with the message as resolution.")
    )


class BulkAnswerResultOutput(serializers.Serializer[Any]):
    ticket = serializers.IntegerField()
    reference = serializers.CharField()
    outcome = serializers.ChoiceField(choices=["answered", "refused", "skipped"])
    reason = serializers.CharField(help_text=_("Why it was refused or skipped."))


class BulkAnswerOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    problem = serializers.IntegerField(source="problem_id")
    by = serializers.IntegerField(source="by_id")
    at = serializers.DateTimeField()
    message_es = serializers.CharField()
    message_en = serializers.CharField()
    resolve = serializers.BooleanField()
    finished_at = serializers.DateTimeField(
        allow_null=True, help_text=_("Empty while it is still being sent.")
    )
    results = BulkAnswerResultOutput(many=True, source="worded_results")


class ProblemIntervalOutput(serializers.Serializer[Any]):
    low = serializers.FloatField()
    high = serializers.FloatField()


class FigureCsatOutput(serializers.Serializer[Any]):
    percent = serializers.FloatField(allow_null=True)
    responses = serializers.IntegerField()
    interval = ProblemIntervalOutput(allow_null=True)
    low_sample = serializers.BooleanField()


class FigureNpsOutput(serializers.Serializer[Any]):
    score = serializers.FloatField(allow_null=True)
    responses = serializers.IntegerField()
    low_sample = serializers.BooleanField()


class FigureReopenOutput(serializers.Serializer[Any]):
    percent = serializers.FloatField(allow_null=True)
    reopened = serializers.IntegerField()
    tickets = serializers.IntegerField()
    interval = ProblemIntervalOutput(allow_null=True)
    low_sample = serializers.BooleanField()


class SideOutput(serializers.Serializer[Any]):
    tickets = serializers.IntegerField()
    csat = FigureCsatOutput()
    nps = FigureNpsOutput()
    reopen_rate = FigureReopenOutput()


class WeekOutput(serializers.Serializer[Any]):
    week = serializers.DateField(help_text=_("The week's Monday."))
    tickets = serializers.IntegerField()


class FiguresOutput(serializers.Serializer[Any]):
    weeks = WeekOutput(many=True)
    fixed_at = serializers.DateTimeField(allow_null=True)
    before = SideOutput(allow_null=True)
    after = SideOutput(allow_null=True)
