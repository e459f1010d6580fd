"""Why a KPI moved (docs/kpis.md, "Why it moved"): `GET /api/v1/metrics/explain/`, the change
of one KPI against the previous period split into rate and mix per team, agent, channel,
category and priority, as `metrics.explain` computes it from the breakdowns.

Like the other metrics endpoints: managers and admins see the whole desk, an agent their own
tickets only (the agent filter is forced to the caller)."""

from dataclasses import asdict
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from cases.api.common import error_responses

from .. import explain as engine
from ..kpis import Period
from .views import KeyField, MetricsApi, MetricsQuery

POINTS_HELP = _(
    "In the KPI's unit (percentage points, score points, seconds; tickets or answers for a "
    "count), unrounded."
)


class ExplainQuery(MetricsQuery):
    kpi = serializers.ChoiceField(
        choices=list(engine.EXPLAINED_KPIS),
        help_text=_(
            "A rate or an average (csat, nps, ces, fcr, frt…: *_median and *_p90 are explained "
            "through the mean), or a count (volume, resolved, responses)."
        ),
    )


class MetricsExplainPeriodOutput(serializers.Serializer[Any]):
    to = serializers.DateTimeField(help_text=_("End, not included."))

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        start = serializers.DateTimeField(help_text=_("Start, included."))
        return {"from": start, **super().get_fields()}


class MetricsExplainSegmentOutput(serializers.Serializer[Any]):
    key = KeyField(
        help_text=_("Team, agent or category id; channel or priority code; null for none.")
    )
    label = serializers.CharField()  # type: ignore[assignment]  # DRF moves a declared field off the class
    n0 = serializers.IntegerField(help_text=_("The segment's sample in the previous period."))
    n1 = serializers.IntegerField(help_text=_("The segment's sample in the period."))
    w0 = serializers.FloatField(help_text=_("Share of the items in the previous period, 0–1."))
    w1 = serializers.FloatField(help_text=_("Share of the items in the period, 0–1."))
    r0 = serializers.FloatField(allow_null=True, help_text=_("Its figure before; null if absent."))
    r1 = serializers.FloatField(allow_null=True, help_text=_("Its figure now; null if absent."))
    rate = serializers.FloatField(help_text=_("w1 × (r1 − r0)."))
    mix = serializers.FloatField(help_text=_("(w1 − w0) × (r0 − R0)."))
    total = serializers.FloatField(help_text=_("rate + mix."))


class MetricsExplainDimensionOutput(serializers.Serializer[Any]):
    dimension = serializers.CharField()
    r0 = serializers.FloatField(allow_null=True, help_text=_("R0 as its segments add it up."))
    r1 = serializers.FloatField(allow_null=True, help_text=_("R1 as its segments add it up."))
    total = serializers.FloatField(help_text=_("Σ (rate + mix) = r1 − r0."))
    segments = MetricsExplainSegmentOutput(many=True)


class MetricsExplainContributionOutput(serializers.Serializer[Any]):
    dimension = serializers.CharField()
    key = KeyField()
    label = serializers.CharField()  # type: ignore[assignment]  # DRF moves a declared field off the class
    kind = serializers.ChoiceField(choices=["rate", "mix", "volume"])
    points = serializers.FloatField(help_text=POINTS_HELP)


class MetricsExplainOutput(serializers.Serializer[Any]):
    kpi = serializers.CharField()
    measure = serializers.ChoiceField(
        choices=["value", "mean", "count"],
        help_text=_("What is explained: the KPI's value, the mean (for a median or p90), a count."),
    )
    period = MetricsExplainPeriodOutput()
    previous = MetricsExplainPeriodOutput(help_text=_("The same length just before."))
    r0 = serializers.FloatField(allow_null=True, help_text=_("The figure in the previous period."))
    r1 = serializers.FloatField(allow_null=True, help_text=_("The figure in the period."))
    change = serializers.FloatField(allow_null=True, help_text=_("r1 − r0."))
    dimensions = MetricsExplainDimensionOutput(many=True)
    contributions = MetricsExplainContributionOutput(
        many=True, help_text=_("Every non-zero term of every dimension, largest first.")
    )


def _period(period: Period) -> dict[str, str]:
    return {"from": period.start.isoformat(), "to": period.end.isoformat()}


def explanation_body(explanation: engine.Explanation) -> dict[str, Any]:
    return {
        "kpi": explanation.kpi,
        "measure": explanation.measure,
        "period": _period(explanation.period),
        "previous": _period(explanation.previous),
        "r0": explanation.r0,
        "r1": explanation.r1,
        "change": explanation.change,
        "dimensions": [
            {
                "dimension": dimension.dimension,
                "r0": dimension.r0,
                "r1": dimension.r1,
                "total": dimension.total,
                "segments": [
                    {**asdict(segment), "total": segment.total} for segment in dimension.segments
                ],
            }
            for dimension in explanation.dimensions
        ],
        "contributions": [asdict(item) for item in explanation.contributions],
    }


class ExplainApi(MetricsApi):
    query_serializer = ExplainQuery

    @extend_schema(
        operation_id="metrics_explain",
        parameters=[ExplainQuery],
        responses={200: MetricsExplainOutput, **error_responses(400)},
        description=_(
            "Why a KPI moved against the previous period: its change split into rate (the "
            "segment's own figure changed) and mix (its share changed) per team, agent, "
            "channel, category and priority; within each, the terms add up to the change. "
            "Agents: their own tickets only."
        ),
    )
    def get(self, request: Request) -> Response:
        data, period, filters = self.parse(request)
        return Response(explanation_body(engine.explain(data["kpi"], period, filters)))
