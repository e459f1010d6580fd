"""Pulso's own error pages, in the visitor's language (LocaleMiddleware has already chosen
it): 400, 403, 404, 413 (a form post over DATA_UPLOAD_MAX_MEMORY_SIZE), 429, 500 and the
CSRF failure. Under /api/ every one is a JSON body instead, like the API's own errors.

config/urls.py names them as Django's handlers; CSRF_FAILURE_VIEW and RATELIMIT_VIEW point
here too. The 500 page is rendered without the request's context: no session, user or
database is read, so it still shows while those are what failed."""

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import get_language
from django.utils.translation import gettext as _

API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def _error(request: HttpRequest, template: str, status: int, detail: str) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": detail}, status=status)
    return render(request, template, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400. A body over the size limit is a 413, the rest a 400."""
    if isinstance(exception, RequestDataTooBig):
        return _error(request, "413.html", 413, _("The request body is too large."))
    return _error(request, "400.html", 400, _("The request could not be understood."))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler403."""
    return _error(request, "403.html", 403, _("You do not have permission to perform this action."))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404."""
    return _error(request, "404.html", 404, _("Not found."))


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a page that needs nothing that may have failed (no context processors)."""
    if _is_api(request):
        return JsonResponse({"detail": _("A server error occurred.")}, status=500)
    html = loader.get_template("500.html").render({"LANGUAGE_CODE": get_language()})
    return HttpResponse(html, status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: mostly a form left open past its session, or cookies turned off."""
    return _error(
        request, "403_csrf.html", 403, _("The form had expired. Reload the page and try again.")
    )


def rate_limited(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """django-ratelimit's view for a blocked request: a clear 429, nothing else."""
    return _error(request, "429.html", 429, _("Too many requests. Try again later."))
