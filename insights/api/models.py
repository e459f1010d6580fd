"""The trained models for API clients, /api/v1/insights/models/: the last trainings of each
kind, newest first, with their status and measured quality (what the admins' models page
shows), and the auto-apply rules. Admins only."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from cases.api.common import StaffApi, error_responses
from cases.permissions import is_admin
from insights import selectors
from insights.models import ModelKind, ModelStatus
from insights.services import auto_apply


class TrainingOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ModelKind.choices)
    status = serializers.ChoiceField(choices=ModelStatus.choices)
    in_use = serializers.BooleanField(help_text=_("The newest ready training of its kind."))
    trained_at = serializers.DateTimeField()
    documents = serializers.IntegerField(help_text=_("How many texts it learned from."))
    seconds = serializers.FloatField(help_text=_("How long the training took."))
    quality = serializers.JSONField(
        help_text=_(
            "Measured on the newest fifth of the history (triage: per field accuracy and "
            "macro-F1 against the commonest-value baseline); with too little history, "
            "`needed` and `have`."
        )
    )
    message = serializers.CharField(help_text=_("Why a training failed (empty otherwise)."))


class RuleOutput(serializers.Serializer[Any]):
    field = serializers.CharField()
    enabled = serializers.BooleanField()
    threshold = serializers.DecimalField(max_digits=3, decimal_places=2)
    updated_at = serializers.DateTimeField(allow_null=True)
    automatic_30_days = serializers.IntegerField(
        help_text=_("Tickets changed automatically in the last 30 days.")
    )
    accepted_30_days = serializers.IntegerField(
        help_text=_("Tickets whose suggestion an agent accepted in the last 30 days.")
    )


class ModelsOutput(serializers.Serializer[Any]):
    trainings = TrainingOutput(many=True)
    auto_apply = RuleOutput(many=True)


class ModelsApi(StaffApi):
    @extend_schema(
        summary=_("Trained models and auto-apply rules"),
        responses={200: ModelsOutput, **error_responses(403)},
    )
    def get(self, request: Request) -> Response:
        if not is_admin(request.user):
            raise PermissionDenied(_("The models are for admins."))
        trainings: list[dict[str, Any]] = []
        for kind in ModelKind.values:
            last = selectors.trainings(kind)
            in_use = last.in_use.pk if last.in_use else None
            trainings.extend(
                {
                    "id": row.pk,
                    "kind": row.kind,
                    "status": row.status,
                    "in_use": row.pk == in_use,
                    "trained_at": row.trained_at,
                    "documents": row.documents,
                    "seconds": row.seconds,
                    "quality": row.quality,
                    "message": row.message,
                }
                for row in last.history
            )
        counts = auto_apply.applied_counts(days=30)
        rules = [
            {
                "field": field,
                "enabled": rule.enabled,
                "threshold": rule.threshold,
                "updated_at": rule.updated_at if rule.pk else None,
                "automatic_30_days": counts[field].automatic,
                "accepted_30_days": counts[field].accepted,
            }
            for field, rule in auto_apply.rules().items()
        ]
        return Response(ModelsOutput({"trainings": trainings, "auto_apply": rules}).data)
