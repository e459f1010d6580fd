"""Churn read against experience (docs/kpis.md, "Churn and experience"): the churn and
retention of the customers split by their NPS group and CSAT at the period's start, and by
whether a case of theirs was escalated or missed an SLA deadline in the 90 days before it.

Managers and admins only: the groups are read from every customer's survey answers and
cases, of which an agent sees only their teams' (`surveys.selectors.responses_visible_to`).
The desk's headline churn rate stays in the summary for everyone."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from cases.api.common import StaffApi, error_responses

from .. import kpis
from ..presentation.labels import CHURN_SPLIT_TITLES, churn_group_label
from .views import MANAGER_ROLES, PeriodQuery

CHURN_HELP = _(
    "100 × C_g / S_g: S_g customers of the group active at the period's start, C_g customers "
    "of the group who churned in the period (dates in TIME_ZONE); null when S_g is 0."
)


class MetricsChurnIntervalOutput(serializers.Serializer[Any]):
    low = serializers.FloatField(help_text=_("Lower end, 0–100, one decimal."))
    high = serializers.FloatField(help_text=_("Upper end, 0–100, one decimal."))


class MetricsChurnGroupOutput(serializers.Serializer[Any]):
    group = serializers.CharField(help_text=_("The group's code."))
    label = serializers.CharField()  # type: ignore[assignment]  # DRF moves a declared field off the class
    S = serializers.IntegerField(help_text=_("Customers of the group active at the start."))
    C = serializers.IntegerField(help_text=_("Customers of the group who churned in the period."))
    churn_rate = serializers.FloatField(allow_null=True, help_text=CHURN_HELP)
    retention_rate = serializers.FloatField(
        allow_null=True, help_text=_("100 × (S_g − C_g) / S_g: churn + retention = 100.")
    )
    interval = MetricsChurnIntervalOutput(
        allow_null=True,
        help_text=_("The churn rate's 95 % Wilson interval; null when S_g is 0."),
    )
    low_sample = serializers.BooleanField(
        help_text=_("S_g is under `min_sample`: computed, but read it with care.")
    )


class MetricsChurnSplitOutput(serializers.Serializer[Any]):
    title = serializers.CharField()
    groups = MetricsChurnGroupOutput(many=True)


class MetricsChurnSplitsOutput(serializers.Serializer[Any]):
    nps = MetricsChurnSplitOutput(
        help_text=_(
            "By the NPS group of the customer's latest NPS answer before the start: "
            "detractor (0–6), passive (7–8), promoter (9–10), not_surveyed."
        )
    )
    csat = MetricsChurnSplitOutput(
        help_text=_(
            "By the customer's latest CSAT answer before the start: unsatisfied (1–3), "
            "satisfied (4–5), not_surveyed."
        )
    )
    escalated = MetricsChurnSplitOutput(
        help_text=_("A case of the customer escalated in the 90 days before the start, or not.")
    )
    sla_breached = MetricsChurnSplitOutput(
        help_text=_(
            "A case of the customer missed an SLA deadline in the 90 days before the start, or not."
        )
    )


class MetricsChurnPeriodOutput(serializers.Serializer[Any]):
    to = serializers.DateTimeField(help_text=_("End, not included."))

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        start = serializers.DateTimeField(help_text=_("Start, included."))
        return {"from": start, **super().get_fields()}


class MetricsChurnOutput(serializers.Serializer[Any]):
    period = MetricsChurnPeriodOutput()
    min_sample = serializers.IntegerField(
        help_text=_("A group with fewer customers at the start is flagged `low_sample`.")
    )
    overall = MetricsChurnGroupOutput(
        help_text=_("Every customer (the group `all`): the desk's S, C and churn rate.")
    )
    splits = MetricsChurnSplitsOutput()


def churn_body(period: kpis.Period) -> dict[str, Any]:
    """The engine's split with each group's label and each split's title, as the API
    serves it."""
    split = kpis.churn_split(period)
    return {
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat()},
        "min_sample": split["min_sample"],
        "overall": {**split["overall"], "label": str(_("All customers"))},
        "splits": {
            name: {
                "title": str(CHURN_SPLIT_TITLES[name]),
                "groups": [
                    {**group, "label": churn_group_label(name, group["group"])} for group in groups
                ],
            }
            for name, groups in split["splits"].items()
        },
    }


class ChurnApi(StaffApi):
    """Managers and admins: churn and retention per experience group."""

    @extend_schema(
        operation_id="metrics_churn",
        parameters=[PeriodQuery],
        responses={200: MetricsChurnOutput, **error_responses(400)},
        description=_(
            "Churn and retention of the customers split by their NPS group and CSAT at the "
            "period's start (their latest answer before it) and by whether a case of theirs "
            "was escalated, or missed an SLA deadline, in the 90 days before it; each group "
            "with its counts, the churn rate's 95 % Wilson interval and a low-sample flag. "
            "All customers: the ticket filters do not apply. Managers and admins only."
        ),
    )
    def get(self, request: Request) -> Response:
        if getattr(request.user, "role", None) not in MANAGER_ROLES:
            raise PermissionDenied(_("Churn by experience is for managers."))
        query = PeriodQuery(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        return Response(churn_body(query.validated_data["period"]))
