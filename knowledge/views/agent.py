"""The knowledge base in the agents' hands (docs/knowledge.md, "For agents"): the article
finder the ticket page's reply box loads by its address (cases never imports knowledge),
the insertion it records, "Turn this answer into an article", and where an article was
sent. Every view needs a role and the ticket to be one the person sees (else 404)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.errors import CasesError
from cases.errors import PermissionDenied as ServicePermissionDenied
from cases.models import Ticket
from cases.selectors import tickets_visible_to
from cases.views.workspace import staff_required, staff_user

from .. import agent_tools, services
from ..forms import ArticleForm
from ..models import Status, UseKind
from ..selectors import articles_for_staff

TICKET_DONE = ("resolved", "closed")


def _ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    return get_object_or_404(tickets_visible_to(staff_user(request)), pk=ticket_id)


@staff_required
@require_GET
def finder(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The reply box's article finder (loaded once), or its results for `?q=` (htmx)."""
    ticket = _ticket(request, ticket_id)
    language = agent_tools.customer_language(ticket)
    context = {"ticket": ticket, "language": language}
    if "q" not in request.GET:
        return render(request, "knowledge/_agent_finder.html", context)
    q = (request.GET.get("q") or "").strip()[:200]
    articles = list(agent_tools.finder_articles(staff_user(request), q)) if q else []
    for article in articles:  # its title in the customer's language, else the other one
        article.finder_title = article.title_in(language)  # type: ignore[attr-defined]
    return render(
        request,
        "knowledge/_agent_finder_results.html",
        {
            **context,
            "q": q,
            "articles": articles,
            # The hint about internal articles only where one is listed.
            "any_internal": any(a.status == Status.INTERNAL for a in articles),
        },
    )


@staff_required
@require_POST
def insert(request: HttpRequest, ticket_id: int) -> JsonResponse:
    """Records the use and answers the text to insert (article_finder.js puts it in the
    reply box): `{"text", "kind", "language"}`, or `{"error"}` with 400."""
    ticket = _ticket(request, ticket_id)
    article_id = request.POST.get("article") or ""
    article = get_object_or_404(
        articles_for_staff(staff_user(request)),
        pk=int(article_id)
        if article_id.isascii() and article_id.isdigit() and len(article_id) < 19
        else 0,
    )
    kind = request.POST.get("kind") or ""
    try:
        use, text = agent_tools.record_use(
            article=article, ticket=ticket, by=staff_user(request), kind=kind
        )
    except ServicePermissionDenied as error:
        raise PermissionDenied(error.message) from error
    except CasesError as error:
        return JsonResponse({"error": error.message}, status=400)
    return JsonResponse({"text": text, "kind": use.kind, "language": use.language})


@staff_required
@require_http_methods(["GET", "POST"])
def from_ticket(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """ "Turn this answer into an article": the draft's form pre-filled from a resolved or
    closed ticket, saved as a draft that names the ticket."""
    user = staff_user(request)
    ticket = _ticket(request, ticket_id)
    if ticket.status not in TICKET_DONE:
        raise PermissionDenied(_("Only a resolved or closed ticket can become an article."))
    prefill = agent_tools.draft_from_ticket(ticket)
    form = ArticleForm(request.POST or None, initial=prefill)
    if request.method == "POST" and form.is_valid():
        try:
            article = services.create_article_from_ticket(
                ticket=ticket, by=user, content=form.content()
            )
        except ServicePermissionDenied as error:
            raise PermissionDenied(error.message) from error
        except CasesError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Draft saved. A manager publishes it after review."))
            return redirect("knowledge:edit", pk=article.pk)
    return render(
        request,
        "knowledge/article_from_ticket.html",
        {"form": form, "ticket": ticket, "language": prefill["language"], "nav": "knowledge"},
        status=400 if form.is_bound else 200,
    )


@staff_required
@require_GET
def article_sent(request: HttpRequest, pk: int) -> HttpResponse:
    """The article page's panel (htmx): the tickets where it was sent, and their CSAT %."""
    user = staff_user(request)
    article = get_object_or_404(articles_for_staff(user), pk=pk)
    return render(
        request,
        "knowledge/_article_sent.html",
        {
            "article": article,
            "outcome": agent_tools.article_outcome(article, user),
            "kinds": dict(UseKind.choices),
        },
    )
