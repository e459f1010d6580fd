"""How KPI values read: `—` for an empty set, one decimal for percentages, human durations."""

from django import template
from django.utils.formats import number_format

from cases.humanize import duration_text

register = template.Library()


@register.filter
def duration(seconds) -> str:
    """3 h 12 min, 2 d 4 h, 45 s — or — for no value."""
    return "—" if seconds is None else duration_text(seconds)


@register.filter
def kpi(value, unit: str = "") -> str:
    if value is None:
        return "—"
    if unit == "duration":
        return duration(value)
    if unit == "percent":
        return f"{number_format(value, 1)} %"
    if unit == "count":
        return number_format(value, 0, force_grouping=True)
    return number_format(value, 2 if isinstance(value, float) and value % 1 else 0)


@register.filter
def kpi_delta(delta, unit: str = "") -> str:
    if delta is None:
        return ""
    sign = "▲" if delta > 0 else "▼" if delta < 0 else "="
    if unit == "duration":
        return f"{sign} {duration(abs(delta))}"
    if unit == "percent":
        return f"{sign} {number_format(abs(delta), 1)} pp"
    return f"{sign} {number_format(abs(delta), 2 if isinstance(delta, float) else 0)}"
