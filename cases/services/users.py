"""A person's own settings."""

from django.utils.translation import gettext as _

from ..errors import ValidationError
from ..models import Language


def update_preferences(*, user, language: str, weekly_digest: bool, is_available=None):
    """A person's own settings: the language Pulso speaks to them, the weekly digest, and
    whether their teams' automatic assignment may pick them."""
    if language not in Language.values:
        raise ValidationError(_("Unknown language."), field="language")
    user.language = language
    user.weekly_digest = bool(weekly_digest)
    fields = ["language", "weekly_digest"]
    if is_available is not None:
        user.is_available = bool(is_available)
        fields.append("is_available")
    user.save(update_fields=fields)
    return user
