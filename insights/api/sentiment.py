"""A customer's mood in the API, under /api/v1/insights/: how likely it is that an open
ticket's customer is unhappy, read from their own messages by the model learned from the
desk's survey comments (docs/insights.md, "Sentiment"). Any staff member, on a ticket they
can see (404 otherwise). Without a reading, `reason` says why in one sentence."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from cases.api.common import StaffApi, error_responses
from insights.selectors import visible_ticket_or_404
from insights.sentiment import sentiment_state


class ModelRefOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    trained_at = serializers.DateTimeField()
    documents = serializers.IntegerField(help_text=_("Survey comments it learned from."))


class SentimentOutput(serializers.Serializer[Any]):
    ticket = serializers.IntegerField()
    model = ModelRefOutput(
        allow_null=True, help_text=_("The model that read the messages; null when none did.")
    )
    unhappy_probability = serializers.FloatField(
        allow_null=True, help_text=_("How likely the customer is unhappy, 0 to 1.")
    )
    label = serializers.ChoiceField(  # type: ignore[assignment]  # the field named "label"
        choices=["unhappy", "calm"],
        allow_null=True,
        help_text=_("`unhappy` from a probability of 0.6 on."),
    )
    excerpt = serializers.CharField(
        help_text=_("What the customer wrote that sounds most unhappy, cut short.")
    )
    reason = serializers.CharField(help_text=_("Why there is no reading (empty when there is)."))


class TicketSentimentApi(StaffApi):
    """Whether the customer of an open ticket sounds unhappy, and how sure the model is."""

    @extend_schema(
        operation_id="insights_ticket_sentiment",
        responses={200: SentimentOutput, **error_responses(404)},
    )
    def get(self, request: Request, id: int) -> Response:
        ticket = visible_ticket_or_404(request.user, id)
        state = sentiment_state(ticket)
        mood = state.mood
        data = {
            "ticket": ticket.pk,
            "model": state.model,
            "unhappy_probability": mood.unhappy_probability if mood else None,
            "label": mood.label if mood else None,
            "excerpt": mood.excerpt if mood else "",
            "reason": state.reason,
        }
        return Response(SentimentOutput(data).data)
