"""The public help centre, `/help/` (docs/knowledge.md): no sign-in, published articles only
(selectors.public_articles), in the reader's language.

Pages are cacheable for anonymous readers (`Cache-Control: public`, `Vary` on the language
and cookies, an ETag from the article's last update); the "was this helpful?" box, which
holds a CSRF token and the browser's own answer, is a separate fragment htmx loads, never
cached."""

import hashlib
import re
import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core import signing
from django.db.models import Count, Max
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import condition, require_GET, require_http_methods
from django_ratelimit.decorators import ratelimit

from .. import deflection, services
from ..models import Article, ArticleImage, ArticleVote, Section, Status, in_language
from ..selectors import (
    is_staff,
    public_articles,
    public_categories,
    public_sections,
    related_articles,
    search_public,
)

PUBLIC_MAX_AGE = 300
SEARCH_RESULTS = 20
VOTER_COOKIE = "pulso_help_voter"
VOTER_SALT = "knowledge.voter"
SEARCH_SALT = "knowledge.search"
VOTER_COOKIE_AGE = 365 * 24 * 3600
IMAGE_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,32}")  # secrets.token_urlsafe's alphabet

View = Callable[..., HttpResponseBase]


def _limited(setting: str, method: Any = ratelimit.ALL) -> Callable[[View], View]:
    """django-ratelimit by client IP, the rate read from `settings.<setting>` per request;
    RatelimitMiddleware answers a blocked request with the 429 page."""
    limit: Callable[[View], View] = ratelimit(
        key="ip",
        rate=lambda group, request: str(getattr(settings, setting)),
        method=method,
        block=True,
    )
    return limit


def cacheable(view: View) -> View:
    """Anonymous readers' browsers keep a page PUBLIC_MAX_AGE seconds, then revalidate it
    (ETag); signed-in staff always revalidate. `private`, not `public`: every page carries the
    visitor's own CSRF token in the language switcher, which a shared cache must not hand to
    another visitor."""

    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        if response.status_code in (200, 304):
            if request.user.is_authenticated:
                patch_cache_control(response, private=True, no_cache=True)
            else:
                patch_cache_control(response, private=True, max_age=PUBLIC_MAX_AGE)
        return response

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _language() -> str:
    return (translation.get_language() or settings.LANGUAGE_CODE)[:2]


@require_GET
@cacheable
def help_home(request: HttpRequest) -> HttpResponse:
    return render(request, "knowledge/help_home.html", {"categories": _categories(_language())})


def _categories(language: str) -> list[dict[str, Any]]:
    """The help centre's categories and their sections, named in `language`."""
    return [
        {
            "category": category,
            "name": category.name_in(language),
            "sections": [
                {"section": s, "name": s.name_in(language)} for s in public_sections(category)
            ],
        }
        for category in public_categories()
    ]


def _only_in(article: Article, language: str) -> str:
    """The one language the article is written in when it is not the reader's, else ""
    (the listings mark such an article "Spanish only" / "English only")."""
    written = article.languages()
    return written[0] if len(written) == 1 and written[0] != language else ""


def _titled(articles: Any, language: str) -> list[dict[str, Any]]:
    return [
        {"article": a, "title": a.title_in(language), "only_in": _only_in(a, language)}
        for a in articles
    ]


@require_GET
@cacheable
def help_category(request: HttpRequest, category: str) -> HttpResponse:
    language = _language()
    found = get_object_or_404(public_categories(), slug=category)
    sections = [
        {
            "section": section,
            "name": section.name_in(language),
            "articles": _titled(public_articles().filter(section=section), language),
        }
        for section in public_sections(found)
    ]
    return render(
        request,
        "knowledge/help_category.html",
        {"category": found, "category_name": found.name_in(language), "sections": sections},
    )


@require_GET
@cacheable
def help_section(request: HttpRequest, category: str, section: str) -> HttpResponse:
    language = _language()
    found = get_object_or_404(
        Section.objects.select_related("category"), category__slug=category, slug=section
    )
    articles = _titled(public_articles().filter(section=found), language)
    if not articles:
        raise Http404
    return render(
        request,
        "knowledge/help_section.html",
        {
            "category": found.category,
            "category_name": found.category.name_in(language),
            "section": found,
            "section_name": found.name_in(language),
            "articles": articles,
        },
    )


def _public_article(slug: str) -> Article:
    return get_object_or_404(public_articles(), slug=slug)


def _article_etag(request: HttpRequest, slug: str) -> str | None:
    article = public_articles().filter(slug=slug).values_list("pk", "updated_at").first()
    if article is None:
        return None
    pk, updated_at = article
    # The CSRF cookie is part of the page (the language switcher's token): a browser whose
    # cookie changed gets a new page, not a 304 for a page with a stale token.
    csrf = hashlib.sha256(request.COOKIES.get(settings.CSRF_COOKIE_NAME, "").encode())
    signed_in = "s" if request.user.is_authenticated else "a"
    # The page also lists related articles: any article changed (an unpublished one among
    # them: its status change sets its updated_at) or deleted makes a new page, so a browser
    # never keeps showing a title that is no longer public.
    others = Article.objects.aggregate(changed=Max("updated_at"), n=Count("pk"))
    changed = others["changed"].timestamp() if others["changed"] else 0
    stamp = f"{updated_at.timestamp():.6f}-{changed:.6f}-{others['n']}"
    return f"{pk}-{stamp}-{_language()}-{signed_in}-{csrf.hexdigest()[:12]}"


