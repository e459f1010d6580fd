"""What customers talk about, for API clients (docs/insights.md, "Themes"): the themes of the
model in use with their figures in a period, ranked by how much they pull CSAT down, and a
manager's name for a theme. Managers and admins only."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from cases.api.common import StaffApi, StrictInputSerializer, error_responses
from cases.views.workspace import staff_user
from insights import selectors_themes as selectors
from insights.models import ModelStatus
from insights.models_themes import NAME_MAX, Theme
from insights.services import themes as services
from metrics import confidence
from metrics.api.views import MANAGER_ROLES, MetricsApi, MetricsQuery
from metrics.forms import CUSTOM, PRESETS, preset_range
from metrics.kpis import Period


class ThemesQuery(MetricsQuery):
    """The period as a preset (`period`, the dashboard's) or as `from`/`to`, and the
    dashboard's ticket filters."""

    period = serializers.ChoiceField(
        choices=list(PRESETS),
        required=False,
        help_text=_(
            "A preset, as on the dashboard: 7, 30 or 90 (days, today included), this_month, "
            "previous_month, this_year; custom (or none) reads `from` and `to`."
        ),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        preset = attrs.get("period") or CUSTOM
        if preset == CUSTOM:
            checked: dict[str, Any] = super().validate(attrs)  # type: ignore[no-untyped-call]  # metrics' serializers are untyped
            return checked
        if "from" in attrs or "to" in attrs:
            raise serializers.ValidationError(
                {"period": [_("Give a preset or the dates `from` and `to`, not both.")]}
            )
        start, end = preset_range(preset, timezone.localdate())
        attrs["period"] = Period.of(start, end)
        return attrs


def _manager(request: Request) -> None:
    if getattr(request.user, "role", None) not in MANAGER_ROLES:
        raise PermissionDenied(_("Themes are for managers and admins."))


def _span(period: Period) -> dict[str, str]:
    return {"from": period.start.isoformat(), "to": period.end.isoformat()}


def theme_body(theme: Theme) -> dict[str, Any]:
    return {
        "id": theme.pk,
        "number": theme.number,
        "name": theme.name,
        "label": theme.label,
        "top_terms": theme.words,
        "examples": [
            {"source": e["source"], "ticket": e["ticket"], "text": e["text"]}
            for e in theme.examples
        ],
        "texts": theme.texts,
        "name_edited_at": theme.name_edited_at.isoformat() if theme.name_edited_at else None,
    }


def themes_body(report: selectors.ThemesReport) -> dict[str, Any]:
    last = report.last
    state = "never_trained" if last is None else last.status
    if report.training is not None:
        state = ModelStatus.READY
    return {
        "period": _span(report.period),
        "previous": _span(report.previous),
        "state": state,
        "needed": (last.quality or {}).get("needed") if last is not None else None,
        "have": (last.quality or {}).get("have") if last is not None else None,
        "trained_at": report.training.trained_at.isoformat() if report.training else None,
        "min_sample": confidence.min_sample(),
        "overall": report.overall.as_dict(),
        "overall_previous": report.overall_before.as_dict(),
        "themes": [
            {
                **theme_body(row.theme),
                "mentions": row.mentions,
                "previous_mentions": row.previous_mentions,
                "figures": row.now.as_dict(),
                "previous": row.before.as_dict(),
                "csat_gap": row.csat_gap,
                "csat_pull": row.csat_pull,
                "nps_gap": row.nps_gap,
                "nps_pull": row.nps_pull,
            }
            for row in report.rows
        ],
    }


class ThemeNameInput(StrictInputSerializer):
    name = serializers.CharField(max_length=NAME_MAX, allow_blank=True, trim_whitespace=False)


class ThemesApi(MetricsApi):
    query_serializer = ThemesQuery

    @extend_schema(
        operation_id="insights_themes",
        parameters=[ThemesQuery],
        responses={200: dict, **error_responses(400)},
        description=_(
            "The themes customers talk about (survey comments and ticket texts) with, for the "
            "period and the one before: mentions, CSAT %, NPS and share of detractors of the "
            "answers whose comment or ticket mentions the theme, each with its sample and a "
            "low-sample flag; the overall figures; and how much each theme pulls CSAT and NPS "
            "(csat_pull, nps_pull: (theme's figure − overall figure) × theme's answers / all "
            "answers, one decimal; negative pulls down) — ranked by CSAT pull, most negative "
            "first. Managers and admins only."
        ),
    )
    def get(self, request: Request) -> Response:
        _manager(request)
        _data, period, filters = self.parse(request)
        report = selectors.themes_report(period, filters)
        return Response(themes_body(report))


class ThemeApi(StaffApi):
    @extend_schema(
        operation_id="insights_theme_rename",
        request=ThemeNameInput,
        responses={200: dict, **error_responses(400, 404)},
        description=_(
            "A manager's name for a theme of the model in use (kept by the next trainings' "
            "matching theme). Managers and admins only."
        ),
    )
    def patch(self, request: Request, id: int) -> Response:
        _manager(request)
        theme = get_object_or_404(selectors.current_themes(), pk=id)
        body = ThemeNameInput(data=request.data)
        body.is_valid(raise_exception=True)
        theme = services.rename_theme(
            theme=theme, by=staff_user(request), name=body.validated_data["name"]
        )
        return Response(theme_body(theme))
