"""Presentation helpers of the survey manager pages: score badges coloured by group, reason
labels, and the open follow-up count of the navigation bar. User data goes out through
format_html, so it is escaped."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

from cases.models import Role

from ..models import SCALES, FollowUp, FollowUpStatus, Question

register = template.Library()

REASON_LABELS = {
    "detractor": gettext_lazy("NPS detractor"),
    "unhappy_csat": gettext_lazy("Unhappy CSAT"),
}
MANAGER_ROLES = (Role.MANAGER, Role.ADMIN)


def score_group(question: str, value: int | None) -> str:
    """docs/kpis.md's groups: NPS promoter 9–10 / passive 7–8 / detractor 0–6; CSAT satisfied 4–5 /
    neutral 3 / unhappy 1–2; CES easy 5–7 / neutral 4 / hard 1–3."""
    if value is None:
        return ""
    if question == Question.NPS:
        return "promoter" if value >= 9 else "passive" if value >= 7 else "detractor"
    if question == Question.CSAT:
        return "satisfied" if value >= 4 else "neutral" if value == 3 else "unhappy"
    return "easy" if value >= 5 else "neutral" if value == 4 else "hard"


GROUP_CLASSES = {
    "promoter": "text-bg-success",
    "satisfied": "text-bg-success",
    "easy": "text-bg-success",
    "passive": "text-bg-warning",
    "neutral": "text-bg-secondary",
    "detractor": "text-bg-danger",
    "unhappy": "text-bg-danger",
    "hard": "text-bg-danger",
}
GROUP_LABELS = {
    "promoter": gettext_lazy("promoter"),
    "passive": gettext_lazy("passive"),
    "detractor": gettext_lazy("detractor"),
    "satisfied": gettext_lazy("satisfied"),
    "neutral": gettext_lazy("neutral"),
    "unhappy": gettext_lazy("unhappy"),
    "easy": gettext_lazy("easy"),
    "hard": gettext_lazy("difficult"),
}


@register.simple_tag
def score_badge(question, value, labelled=False):
    """`{% score_badge "nps" 4 %}` → a red badge "4/10" titled "NPS: detractor"; "—" when the
    question was not answered. `labelled=True` prefixes the question ("NPS 4/10")."""
    if value is None or value == "":
        return format_html('<span class="text-body-secondary score-empty">{}</span>', "—")
    question = Question(question)
    group = score_group(question, value)
    _low, high = SCALES[question]
    name = question.name  # "CSAT", "CES", "NPS": acronyms, the same in every language
    return format_html(
        '<span class="badge {} score score-{} score-{}" title="{}: {}">{}{}/{}</span>',
        GROUP_CLASSES[group],
        question.value,
        group,
        name,
        GROUP_LABELS[group],
        f"{name} " if labelled else "",
        value,
        high,
    )


@register.filter
def follow_up_reason(value) -> str:
    return str(REASON_LABELS.get(value, value))


@register.filter
def follow_up_status_label(value) -> str:
    try:
        return str(FollowUpStatus(value).label)
    except ValueError:
        return str(value)


@register.simple_tag
def follow_up_status_badge(status):
    classes = {
        FollowUpStatus.OPEN: "text-bg-danger",
        FollowUpStatus.CONTACTED: "text-bg-warning",
        FollowUpStatus.RESOLVED: "text-bg-success",
    }
    return format_html(
        '<span class="badge {} follow-up-status-{}">{}</span>',
        classes.get(status, "text-bg-light"),
        status,
        follow_up_status_label(status),
    )


def is_manager(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.role in MANAGER_ROLES)


@register.simple_tag(takes_context=True)
def open_follow_up_count(context):
    """Open follow-ups, for the navigation badge: None for anyone but managers and admins
    (no query for them; `role` is already cached by the context processor), one COUNT for
    managers, computed once per request."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if not is_manager(user):
        return None
    if request is None:
        return FollowUp.objects.filter(status=FollowUpStatus.OPEN).count()
    if not hasattr(request, "_open_follow_up_count"):
        request._open_follow_up_count = FollowUp.objects.filter(status=FollowUpStatus.OPEN).count()
    return request._open_follow_up_count


@register.filter
def manages_follow_ups(user) -> bool:
    return is_manager(user)
