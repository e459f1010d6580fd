"""Turn domain errors into the API's error bodies: 409 for lifecycle and version conflicts
(with the ticket's current status), 400 with field errors, 403 for refused permissions."""

from rest_framework import status
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
    return drf_exception_handler(exc, context)
