"""Durations in human units, the one way Pulso writes them: KPI cards and tables, SLA
clocks."""

from django.utils.translation import gettext as _


def duration_text(seconds: float, *, seconds_below_a_minute: bool = True) -> str:
    """2 d 4 h, 3 h 12 min, 45 min, then 45 s (KPIs) or < 1 min (SLA clocks). The sign is
    the caller's to say ("overdue by …")."""
    seconds = int(abs(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return _("%(d)d d %(h)d h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)d min") % {"m": minutes}
    return _("%(s)d s") % {"s": secs} if seconds_below_a_minute else _("< 1 min")
