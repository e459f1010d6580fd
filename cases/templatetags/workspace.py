"""Small presentation helpers of the workspace templates: badges, choice labels, sortable
column headers. Everything goes through format_html, so user data comes out escaped."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from .. import sla
from ..filters import ASCENDING_FIRST
from ..humanize import duration_text
from ..models import Channel, Priority, Status, Ticket

register = template.Library()

STATUS_CLASSES = {
    Status.NEW: "text-bg-info",
    Status.OPEN: "text-bg-primary",
    Status.PENDING: "text-bg-warning",
    Status.RESOLVED: "text-bg-success",
    Status.CLOSED: "text-bg-secondary",
}
PRIORITY_CLASSES = {
    Priority.LOW: "text-bg-light border",
    Priority.NORMAL: "text-bg-secondary",
    Priority.HIGH: "text-bg-warning",
    Priority.URGENT: "text-bg-danger",
}
_CHOICES = {"status": Status, "priority": Priority, "channel": Channel}


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


@register.simple_tag
def status_badge(status):
    return format_html(
        '<span class="badge {} status-{}">{}</span>',
        STATUS_CLASSES.get(status, "text-bg-light"),
        status,
        _label(Status, status),
    )


@register.simple_tag
def priority_badge(priority):
    return format_html(
        '<span class="badge {} priority-{}">{}</span>',
        PRIORITY_CLASSES.get(priority, "text-bg-light"),
        priority,
        _label(Priority, priority),
    )


@register.simple_tag
def level_badge(level):
    return format_html(
        '<span class="badge text-bg-dark" title="{}">L{}</span>', _("Support level"), level
    )


@register.filter
def choice_label(value, field):
    """`"high"|choice_label:"priority"` → "High". Unknown fields or values pass through."""
    if value is None or value == "":
        return "—"
    choices = _CHOICES.get(field)
    return _label(choices, value) if choices else value


@register.filter
def ticket_field_label(name):
    try:
        return capfirst(Ticket._meta.get_field(name).verbose_name)
    except Exception:  # noqa: BLE001 - an unknown name in old event data is shown as is
        return name


@register.simple_tag(takes_context=True)
def sort_header(context, key, label):
    """A column header that sorts by `key`; clicking the sorted column flips the direction.
    Keeps the other query parameters, drops the page."""
    request = context["request"]
    current = context.get("sort", "")
    params = request.GET.copy()
    params.pop("page", None)
    if current == key:
        params["sort"], icon = f"-{key}", "bi-sort-up"
    elif current == f"-{key}":
        params["sort"], icon = key, "bi-sort-down"
    else:
        params["sort"], icon = (key if key in ASCENDING_FIRST else f"-{key}"), ""
    return format_html(
        '<a href="?{}" class="link-body-emphasis text-decoration-none sort-link">{}{}</a>',
        params.urlencode(),
        label,
        format_html(' <i class="bi {}" aria-hidden="true"></i>', icon) if icon else "",
    )


@register.filter
def iso_datetime(value):
    """An ISO timestamp kept in an event's data, as a datetime for the `date` filter."""
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def _clock_badge(clock: str, due, warn_at, now) -> str:
    name = _("First response") if clock == "first_response" else _("Resolution")
    left = (due - now).total_seconds()
    amount = duration_text(left, seconds_below_a_minute=False)
    if left <= 0:
        css, text = "text-bg-danger sla-breached", _("Overdue by %s") % amount
    elif warn_at is not None and now >= warn_at:
        css, text = "text-bg-warning sla-warning", _("%s left") % amount
    else:
        css, text = "text-bg-light border sla-running", _("%s left") % amount
    return format_html(
        '<span class="badge {}" title="{}: {}">{}</span>',
        css,
        name,
        timezone.localtime(due).strftime("%Y-%m-%d %H:%M"),
        text,
    )


@register.simple_tag
def sla_badge(ticket):
    """The queue's SLA cell: the nearest running deadline — time left, a warning badge from
    80 % of the target, a danger badge once missed; nothing without a running clock."""
    clocks = sla.running_clocks(ticket)
    if not clocks:
        return ""
    clock, due, warn_at = clocks[0]
    return _clock_badge(clock, due, warn_at, timezone.now())


@register.simple_tag
def sla_clock(ticket, clock):
    """One clock on the ticket page: time left or overdue while running, paused while the
    ticket waits on the customer, met or missed once done."""
    due = getattr(ticket, f"{clock}_due_at")
    if due is None:
        return "—"
    running = {name: warn for name, _due, warn in sla.running_clocks(ticket)}
    if clock in running:
        return _clock_badge(clock, due, running[clock], timezone.now())
    if clock == "resolution" and ticket.status == Status.PENDING:
        return format_html(
            '<span class="badge text-bg-secondary sla-paused">{}</span>', _("Paused")
        )
    done = ticket.first_response_at if clock == "first_response" else ticket.resolved_at
    met = done is not None and done <= due
    return format_html(
        '<span class="badge {}">{}</span>',
        "text-bg-success sla-met" if met else "text-bg-danger sla-missed",
        _("Met") if met else _("Missed"),
    )
