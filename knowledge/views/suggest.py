"""The web form's suggested articles (docs/knowledge.md, "Deflection"): the fragment htmx
loads beside `/support/` while the customer types, and the tracked link that opens one."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from cases.signals import WEB_FORM_VISIT_FIELD

from .. import deflection
from ..selectors import public_articles
from .public import _language, _limited


@require_GET
@_limited("HELP_SEARCH_RATE")
def suggest(request: HttpRequest) -> HttpResponse:
    """Articles for the form's `subject` and `description`; the first time some are shown a
    visit starts, its token kept in the form as a hidden field (posted with the case)."""
    language = _language()
    # Only the subject and the description's beginning are read (deflection.py's limits).
    subject = request.GET.get("subject", "")[: deflection.SUBJECT_MAX_LENGTH]
    description = request.GET.get("description", "")[: deflection.DESCRIPTION_MAX_LENGTH]
    text = f"{subject} {description}"
    token = request.GET.get(WEB_FORM_VISIT_FIELD, "")
    articles = deflection.suggest(text, language)
    visit = deflection.record_shown(token=token, articles=articles, language=language)
    rows = [{"article": a, "title": a.title_in(language)} for a in articles]
    response = render(
        request,
        "knowledge/_suggestions.html",
        {"rows": rows, "token": visit.token if visit else "", "field": WEB_FORM_VISIT_FIELD},
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


@require_GET
def open_suggestion(request: HttpRequest, token: str, slug: str) -> HttpResponse:
    """A suggestion opened: noted on its visit (if it was shown there), then the article."""
    article = get_object_or_404(public_articles(), slug=slug)
    deflection.record_open(token=token, article=article)
    return redirect("help:article", slug=article.slug)
