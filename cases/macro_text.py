"""The placeholders of a macro's reply: `{{ customer.first_name }}` and a few more, replaced
by plain text. Deliberately not Django's template language — a macro is written by people
in the desk, and a template could load tags, call methods, walk attributes or read settings.
Here only the names of `PLACEHOLDERS` exist; anything else that looks like template syntax
is refused when the macro is saved, and the text is never interpreted otherwise."""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import ValidationError
from .models import Ticket, User

# `{{ name }}` with optional spaces; a name is lower-case words joined by one dot.
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+(?:\.[a-z_]+)?)\s*\}\}")
# Anything written like a variable, to name it when it is not one of ours.
_ANY_VARIABLE = re.compile(r"\{\{\s*(.*?)\s*\}\}", re.S)
# What a template engine would read as code: left over once the known placeholders are gone.
_TEMPLATE_SYNTAX = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")


@dataclass(frozen=True)
class Placeholder:
    label: object  # lazy text, shown in the editor's list
    value: Callable[["MacroContext"], str]


@dataclass(frozen=True)
class MacroContext:
    """What a macro's text may name, for one ticket and the agent applying the macro."""

    ticket: Ticket
    agent: User


def _first_name(full_name: str) -> str:
    return full_name.split()[0] if full_name.split() else ""


PLACEHOLDERS: Mapping[str, Placeholder] = {
    "customer.name": Placeholder(
        gettext_lazy("The customer's name"), lambda c: c.ticket.customer.name or ""
    ),
    "customer.first_name": Placeholder(
        gettext_lazy("The customer's first name"),
        lambda c: _first_name(c.ticket.customer.name or ""),
    ),
    "customer.email": Placeholder(
        gettext_lazy("The customer's e-mail"), lambda c: c.ticket.customer.email or ""
    ),
    "ticket.reference": Placeholder(
        gettext_lazy("The ticket's reference (PUL-000123)"), lambda c: c.ticket.reference
    ),
    "ticket.subject": Placeholder(gettext_lazy("The ticket's subject"), lambda c: c.ticket.subject),
    "agent.first_name": Placeholder(
        gettext_lazy("Your first name"),
        lambda c: c.agent.first_name or _first_name(c.agent.display_name),
    ),
    "agent.name": Placeholder(gettext_lazy("Your name"), lambda c: c.agent.display_name),
}


def check_macro_text(text: str, *, field: str = "body") -> None:
    """ValidationError naming the first placeholder Pulso does not know, or the first piece
    of template syntax that is not a placeholder (`{% load %}`, `{{ a.b.c }}`, filters…)."""
    for match in _ANY_VARIABLE.finditer(text):
        if match.group(1) not in PLACEHOLDERS:
            raise ValidationError(
                _("“%(placeholder)s” is not a placeholder Pulso knows. Use one of: %(known)s.")
                % {"placeholder": match.group(0), "known": ", ".join(sorted(PLACEHOLDERS))},
                field=field,
            )
    leftover = _TEMPLATE_SYNTAX.search(_PLACEHOLDER.sub("", text))
    if leftover:
        raise ValidationError(
            _(
                "“%(syntax)s” is not allowed: a macro's text holds only plain text and "
                "placeholders such as {{ customer.first_name }}."
            )
            % {"syntax": leftover.group(0)},
            field=field,
        )


def render_macro_text(text: str, context: MacroContext) -> str:
    """`text` with each known placeholder replaced by its value, as plain text (the reply is
    escaped wherever it is shown). Text that was checked has no other syntax; an unknown
    placeholder in text that was not (an old macro) is left as it is, never evaluated."""

    def value(match: re.Match[str]) -> str:
        placeholder = PLACEHOLDERS.get(match.group(1))
        return placeholder.value(context) if placeholder else match.group(0)

    return _PLACEHOLDER.sub(value, text)
