"""The ticket page's mood panel (a fragment cases' page loads by htmx): a warning when the
customer sounds unhappy, with what they wrote that sounds most so; a quiet line otherwise;
why there is no reading when there is none. Read-only."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cases.views.workspace import staff_required
from insights.selectors import visible_ticket_or_404
from insights.sentiment import sentiment_state
from quality.views.common import private


@staff_required
@require_GET
def ticket_sentiment(request: HttpRequest, pk: int) -> HttpResponse:
    """The panel of an open ticket (nothing for one resolved, closed or merged)."""
    ticket = visible_ticket_or_404(request.user, pk)
    return private(
        render(
            request,
            "insights/_ticket_sentiment.html",
            {"ticket": ticket, "state": sentiment_state(ticket)},
        )
    )
