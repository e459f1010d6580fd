"""A person's own settings."""

from django.utils.translation import gettext as _

from ..errors import ValidationError
from ..models import Language


def update_preferences(*, user, language: str, weekly_digest: bool):
    """A person's own settings: the language Pulso speaks to them and the weekly digest."""
    if language not in Language.values:
        raise ValidationError(_("Unknown language."), field="language")
    user.language = language
    user.weekly_digest = bool(weekly_digest)
    user.save(update_fields=["language", "weekly_digest"])
    return user
