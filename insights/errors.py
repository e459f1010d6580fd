"""Insights' domain errors. They extend the cases errors, so the API's exception handler
(cases/api/errors.py) answers them with a JSON 400 and the pages show their message."""

from __future__ import annotations

from cases.errors import ValidationError


class InsightsError(ValidationError):
    """The request is not acceptable (a suggestion the model does not make now, a field
    without a suggestion …); nothing was written. `field` names the input at fault."""
