"""The main menu's Quality entry (templates/quality/_nav.html): which links the signed-in
user gets, and the counts beside them — reviews assigned to them and open disputes."""

from dataclasses import dataclass

from django import template
from django.db.models import Count, Q
from django.http import HttpRequest
from django.urls import reverse

from cases.models import User
from quality.models import Review
from quality.permissions import is_manager, is_reviewer
from quality.selectors.reviews import todo_condition

register = template.Library()


@dataclass(frozen=True)
class QualityMenu:
    reviewer: bool
    manager: bool
    todo: int
    disputes: int
    first_url: str
    navs: tuple[str, ...] = ("quality", "coaching", "problems")


@register.simple_tag(takes_context=True)
def quality_menu(context: template.Context) -> QualityMenu | None:
    """Read once per page, in one query on indexed columns (reviews are few: a handful per
    agent and week)."""
    request: HttpRequest | None = context.get("request")
    user = getattr(request, "user", None)
    if not isinstance(user, User):
        return None
    reviewer, manager = is_reviewer(user), is_manager(user)
    # The to-do list's own condition (tickets they can still see): the count matches it.
    todo = todo_condition(user) if reviewer else Q(pk__in=[])
    disputed = Q(dispute__outcome="") if manager else Q(pk__in=[])
    counts = {"todo": 0, "disputes": 0}
    if reviewer or manager:
        counts = Review.objects.filter(todo | disputed).aggregate(
            todo=Count("pk", filter=todo), disputes=Count("pk", filter=disputed)
        )
    first = "quality:todo" if reviewer else "quality:mine"
    return QualityMenu(reviewer, manager, counts["todo"], counts["disputes"], reverse(first))
