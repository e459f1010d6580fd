"""What every quality page does alike, and other apps' pages may use too: put a service's
refusal back on the form, keep per-user fragments out of shared caches, read the manager
dashboard's query string for the sections quality adds to it."""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control

from metrics.forms import DashboardFilterForm

from ..errors import QualityError

__all__ = ["dashboard_fragment", "private", "show_refusal"]


def show_refusal(form: Any, error: QualityError) -> None:
    """Each of the service's errors on its field when the form has one, else on the form as a
    whole. (A QualityPermissionDenied is left to propagate: Django answers it with a 403.)"""
    fields = getattr(form, "fields", {})
    for field, message in error.errors.items():
        form.add_error(field if field in fields else None, message)


def private(response: HttpResponse) -> HttpResponse:
    """Per user and never stored: what one user sees here is not another's."""
    patch_cache_control(response, private=True, no_store=True)
    return response


def dashboard_fragment(
    request: HttpRequest,
    template: str,
    context: Callable[[DashboardFilterForm], dict[str, Any]],
    error: str = "",
) -> HttpResponse:
    """A section of the manager dashboard, for the dashboard's own query string (period and
    filters, parsed by metrics' form): `context(form)` fills `template`. A query string the
    form refuses renders the section with `error` (else the form's own errors), 400."""
    form = DashboardFilterForm(request.GET)
    if not form.is_valid():
        why = error or " ".join(str(m) for messages in form.errors.values() for m in messages)
        return private(render(request, template, {"error": why}, status=400))
    return private(render(request, template, context(form)))
