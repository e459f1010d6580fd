"""Quality's domain errors, one family for reviews, sampling, coaching and problems. They
extend the cases errors, so the API's exception handler (cases/api/errors.py, with
quality/api/refusals.py for several fields and 409) answers them with JSON and the pages show
their message."""

from collections.abc import Mapping

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied

from cases.errors import PermissionDenied, ValidationError


class QualityError(ValidationError):
    """The input is not acceptable (a score out of range, a ticket without an assignee …);
    nothing was written. `errors` maps each wrong field ("" for the whole) to why — a form
    checked at once names several —; `field` and `message` are the first of them. `code`:
    "invalid" (400) or "conflict" (409: the record's state does not allow it now)."""

    code: str

    def __init__(
        self,
        message: str = "",
        *,
        field: str | None = None,
        errors: Mapping[str, str] | None = None,
        code: str = "invalid",
    ) -> None:
        self.errors: dict[str, str] = dict(errors) if errors else {field or "": message}
        first_field, first_message = next(iter(self.errors.items()))
        super().__init__(first_message, field=first_field or None)
        self.code = code


class QualityPermissionDenied(PermissionDenied, DjangoPermissionDenied):
    """The acting user may not do this (review their own ticket, dispute someone else's
    review …); nothing was written. Also Django's PermissionDenied, so a page that lets it
    through answers 403 like any refused page."""

    code = "forbidden"


Refusal = QualityError | QualityPermissionDenied
"""What a quality predicate answers when something may not be done (raise it to refuse)."""
