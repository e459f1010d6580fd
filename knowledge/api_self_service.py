"""`GET /api/v1/knowledge/self-service/`: the self-service KPIs (docs/kpis.md "Self-service")
for managers and admins, the same figures as the dashboard's section."""

from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from cases.api.common import StaffApi, error_responses

from .kpis import PeriodError, read_period, self_service
from .views.self_service import can_see_self_service

# What the endpoint reads, and DRF's own `format`. Anything else is refused, as the metrics API
# refuses it: the page's `period=90` sent here must not silently answer the default 30 days.
KNOWN_PARAMETERS = frozenset({"from", "to", "format"})


class IntervalOutput(serializers.Serializer[Any]):
    low = serializers.FloatField()
    high = serializers.FloatField()


class ArticleCountOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    title = serializers.CharField(help_text=_("In the caller's language, else the other."))
    count = serializers.IntegerField()


class QueryCountOutput(serializers.Serializer[Any]):
    query = serializers.CharField(help_text=_("The search's words, folded."))
    count = serializers.IntegerField()


class SelfServiceOutput(serializers.Serializer[Any]):
    start = serializers.DateField(help_text=_("First day of the period."))
    end = serializers.DateField(help_text=_("First day after the period."))
    views = serializers.IntegerField(help_text=_("Help-centre pages of articles served."))
    most_viewed = ArticleCountOutput(many=True)
    helpfulness = serializers.FloatField(
        allow_null=True, help_text=_("100 × yes / (yes + no) votes in the period.")
    )
    helpful_yes = serializers.IntegerField()
    votes = serializers.IntegerField(help_text=_("The helpfulness's sample."))
    helpfulness_low_sample = serializers.BooleanField()
    visits_shown = serializers.IntegerField(
        help_text=_("Web-form visits shown suggested articles, placed by their start.")
    )
    deflected = serializers.IntegerField(
        help_text=_(
            "Of those, visits that opened a suggested article and did not submit the form "
            "within 30 minutes."
        )
    )
    undecided = serializers.IntegerField(
        help_text=_("Visits that opened an article less than 30 minutes ago, not submitted.")
    )
    deflection_rate = serializers.FloatField(allow_null=True)
    deflection_interval = IntervalOutput(allow_null=True, help_text=_("95 % Wilson interval."))
    deflection_low_sample = serializers.BooleanField()
    searches = serializers.IntegerField()
    searches_without_results = serializers.IntegerField()
    no_results_share = serializers.FloatField(allow_null=True)
    content_gaps = QueryCountOutput(many=True, help_text=_("Top searches that found nothing."))
    viewed_before_ticket = ArticleCountOutput(
        many=True,
        help_text=_("Suggested articles opened in visits that submitted the form anyway."),
    )


class SelfServiceApi(StaffApi):
    """Managers and admins: the help centre's and the web form's figures for a period. Unknown
    query parameters are a 400 naming them."""

    @extend_schema(
        operation_id="knowledge_self_service",
        parameters=[
            OpenApiParameter("from", str, description=_("First day (YYYY-MM-DD).")),
            OpenApiParameter("to", str, description=_("First day not included (YYYY-MM-DD).")),
        ],
        responses={200: SelfServiceOutput, **error_responses(400)},
    )
    def get(self, request: Request) -> Response:
        if not can_see_self_service(request.user):
            raise PermissionDenied(_("Self-service figures are for managers."))
        unknown = sorted(set(request.query_params) - KNOWN_PARAMETERS)
        if unknown:
            raise ValidationError({key: [_("Unknown parameter.")] for key in unknown})
        params = {"from": request.query_params.get("from"), "to": request.query_params.get("to")}
        try:
            period = read_period({"period": "custom", **params} if any(params.values()) else {})
        except PeriodError as error:
            raise ValidationError({error.field: [error.message]}) from error
        language = (translation.get_language() or settings.LANGUAGE_CODE)[:2]
        figures = self_service(period.start, period.end, language=language)
        return Response(SelfServiceOutput(figures).data)
