"""The checks every quality service starts with — who may act, and free text within its
limit — written once, so reviews, sampling, coaching and problems refuse alike."""

from django.utils.translation import gettext as _

from cases.models import User

from ..errors import QualityError, QualityPermissionDenied
from ..permissions import is_manager, is_staff_member


def require_manager(by: User, message: str | None = None) -> None:
    """Managers and admins only; `message` says what the caller was refused."""
    if not is_manager(by):
        raise QualityPermissionDenied(message or _("Only managers and admins can do this."))


def require_staff(by: User, message: str) -> None:
    """Any active agent, manager or admin."""
    if not is_staff_member(by):
        raise QualityPermissionDenied(message)


def clean_text(
    value: str | None,
    field: str,
    limit: int,
    required: bool = False,
) -> str:
    """`value` stripped; refused on `field` when required and blank, or over `limit`."""
    value = (value or "").strip()
    if required and not value:
        raise QualityError(_("This field is required."), field=field)
    if len(value) > limit:
        raise QualityError(_("Write at most %(limit)s characters.") % {"limit": limit}, field=field)
    return value
