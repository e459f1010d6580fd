"""Quality's domain errors. They extend the cases errors, so the API's exception handler
(cases/api/errors.py) answers them with a JSON 400 / 403 and the pages show their message."""

from cases.errors import PermissionDenied, ValidationError


class QualityError(ValidationError):
    """The input is not acceptable (a score out of range, a ticket without an assignee …);
    nothing was written. `field` names the input at fault when there is one."""


class QualityPermissionDenied(PermissionDenied):
    """The acting user may not do this (review their own ticket, dispute someone else's
    review …); nothing was written."""
