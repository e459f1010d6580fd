"""The ticket page's triage panel (a fragment cases' page loads by htmx): the suggested
category, team and priority with the model's confidence, and "Accept" for each. Thin: the
service (services/suggestions.py) works the suggestion out again and changes the ticket."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from cases.errors import CasesError, ConflictError, TransitionError
from cases.errors import PermissionDenied as ServicePermissionDenied
from cases.models import Ticket
from cases.selectors import tickets_visible_to
from cases.views.workspace import staff_required, staff_user
from insights.models import TriageField
from insights.selectors import visible_ticket_or_404
from insights.services.suggestions import apply_suggestion
from insights.triage_state import triage_state
from insights.wording import sure_percent
from quality.views.common import private


class AcceptForm(forms.Form):
    field = forms.ChoiceField(choices=TriageField.choices)
    value = forms.CharField(max_length=100)
    version = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


def _render(
    request: HttpRequest, ticket: Ticket, error: str = "", status: int = 200
) -> HttpResponse:
    state = triage_state(ticket)
    rows: list[dict[str, Any]] = [
        {
            "suggestion": s,
            "field_label": TriageField(s.field).label,
            "percent": sure_percent(s.confidence),
        }
        for s in state.suggestions
    ]
    return private(
        render(
            request,
            "insights/_ticket_triage.html",
            {"ticket": ticket, "state": state, "rows": rows, "error": error},
            status=status,
        )
    )


@staff_required
@require_GET
def ticket_triage(request: HttpRequest, pk: int) -> HttpResponse:
    """The panel: each suggestion with its confidence and "Accept" (unless already set)."""
    return _render(request, visible_ticket_or_404(request.user, pk))


@staff_required
@require_POST
def ticket_triage_accept(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Accept one suggestion. Done: back to the ticket page (as the page's actions that land
    elsewhere do), which shows the new value; refused: the panel again, saying why."""
    ticket = visible_ticket_or_404(request.user, pk)
    form = AcceptForm(request.POST)
    if not form.is_valid():
        return _render(request, ticket, _("This suggestion can't be accepted."), status=400)
    try:
        applied = apply_suggestion(
            ticket=ticket,
            field=form.cleaned_data["field"],
            value=form.cleaned_data["value"],
            by=staff_user(request),
            expected_version=form.cleaned_data["version"],
        )
    except (TransitionError, ConflictError) as refused:
        return _render(
            request, visible_ticket_or_404(request.user, pk), refused.message, status=409
        )
    except ServicePermissionDenied as refused:
        raise PermissionDenied(refused.message) from refused
    except CasesError as refused:
        return _render(request, ticket, refused.message, status=400)
    messages.success(
        request,
        _("Suggestion accepted: %(field)s is now %(value)s.")
        % {"field": TriageField(applied.field).label, "value": applied.label},
    )
    if tickets_visible_to(request.user).filter(pk=pk).exists():
        url = reverse("cases:ticket_detail", args=[pk])
    else:  # handed to a team the agent is not in
        messages.info(request, _("The ticket has moved out of your teams' queues."))
        url = reverse("cases:queue")
    return HttpResponseClientRedirect(url) if request.headers.get("HX-Request") else redirect(url)
