"""Bulk work from the queue: the selected tickets, one action, and a page that says which
tickets it was done to and which were refused, and why (services/bulk.py)."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from ..errors import PermissionDenied as ServicePermissionDenied
from ..forms_bulk import ACTION_FIELDS, ACTION_LABELS, BulkForm
from ..selectors import tickets_visible_to
from ..services.bulk import run_bulk
from .workspace import staff_required, staff_user


def _back_to_queue(request: HttpRequest) -> str:
    """The queue page the agent came from (its filters and page), or the queue."""
    url = request.POST.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("cases:queue")


@staff_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    form = BulkForm(request.POST, user=user)
    context = {
        "nav": "tickets",
        "form": form,
        "back": _back_to_queue(request),
        "action_fields": ACTION_FIELDS,
    }
    if not form.is_valid():
        selected = tickets_visible_to(user).filter(pk__in=list(form.selection)).order_by("pk")
        response: HttpResponse = render(
            request, "cases/bulk.html", {**context, "selected": selected[:100]}, status=400
        )
        return response
    try:
        outcomes = run_bulk(
            action=form.cleaned_data["action"],
            by=user,
            versions=form.selection,
            params=form.params(),
        )
    except ServicePermissionDenied as refused:
        raise PermissionDenied(refused.message) from refused
    done = [outcome for outcome in outcomes if outcome.done]
    refused_rows = [outcome for outcome in outcomes if not outcome.done]
    return render(
        request,
        "cases/bulk_result.html",
        {
            **context,
            "action_label": ACTION_LABELS[form.cleaned_data["action"]],
            "outcomes": outcomes,
            "done_count": len(done),
            "refused_count": len(refused_rows),
        },
    )
