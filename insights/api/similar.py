"""Similar solved cases in the API, under /api/v1/insights/: up to five resolved or closed
tickets whose words are nearest a ticket's, among those the caller may see, with their
resolution and rating (docs/insights.md). Any staff member, on a ticket they can see (404
otherwise). An empty list when there is no index yet or nothing is near."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from cases.api.common import StaffApi, error_responses
from insights.selectors import similar_solved, visible_ticket_or_404


class SimilarCaseOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    subject = serializers.CharField()
    resolution = serializers.CharField(help_text=_("How it was solved, as the agent wrote it."))
    similarity = serializers.FloatField(
        help_text=_("How close its words are to the ticket's, 0 to 1.")
    )
    csat = serializers.IntegerField(
        allow_null=True, help_text=_("CSAT (1–5) of its latest answered survey; null if none.")
    )
    nps = serializers.IntegerField(
        allow_null=True, help_text=_("NPS (0–10) of its latest answered survey; null if none.")
    )
    url = serializers.CharField(help_text=_("The ticket's page."))


class TicketSimilarApi(StaffApi):
    """The solved cases most similar to a ticket, nearest first."""

    @extend_schema(
        operation_id="insights_ticket_similar",
        responses={200: SimilarCaseOutput(many=True), **error_responses(404)},
    )
    def get(self, request: Request, id: int) -> Response:
        ticket = visible_ticket_or_404(request.user, id)
        data = [
            {
                "id": case.ticket.pk,
                "reference": case.ticket.reference,
                "subject": case.ticket.subject,
                "resolution": case.resolution,
                "similarity": case.similarity,
                "csat": case.csat,
                "nps": case.nps,
                "url": reverse("cases:ticket_detail", args=[case.ticket.pk]),
            }
            for case in similar_solved(ticket, request.user)
        ]
        return Response(SimilarCaseOutput(data, many=True).data)
