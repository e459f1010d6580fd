"""Survey answers for staff: agents see their teams' (and their own), managers and admins all
of them (`responses_visible_to`), with the filters of the responses page
(`surveys.filters.ResponseFilter`)."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers

from cases.api.common import ApiFilterSet, StaffListApi, UserRefOutput, error_responses

from ..filters import ResponseFilter
from ..models import FollowUpStatus, Source, SurveyResponse
from ..selectors import responses_visible_to


class FollowUpStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=FollowUpStatus.choices, **kwargs)


class FollowUpStatusSchema(OpenApiSerializerFieldExtension):
    """One named enum, `FollowUpStatus`: tickets have a `status` too, and drf-spectacular
    cannot name two choice sets of one property name without a settings override."""

    target_class = FollowUpStatusField

    def get_name(self) -> str:
        return "FollowUpStatus"

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        return {key: schema[key] for key in ("type", "enum", "description") if key in schema}


class SurveyTicketRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    subject = serializers.CharField()


class SurveyNamedRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class FollowUpRefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = FollowUpStatusField()


class ScoresOutput(serializers.Serializer):
    csat = serializers.IntegerField(allow_null=True, help_text=_("1–5, null if not answered."))
    ces = serializers.IntegerField(allow_null=True, help_text=_("1–7, null if not answered."))
    nps = serializers.IntegerField(allow_null=True, help_text=_("0–10, null if not answered."))
    comment = serializers.CharField()


class SurveyResponseOutput(ScoresOutput):
    id = serializers.IntegerField()
    ticket = SurveyTicketRefOutput()
    customer = SurveyNamedRefOutput(source="ticket.customer")
    agent = UserRefOutput(allow_null=True, help_text=_("The agent at resolution."))
    team = SurveyNamedRefOutput(allow_null=True, help_text=_("The team at resolution."))
    source = serializers.ChoiceField(choices=Source.choices)  # type: ignore[assignment]  # DRF moves a declared field off the class
    answered_at = serializers.DateTimeField()
    follow_up = serializers.SerializerMethodField()

    @extend_schema_field(
        FollowUpRefOutput(
            allow_null=True, help_text=_("Opened for a detractor or an unhappy customer.")
        )
    )
    def get_follow_up(self, response: SurveyResponse):
        follow_up = getattr(response, "follow_up", None)
        return FollowUpRefOutput(follow_up).data if follow_up else None


class IntegerFilter(django_filters.NumberFilter):
    """A whole number: scores are (the page's filter takes any number and finds nothing)."""

    field_class = forms.IntegerField


class ApiResponseFilter(ApiFilterSet, ResponseFilter):
    """The responses page's filters, with scores as whole numbers."""

    csat = IntegerFilter(field_name="csat", label=_("CSAT score"))
    ces = IntegerFilter(field_name="ces", label=_("CES score"))
    nps = IntegerFilter(field_name="nps", label=_("NPS score"))

    class Meta(ResponseFilter.Meta):
        pass


class ResponseListApi(StaffListApi):
    """The survey answers the caller may see, newest first: agents their teams' and their
    own, managers and admins all of them."""

    filterset_class = ApiResponseFilter

    def get_queryset(self):
        return responses_visible_to(self.request.user).select_related("follow_up")

    @extend_schema(
        operation_id="surveys_responses_list",
        responses={200: SurveyResponseOutput(many=True), **error_responses(400)},
    )
    def get(self, request):
        responses = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(responses)
        return self.get_paginated_response(SurveyResponseOutput(page, many=True).data)
