"""Triage suggestions in the API, under /api/v1/insights/: a ticket's suggested category,
team and priority with the model's confidence, and accepting one. Any staff member, on a
ticket they can see (404 otherwise). Refusals answer JSON as the rest of the API does
(cases/api/errors.py): 400 with the field at fault (a value the model does not suggest now),
409 for a closed or merged ticket or a stale `version`."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from cases.api.common import (
    StaffApi,
    StrictInputSerializer,
    UserRefOutput,
    VersionInput,
    error_responses,
)
from cases.models import User
from insights.models import AppliedSuggestion, TriageField
from insights.selectors import visible_ticket_or_404
from insights.services.suggestions import apply_suggestion
from insights.triage_state import triage_state


class SuggestionOutput(serializers.Serializer[Any]):
    field = serializers.ChoiceField(choices=TriageField.choices)
    value = serializers.CharField(
        help_text=_("A category or team id as text, or a priority: what `accept` takes.")
    )
    label = serializers.CharField(  # type: ignore[assignment]  # the field named "label", not Field.label
        help_text=_("What an agent reads: the name or the priority.")
    )
    confidence = serializers.FloatField(help_text=_("The model's probability, 0 to 1."))
    current = serializers.BooleanField(help_text=_("The ticket already has this value."))
    model_trained_at = serializers.DateTimeField(source="model.trained_at")


class TriageOutput(serializers.Serializer[Any]):
    ticket = serializers.IntegerField()
    version = serializers.IntegerField(help_text=_("The ticket's version, for `accept`."))
    can_classify = serializers.BooleanField(
        help_text=_("False for a closed or merged ticket: nothing is suggested then.")
    )
    suggestions = SuggestionOutput(many=True)
    message = serializers.CharField(
        help_text=_("Why there are no suggestions (empty when there are some).")
    )


class AcceptInput(StrictInputSerializer, VersionInput):
    field = serializers.ChoiceField(choices=TriageField.choices)
    value = serializers.CharField(
        max_length=100, help_text=_("The suggested value, as GET answered it.")
    )


class AppliedOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    ticket = serializers.IntegerField(source="ticket_id")
    version = serializers.IntegerField(source="ticket.version")
    field = serializers.ChoiceField(choices=TriageField.choices)
    value = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the field named "label"
    confidence = serializers.FloatField()
    outcome = serializers.CharField()
    by = UserRefOutput(allow_null=True)
    at = serializers.DateTimeField()
    model_trained_at = serializers.DateTimeField(source="model.trained_at")


class TicketTriageApi(StaffApi):
    """The ticket's triage suggestions, each with the model's confidence."""

    @extend_schema(
        operation_id="insights_ticket_triage",
        responses={200: TriageOutput, **error_responses(404)},
    )
    def get(self, request: Request, id: int) -> Response:
        ticket = visible_ticket_or_404(request.user, id)
        state = triage_state(ticket)
        data = {
            "ticket": ticket.pk,
            "version": ticket.version,
            "can_classify": state.can_classify,
            "suggestions": state.suggestions,
            "message": state.message,
        }
        return Response(TriageOutput(data).data)


class TicketTriageAcceptApi(StaffApi):
    """Accept one suggestion: the value must be what the model suggests now (GET), else 400
    and nothing changes. The ticket is classified as if by the caller, its timeline saying it
    was a suggestion and how sure the model was."""

    @extend_schema(
        operation_id="insights_ticket_triage_accept",
        request=AcceptInput,
        responses={200: AppliedOutput, **error_responses(400, 404, 409)},
    )
    def post(self, request: Request, id: int) -> Response:
        ticket = visible_ticket_or_404(request.user, id)
        serializer = AcceptInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = request.user
        assert isinstance(user, User)  # IsStaff let only people with a role in
        applied: AppliedSuggestion = apply_suggestion(
            ticket=ticket,
            field=serializer.validated_data["field"],
            value=serializer.validated_data["value"],
            by=user,
            expected_version=serializer.validated_data.get("version"),
        )
        return Response(AppliedOutput(applied).data)
