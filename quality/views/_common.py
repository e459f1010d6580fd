"""What every quality page does alike: put a service's refusal back on the form, and keep
per-user fragments out of shared caches."""

from typing import Any

from django.http import HttpResponse
from django.utils.cache import patch_cache_control

from ..errors import QualityError


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
