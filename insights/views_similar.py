"""The ticket page's "Similar solved cases" panel (a fragment cases' page loads by htmx): up
to five resolved tickets the agent may see whose words are nearest the ticket's, with their
resolution and how the customer rated it — or one sentence saying why there are none."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cases.views.workspace import staff_required
from insights.selectors import similar_solved, similar_state, visible_ticket_or_404
from quality.views.common import private

EXCERPT_WORDS = 40


@staff_required
@require_GET
def ticket_similar(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = visible_ticket_or_404(request.user, pk)
    cases = similar_solved(ticket, request.user)
    state = similar_state() if not cases else None
    rows = [{"case": case, "percent": round(case.similarity * 100)} for case in cases]
    return private(
        render(
            request,
            "insights/_ticket_similar.html",
            {"ticket": ticket, "rows": rows, "state": state, "excerpt_words": EXCERPT_WORDS},
        )
    )
