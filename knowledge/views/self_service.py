"""The dashboard's self-service section (docs/kpis.md "Self-service"): an HTML fragment the
manager dashboard (templates/metrics/dashboard.html) loads by htmx with its own query string,
since metrics may not import knowledge. Managers and admins; agents 403."""

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from cases.models import Role
from cases.views.workspace import staff_required

from ..kpis import PeriodError, SelfService, read_period, self_service

MANAGER_ROLES = (Role.MANAGER, Role.ADMIN)


def can_see_self_service(user: Any) -> bool:
    return getattr(user, "role", None) in MANAGER_ROLES


@staff_required
@require_GET
def section(request: HttpRequest) -> HttpResponse:
    """The section for `period` / `from` / `to` as the dashboard's form writes them."""
    if not can_see_self_service(request.user):
        raise PermissionDenied
    try:
        period = read_period(request.GET)
    except PeriodError as error:
        response = render(
            request, "knowledge/_self_service.html", {"error": error.message}, status=400
        )
        patch_cache_control(response, private=True, no_store=True)
        return response
    language = (translation.get_language() or settings.LANGUAGE_CODE)[:2]
    figures: SelfService = self_service(period.start, period.end, language=language)
    response = render(
        request,
        "knowledge/_self_service.html",
        {"kpis": figures, "min_sample": settings.KPI_MIN_SAMPLE},
    )
    patch_cache_control(response, private=True, no_store=True)
    return response