@require_GET
@cacheable
@condition(etag_func=_article_etag)
def help_article(request: HttpRequest, slug: str) -> HttpResponse:
    language = _language()
    article = _public_article(slug)
    if not is_staff(request.user):
        deflection.record_view(article)  # the self-service KPIs' views (knowledge/kpis.py)
    title, shown_in = in_language(article, "title", language)
    html = article.html_es if shown_in == "es" else article.html_en
    section = article.section
    return render(
        request,
        "knowledge/help_article.html",
        {
            "article": article,
            "title": title,
            "html": html,
            "shown_in": shown_in,
            "other_language": shown_in != language,
            "category": section.category,
            "category_name": section.category.name_in(language),
            "section": section,
            "section_name": section.name_in(language),
            "related": _titled(related_articles(article), language),
        },
    )


@require_GET
@_limited("HELP_SEARCH_RATE")
def help_search(request: HttpRequest) -> HttpResponse:
    """Results for `q`, logged (words folded, count; nobody's data); each result's link
    records the click on the way to the article."""
    language = _language()
    text = (request.GET.get("q") or "").strip()
    query, found = search_public(text)
    results = list(found[:SEARCH_RESULTS]) if query else []
    count = found.count() if query and len(results) == SEARCH_RESULTS else len(results)
    log = services.log_search(query=query, language=language, results=count, text=text)
    token = signing.dumps(log.pk, salt=SEARCH_SALT) if log else None
    rows = [
        {
            "title": article.title_in(language),
            "url": reverse("help:open_result", args=[token, article.slug])
            if token
            else reverse("help:article", args=[article.slug]),
            "section_name": article.section.name_in(language),
            "only_in": _only_in(article, language),
        }
        for article in results
    ]
    context: dict[str, Any] = {"q": text, "rows": rows, "count": count, "prompt": not query}
    if not query:  # nothing to search for: say what to do, and offer the categories
        context["categories"] = _categories(language)
    response = render(request, "knowledge/help_search.html", context)
    patch_cache_control(response, private=True, no_store=True)
    return response


@require_GET
def open_result(request: HttpRequest, token: str, slug: str) -> HttpResponse:
    """A search result opened: the click on the search's log, then the article."""
    article = _public_article(slug)
    try:
        search_id = signing.loads(token, salt=SEARCH_SALT, max_age=24 * 3600)
    except signing.BadSignature:
        search_id = None
    if isinstance(search_id, int):
        services.record_click(search_id=search_id, article=article)
    return redirect("help:article", slug=article.slug)


def _browser_id(request: HttpRequest) -> str | None:
    value = request.get_signed_cookie(VOTER_COOKIE, default=None, salt=VOTER_SALT)
    return value if isinstance(value, str) and value else None


def _vote_box(
    request: HttpRequest, article: Article, vote: ArticleVote | None, *, just_voted: bool
) -> HttpResponse:
    response = render(
        request,
        "knowledge/_vote.html",
        {"article": article, "vote": vote, "just_voted": just_voted},
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


@require_http_methods(["GET", "POST"])
@_limited("HELP_VOTE_RATE", method="POST")
def help_vote(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the box (the browser's answer if it gave one). POST `helpful=yes|no`: one answer
    per browser and article; the browser's random id is kept in a signed cookie."""
    article = _public_article(slug)
    browser_id = _browser_id(request)
    if request.method == "GET":
        vote = None
        if browser_id:
            vote = ArticleVote.objects.filter(
                article=article, voter=services.voter_key(browser_id)
            ).first()
        return _vote_box(request, article, vote, just_voted=False)
    answer = request.POST.get("helpful")
    if answer not in ("yes", "no"):
        response = _vote_box(request, article, None, just_voted=False)
        response.status_code = 400
        return response
    new_browser = browser_id is None
    browser_id = browser_id or secrets.token_urlsafe(18)
    vote, _created = services.record_vote(
        article=article, browser_id=browser_id, helpful=answer == "yes"
    )
    if request.htmx:  # type: ignore[attr-defined]  # django-htmx's middleware sets it
        response = _vote_box(request, article, vote, just_voted=True)
    else:
        response = redirect("help:article", slug=article.slug)
    if new_browser:
        response.set_signed_cookie(
            VOTER_COOKIE,
            browser_id,
            salt=VOTER_SALT,
            max_age=VOTER_COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


@require_GET
def help_image(request: HttpRequest, token: str) -> FileResponse:
    """An article's image: anyone for a published article, staff for the others. Served as
    the image type its bytes were checked to be, never sniffed, never a document."""
    if not IMAGE_TOKEN.fullmatch(token):  # e.g. a NUL byte, which PostgreSQL refuses
        raise Http404
    image = get_object_or_404(ArticleImage.objects.select_related("article"), token=token)
    if image.article.status != Status.PUBLISHED and not is_staff(request.user):
        raise Http404
    try:
        handle = image.file.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    response = FileResponse(handle, content_type=image.content_type)
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    if image.article.status == Status.PUBLISHED:
        patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    else:
        patch_cache_control(response, private=True, no_store=True)
    return response
