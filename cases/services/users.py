"""A person's own settings."""

from django.utils.translation import gettext as _

from ..errors import ValidationError
from ..models import Language, User


def update_preferences(
    *,
    user: User,
    language: str,
    weekly_digest: bool,
    is_available: bool | None = None,
    notify_assigned: bool | None = None,
    notify_escalated: bool | None = None,
) -> User:
    """A person's own settings: the language Pulso speaks to them, the weekly digest,
    whether their teams' automatic assignment may pick them, and whether they are e-mailed
    when a ticket is assigned to them or escalated to their team."""
    if language not in Language.values:
        raise ValidationError(_("Unknown language."), field="language")
    user.language = language
    user.weekly_digest = bool(weekly_digest)
    fields = ["language", "weekly_digest"]
    for name, value in (
        ("is_available", is_available),
        ("notify_assigned", notify_assigned),
        ("notify_escalated", notify_escalated),
    ):
        if value is not None:
            setattr(user, name, bool(value))
            fields.append(name)
    user.save(update_fields=fields)
    return user
