"""How KPI values read: `—` for an empty set, one decimal for percentages, human durations."""

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration(seconds) -> str:
    """3 h 12 min, 2 d 4 h, 45 s — or — for no value."""
    if seconds is None:
        return "—"
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return _("%(d)d d %(h)d h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)d min") % {"m": minutes}
    return _("%(s)d s") % {"s": secs}


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
