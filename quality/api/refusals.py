"""How quality's API answers a service's refusal, for every quality endpoint at once: a
QualityError is a 400 naming each field at fault (coaching checks a whole form and names
several) or a 409 when the record's state does not allow it now; everything else — a refused
permission (403), a missing object — as the rest of the API answers it (cases/api/errors.py).
The endpoints just call the service: no try/except of their own."""

from collections.abc import Callable
from typing import Any

from rest_framework import status
from rest_framework.response import Response

from cases.api.common import StaffApi, StaffListApi
from cases.api.errors import exception_handler as cases_exception_handler

from ..errors import QualityError

Handler = Callable[[Exception, dict[str, Any]], Response | None]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, QualityError):
        if exc.code == "conflict":
            return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)
        if set(exc.errors) == {""}:
            return Response({"detail": exc.message}, status=status.HTTP_400_BAD_REQUEST)
        body = {field or "detail": [message] for field, message in exc.errors.items()}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    response: Response | None = cases_exception_handler(exc, context)  # type: ignore[no-untyped-call]  # cases.api is not annotated
    return response


class QualityApi(StaffApi):
    """A staff endpoint of quality's, its refusals answered by `exception_handler`."""

    def get_exception_handler(self) -> Handler:
        return exception_handler


class QualityListApi(StaffListApi):
    """A staff list endpoint of quality's, its refusals answered by `exception_handler`."""

    def get_exception_handler(self) -> Handler:
        return exception_handler
