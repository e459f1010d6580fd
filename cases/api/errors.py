"""Turn domain errors into the API's error bodies: 409 for lifecycle and version conflicts
(with the ticket's current status), 400 with field errors, 403 for refused permissions — and
the request errors Django raises while reading a body into JSON too (413 for a body over
DATA_UPLOAD_MAX_MEMORY_SIZE, 400 for too many form fields or files), where Django alone would
answer with its HTML 400 page."""

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ..errors import CasesError, ConflictError, PermissionDenied, TransitionError, ValidationError


def exception_handler(exc, context):
    if isinstance(exc, (TransitionError, ConflictError)):
        return Response(
            {"detail": exc.message, "status": exc.status}, status=status.HTTP_409_CONFLICT
        )
    if isinstance(exc, PermissionDenied):
        return Response({"detail": exc.message}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, ValidationError):
        body = {exc.field: [exc.message]} if exc.field else {"detail": exc.message}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, CasesError):
        return Response({"detail": exc.message}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):
        return Response(
            {"detail": _("The request body is too large.")},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        return Response(
            {"detail": _("The request has too many form fields or files.")},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        # get_object_or_404's message names the model in English ("No Ticket matches the
        # given query."): every missing object reads the same, in the caller's language.
        return Response({"detail": str(NotFound.default_detail)}, status=status.HTTP_404_NOT_FOUND)
    return drf_exception_handler(exc, context)


@method_decorator(csrf_exempt, name="dispatch")
class NotFoundApi(View):
    """Every /api/v1/ URL that names no endpoint (a non-numeric id included) answers JSON 404,
    whatever the method, where Django would answer with its HTML page. A URL that only lacks
    its trailing slash says so: the API does not redirect (a redirected POST loses its body)."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> JsonResponse:
        detail = str(NotFound.default_detail)
        if not request.path.endswith("/"):
            match = _resolves(request.path + "/")
            if match is not None and getattr(match.func, "view_class", None) is not NotFoundApi:
                detail = _("Not found. Did you mean %(path)s?") % {"path": request.path + "/"}
        return JsonResponse({"detail": detail}, status=status.HTTP_404_NOT_FOUND)


def _resolves(path: str):
    try:
        return resolve(path)
    except Resolver404:
        return None
