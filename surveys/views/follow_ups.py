"""The follow-up inbox: managers call unhappy customers back and close the loop.

Managers and admins only (`follow_ups_visible_to`); agents get 403. Every change — owner,
status, note — goes through `surveys.services.update_follow_up`; its refusals come back as
form errors (400) keeping what was typed; a success redirects with a message (PRG).
"""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cases.models import EventKind, TicketEvent, rank_of
from cases.paginator import CappedPaginator, capped_count
from cases.views.workspace import staff_required

from .. import services
from ..errors import FollowUpError
from ..forms_manager import (
    STATUS_TABS,
    FollowUpFilterForm,
    FollowUpForm,
    Owner,
    Tab,
    add_follow_up_error,
)
from ..models import FollowUpStatus
from ..selectors import follow_ups_visible_to
from ..templatetags.survey_tags import is_manager

PAGE_SIZE = 25


def manager_required(view):
    """Logged in (else to the login page), staff (else 403) and manager or admin (else 403)."""

    @wraps(view)
    @staff_required
    def wrapper(request, *args, **kwargs):
        if not is_manager(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


# --- the inbox --------------------------------------------------------------------------------


@manager_required
@require_GET
def follow_up_list(request):
    form = FollowUpFilterForm(request.GET)
    status, team, owner = form.value("status"), form.value("team"), form.value("owner")
    scope = follow_ups_visible_to(request.user).select_related("ticket__customer", "response")
    if team is not None:
        scope = scope.filter(team=team)
    if owner == Owner.MINE:
        scope = scope.filter(owner=request.user)
    elif owner == Owner.NOBODY:
        scope = scope.filter(owner__isnull=True)
    # The tab counts within the team/owner filters, each counted up to the cap as the lists
    # are (the resolved ones only grow): an index range each, not a pass over every row.
    counts = {s: capped_count(scope.filter(status=s)) for s in FollowUpStatus.values}
    counts[Tab.ALL] = capped_count(scope)
    # Oldest open first: the customer who has waited longest is called back first. Within
    # one status tab the status orders nothing; the "All" tab's order has an index.
    if status == Tab.ALL:
        follow_ups = scope.annotate(status_rank=rank_of("status", FollowUpStatus.values)).order_by(
            "status_rank", "created_at", "pk"
        )
    else:
        follow_ups = scope.filter(status=status).order_by("created_at", "pk")
    page = CappedPaginator(follow_ups, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "surveys/follow_ups.html",
        {
            "nav": "follow_ups",
            "form": form,
            "status": status,
            "tabs": [(value, label, counts[value][0]) for value, label in STATUS_TABS],
            "capped_tabs": {value for value, (_count, capped) in counts.items() if capped},
            "page_obj": page,
            "filtered": team is not None or bool(owner),
        },
    )


# --- one follow-up ----------------------------------------------------------------------------


def _history(follow_up) -> list[TicketEvent]:
    """The follow-up's own entries of the ticket timeline: opened, then every change."""
    return list(
        TicketEvent.objects.filter(
            ticket_id=follow_up.ticket_id,
            kind__in=[EventKind.FOLLOW_UP_OPENED, EventKind.FOLLOW_UP_UPDATED],
            data__follow_up_id=follow_up.pk,
        )
        .select_related("actor")
        .order_by("at", "pk")
    )


def _render_detail(request, follow_up, form, status=200):
    # Who resolved the ticket is the actor of the resolution the survey asked about; the
    # response's agent is the assignee at that moment (whom the KPIs credit), often the same.
    resolution = follow_up.response.invitation.resolution_event
    return render(
        request,
        "surveys/follow_up_detail.html",
        {
            "nav": "follow_ups",
            "follow_up": follow_up,
            "response": follow_up.response,
            "resolved_by": resolution.actor,
            "ticket": follow_up.ticket,
            "customer": follow_up.ticket.customer,
            "notes": follow_up.notes.select_related("author"),
            "history": _history(follow_up),
            "form": form,
            "can_take": follow_up.owner_id != request.user.pk,
        },
        status=status,
    )


@manager_required
@require_http_methods(["GET", "POST"])
def follow_up_detail(request, pk):
    follow_up = get_object_or_404(
        follow_ups_visible_to(request.user).select_related(
            "ticket__customer",
            "response__agent",
            "response__team",
            "response__invitation__resolution_event__actor",
        ),
        pk=pk,
    )
    if request.method == "GET":
        return _render_detail(request, follow_up, FollowUpForm(follow_up=follow_up))
    take = "take" in request.POST
    form = FollowUpForm(None if take else request.POST, follow_up=follow_up)
    if not take and not form.is_valid():
        return _render_detail(request, follow_up, form, status=400)
    try:
        if take:
            services.update_follow_up(follow_up=follow_up, by=request.user, owner=request.user)
        else:
            data = form.cleaned_data
            services.update_follow_up(
                follow_up=follow_up,
                by=request.user,
                owner=data["owner"],
                status=data["status"],
                note=data["note"],
            )
    except FollowUpError as exc:
        if take:
            messages.error(request, exc.message)
            return redirect("surveys:follow_up_detail", pk=follow_up.pk)
        add_follow_up_error(form, exc)
        return _render_detail(request, follow_up, form, status=400)
    messages.success(request, _("You own this follow-up now.") if take else _("Follow-up updated."))
    return redirect("surveys:follow_up_detail", pk=follow_up.pk)
