"""Small presentation helpers of the workspace templates: badges, choice labels, sortable
column headers. Everything goes through format_html, so user data comes out escaped."""

from django import template
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext as _

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
        params["sort"], icon = f"-{key}", ""
    return format_html(
        '<a href="?{}" class="link-body-emphasis text-decoration-none sort-link">{}{}</a>',
        params.urlencode(),
        label,
        format_html(' <i class="bi {}" aria-hidden="true"></i>', icon) if icon else "",
    )
