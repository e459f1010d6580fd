"""The new-ticket form's customer finder (htmx): the customers matching what the agent types,
each with their open cases (to avoid registering a duplicate), and the form's customer block
once one is chosen — or again empty, to change it. Reads only; the ticket is registered by
`workspace.ticket_create`, which uses the chosen customer."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from ..customer_lookup import (
    MIN_WORD_LENGTH,
    chosen_customer,
    find_customers,
    open_cases_of,
    search_words,
)
from ..forms import TicketCreateForm
from .workspace import staff_required, staff_user


@staff_required
@require_GET
def customer_lookup(request: HttpRequest) -> HttpResponse:
    """The customers whose name, e-mail, phone or company hold every word of `q`."""
    user = staff_user(request)
    query = (request.GET.get("q") or "").strip()[:100]
    return render(
        request,
        "cases/_customer_matches.html",
        {
            "matches": find_customers(user, query),
            "query": query,
            "too_short": not search_words(query),
            "min_length": MIN_WORD_LENGTH,
        },
    )


@staff_required
@require_GET
def customer_choice(request: HttpRequest) -> HttpResponse:
    """The form's customer block: the customer `?customer=<id>` chosen, with their open cases;
    without an id, the finder and the new customer's fields."""
    user = staff_user(request)
    raw = request.GET.get("customer", "")
    match = None
    if raw:
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:  # no row beyond 64 bits
            raise Http404
        match = open_cases_of(user, get_object_or_404(chosen_customer(user, int(raw))))
    return render(
        request,
        "cases/_ticket_customer.html",
        {"form": TicketCreateForm(), "chosen": match},
    )
