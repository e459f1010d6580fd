"""How a KPI's value and its change are written: decimals per unit, durations, the
difference against the previous period and whether it is better or worse."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..templatetags.kpi_format import duration

# How a value reads: a KPI's unit, or a table column's (text, a gap to the overall figure).
Unit = Literal["percent", "score1", "score2", "count", "duration", "number", "text", "gap1", "gap2"]
# Which way a KPI is better ("": neither, the volume).
Better = Literal["higher", "lower", ""]
# A KPI's value or a difference of two: a count, a rate, a score, seconds; None over nothing.
Number = float | Decimal

DECIMALS = {"percent": 1, "score1": 1, "score2": 2, "count": 0, "duration": 0}


def format_value(value: Number | str | None, unit: Unit) -> str:
    """A KPI as the page shows it: `—` for an empty set, localised numbers, `3 h 12 min`."""
    if value is None:
        return "—"
    if unit == "text":
        return str(value)
    if unit == "duration":
        return duration(value)
    if unit == "percent":
        return f"{number_format(value, 1)} %"
    if unit == "number":
        return number_format(value)
    return number_format(value, DECIMALS[unit], force_grouping=unit == "count")


def format_gap(value: float | None, unit: Unit) -> str:
    if value is None:
        return "—"
    text = number_format(abs(value), DECIMALS[unit])
    return f"+{text}" if value > 0 else f"−{text}" if value < 0 else text


def difference(now: Number | None, before: Number | None, unit: Unit) -> Decimal | None:
    """now − before at the KPI's precision (exact, no float noise); None if either is."""
    if now is None or before is None:
        return None
    return (Decimal(str(now)) - Decimal(str(before))).quantize(Decimal(1).scaleb(-DECIMALS[unit]))


@dataclass(frozen=True)
class Delta:
    value: Decimal
    arrow: str
    text: str
    words: str  # for screen readers
    css: str
    label: str = ""  # shown beside the amount ("within noise")


def delta(now: Number | None, before: Number | None, unit: Unit, better: Better) -> Delta | None:
    """The change against the previous period: arrow, amount, and green when it went the
    right way (down for the lower-is-better KPIs), red when not, grey when neither."""
    change = difference(now, before, unit)
    if change is None:
        return None
    if unit == "duration":
        amount = duration(abs(change))
    elif unit == "percent":
        amount = _("%(value)s pp") % {"value": number_format(abs(change), 1)}
    else:
        amount = number_format(abs(change), DECIMALS[unit], force_grouping=unit == "count")
    if change == 0:
        return Delta(change, "=", amount, _("no change"), "text-body-secondary")
    up = change > 0
    good = None if not better else up == (better == "higher")
    css = "text-body-secondary" if good is None else "text-success" if good else "text-danger"
    return Delta(change, "▲" if up else "▼", amount, _("up") if up else _("down"), css)


def noise_delta(change: Delta) -> Delta:
    """The same change, grey and labelled: the two periods' 95 % ranges overlap, so it may
    be chance rather than a real movement (docs/kpis.md)."""
    if change.value == 0:
        return change
    return Delta(
        change.value,
        change.arrow,
        change.text,
        _("%(direction)s, within noise") % {"direction": change.words},
        "text-body-secondary kpi-noise",
        _("within noise"),
    )


def sample_words(n: int, unit: str) -> str:
    """A figure's sample in words: "12 answers", "1 ticket", "3 surveys sent"."""
    count = number_format(n, force_grouping=True)
    if unit == "answers":
        return ngettext("%(count)s answer", "%(count)s answers", n) % {"count": count}
    if unit == "sent":
        return ngettext("%(count)s survey sent", "%(count)s surveys sent", n) % {"count": count}
    return ngettext("%(count)s ticket", "%(count)s tickets", n) % {"count": count}
