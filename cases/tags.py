"""What a tag is, written once for the ticket page, the API, macros, bulk work and filters:
trimmed, inner spaces single, lower case, at most `MAX_LENGTH` characters, no commas (they
separate tags where several are typed in one field) and nothing invisible."""

import unicodedata
from collections.abc import Iterable

from django.utils.translation import gettext as _

from .errors import ValidationError

MAX_LENGTH = 50
MAX_PER_CHANGE = 20  # tags added or removed in one change


def normalise_tag(text: str) -> str:
    """The tag `text` names, or ValidationError saying why it cannot be one."""
    name = " ".join(unicodedata.normalize("NFC", str(text)).split()).lower()
    if not name:
        raise ValidationError(_("A tag cannot be empty."), field="tags")
    if len(name) > MAX_LENGTH:
        raise ValidationError(
            _("“%(tag)s…” is too long: a tag has at most %(max)d characters.")
            % {"tag": name[:20], "max": MAX_LENGTH},
            field="tags",
        )
    if "," in name or any(unicodedata.category(c).startswith("C") for c in name):
        raise ValidationError(
            _("“%(tag)s” cannot be a tag: commas and control characters are not allowed.")
            % {"tag": name.replace(",", " ")[:MAX_LENGTH]},
            field="tags",
        )
    return name


def normalise_tags(texts: Iterable[str]) -> list[str]:
    """Each tag once, in the order first given."""
    names = list(dict.fromkeys(normalise_tag(text) for text in texts))
    if len(names) > MAX_PER_CHANGE:
        raise ValidationError(
            _("At most %(max)d tags at a time.") % {"max": MAX_PER_CHANGE}, field="tags"
        )
    return names


def split_tags(text: str) -> list[str]:
    """The tags typed in one field, separated by commas (empty pieces ignored)."""
    return normalise_tags(piece for piece in text.split(",") if piece.strip())
