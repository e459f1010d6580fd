"""Words for what quality stores as codes (a problem's history keeps status codes and field
names, so that each reader gets them in their own language)."""

from collections.abc import Iterable

from django import template
from django.core.exceptions import FieldDoesNotExist

from quality.models import Problem, ProblemStatus

register = template.Library()


@register.filter
def problem_status_label(code: str) -> str:
    """ "fixed" → "Fixed" / "Arreglado"; an unknown code as it is."""
    try:
        return str(ProblemStatus(code).label)
    except ValueError:
        return code


@register.filter
def problem_field_labels(names: Iterable[str]) -> str:
    """Field names ("fix_note", "fixed_at") → their labels, joined: "fix, fixed"."""
    labels = []
    for name in names:
        try:
            field = Problem._meta.get_field(name)
        except FieldDoesNotExist:
            labels.append(name)
            continue
        labels.append(str(getattr(field, "verbose_name", name)))
    return ", ".join(labels)
