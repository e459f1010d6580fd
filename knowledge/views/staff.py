"""The staff's knowledge base, `/knowledge/`: list, write, preview, publish, history and
restore (docs/knowledge.md). Every view needs a role; the services decide who may change
what, and the pages only offer what the person may do."""

import difflib
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.errors import CasesError, ConflictError
from cases.errors import PermissionDenied as ServicePermissionDenied
from cases.views.workspace import staff_required, staff_user

from .. import agent_tools, services
from ..forms import ArticleForm, ImageForm
from ..models import FIELD_LABELS, Article, Status
from ..rendering import render as render_markdown
from ..search import HelpSearch, search
from ..selectors import articles_for_staff, versions_of

LIST_LIMIT = 200
DIFF_FIELDS = ("title_es", "body_es", "title_en", "body_en", "section", "slug", "status")


@staff_required
@require_GET
def article_list(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    articles = articles_for_staff(user)
    status = request.GET.get("status") or ""
    if status in Status.values:
        articles = articles.filter(status=status)
    q = (request.GET.get("q") or "").strip()[:200]
    if q:
        articles = search(articles, HelpSearch.parse(q))
    # Where agents sent each article and its tickets' CSAT (docs/knowledge.md, "For agents").
    articles = agent_tools.with_sent_figures(articles)
    sort = request.GET.get("sort") or ""
    if sort == "sent":
        articles = articles.order_by(F("sent_tickets").desc(), "-updated_at", "-pk")
    return render(
        request,
        "knowledge/article_list.html",
        {
            "articles": list(articles[:LIST_LIMIT]),
            "statuses": Status.choices,
            "status": status,
            "q": q,
            "sort": sort,
            "may_publish": services.may_publish(user),
            "nav": "knowledge",
        },
    )


def _apply_error(form: ArticleForm, error: CasesError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


def _refused(error: ServicePermissionDenied) -> PermissionDenied:
    return PermissionDenied(error.message)


@staff_required
@require_http_methods(["GET", "POST"])
def article_create(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    form = ArticleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            article = services.create_article(by=user, content=form.content())
        except ServicePermissionDenied as error:
            raise _refused(error) from error
        except CasesError as error:
            _apply_error(form, error)
        else:
            messages.success(request, _("Draft saved."))
            return redirect("knowledge:edit", pk=article.pk)
    return render(
        request,
        "knowledge/article_form.html",
        {"form": form, "article": None, "may_edit": True, "nav": "knowledge"},
        status=400 if form.is_bound else 200,
    )


def _article(request: HttpRequest, pk: int) -> Article:
    return get_object_or_404(articles_for_staff(staff_user(request)), pk=pk)


@staff_required
@require_http_methods(["GET", "POST"])
def article_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    article = _article(request, pk)
    may_edit = services.may_edit(user, article)
    initial = {
        "section": article.section_id,
        "slug": article.slug,
        "version": services.latest_version(article),
        **{name: getattr(article, name) for name in services.CONTENT_FIELDS},
    }
    form = ArticleForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied(
                _("Only managers and admins can change an article that is published or internal.")
            )
        if form.is_valid():
            try:
                services.update_article(
                    article=article,
                    by=user,
                    content=form.content(),
                    based_on=form.cleaned_data.get("version"),
                )
            except ServicePermissionDenied as error:
                raise _refused(error) from error
            except ConflictError as error:
                # What was typed stays; the form now names the newest version, so saving
                # again knowingly replaces it.
                article.refresh_from_db()  # the page's heading shows the article as it is now
                data = request.POST.copy()
                data["version"] = str(services.latest_version(article))
                form = ArticleForm(data, initial=initial)
                form.is_valid()
                form.add_error(None, error.message)
                form.add_error(
                    None,
                    _(
                        "Your text is kept here: compare it with the History, then save again "
                        "to replace their version."
                    ),
                )
            except CasesError as error:
                _apply_error(form, error)
            else:
                messages.success(request, _("Article saved."))
                return redirect("knowledge:edit", pk=article.pk)
        status = 400
    return render(
        request,
        "knowledge/article_form.html",
        {
            "form": form,
            "article": article,
            "may_edit": may_edit,
            "may_publish": services.may_publish(user),
            "may_delete": services.may_delete(user, article),
            "statuses": Status.choices,
            "images": list(article.images.all()),
            "image_form": ImageForm(),
            "nav": "knowledge",
        },
        status=status,
    )


@staff_required
@require_POST
def article_preview(request: HttpRequest) -> HttpResponse:
    """The texts being written, rendered as readers will see them (htmx). Saves nothing."""
    tokens: list[str] = []
    pk = request.POST.get("article")
    if pk and pk.isascii() and pk.isdigit() and len(pk) < 19:
        article = articles_for_staff(staff_user(request)).filter(pk=int(pk)).first()
        if article is not None:
            tokens = list(article.images.values_list("token", flat=True))
    previews = [
        {
            "language": code,
            "title": (request.POST.get(f"title_{code}") or "")[:200],
            "html": render_markdown(
                (request.POST.get(f"body_{code}") or "")[: services.BODY_MAX_LENGTH],
                image_tokens=tokens,
            ),
        }
        for code in ("es", "en")
    ]
    return render(request, "knowledge/_preview.html", {"previews": previews})


@staff_required
@require_POST
def article_status(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    article = _article(request, pk)
    try:
        services.set_article_status(
            article=article, by=user, status=request.POST.get("status") or ""
        )
    except ServicePermissionDenied as error:
        raise _refused(error) from error
    except CasesError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Status changed."))
    return redirect("knowledge:edit", pk=article.pk)


@staff_required
@require_POST
def image_upload(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    article = _article(request, pk)
    form = ImageForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose an image to upload."))
        return redirect("knowledge:edit", pk=article.pk)
    try:
        image = services.upload_image(article=article, by=user, file=form.cleaned_data["image"])
    except ServicePermissionDenied as error:
        raise _refused(error) from error
    except CasesError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Image uploaded. Put it in the text with: %(markdown)s")
            % {"markdown": f"![{image.filename}](/help/images/{image.token}/)"},
        )
    return redirect("knowledge:edit", pk=article.pk)


def _shown(version: Any, name: str) -> str:
    """A version's field as the reader reads it: a status's and a section's name in their
    language, the rest as written."""
    if version is None:
        return ""
    if name == "status":
        return str(Status(version.status).label) if version.status in Status.values else ""
    return str(getattr(version, name))


def _diff(before: Any, after: Any) -> list[dict[str, Any]]:
    """Per field that changed: its lines, each marked added, removed or kept."""
    changes = []
    for name in DIFF_FIELDS:
        old = _shown(before, name)
        new = _shown(after, name)
        if old == new:
            continue
        lines = [
            {"kind": {"+": "added", "-": "removed"}.get(line[:1], "kept"), "text": line[2:]}
            for line in difflib.ndiff(old.splitlines(), new.splitlines())
            if not line.startswith("?")
        ]
        changes.append({"field": str(FIELD_LABELS[name]), "lines": lines})
    return changes


@staff_required
@require_GET
def article_history(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    article = _article(request, pk)
    versions = list(versions_of(article))
    rows = [
        {
            "version": version,
            "changes": _diff(versions[i + 1] if i + 1 < len(versions) else None, version),
        }
        for i, version in enumerate(versions)
    ]
    return render(
        request,
        "knowledge/article_history.html",
        {
            "article": article,
            "rows": rows,
            "may_edit": services.may_edit(user, article),
            "nav": "knowledge",
        },
    )


@staff_required
@require_POST
def version_restore(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    user = staff_user(request)
    article = _article(request, pk)
    version = get_object_or_404(article.versions, number=number)
    try:
        services.restore_version(article=article, version=version, by=user)
    except ServicePermissionDenied as error:
        raise _refused(error) from error
    except CasesError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Version %(number)d restored.") % {"number": version.number})
    return redirect("knowledge:history", pk=article.pk)


@staff_required
@require_http_methods(["GET", "POST"])
def article_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation; POST deletes (managers and admins; an agent their own
    draft). The help centre's address of a deleted article answers "not found"."""
    user = staff_user(request)
    article = _article(request, pk)
    if not services.may_delete(user, article):
        raise PermissionDenied(
            _("Only managers and admins can delete an article, and its author a draft.")
        )
    if request.method == "POST":
        title = str(article)
        try:
            services.delete_article(article=article, by=user)
        except ServicePermissionDenied as error:
            raise _refused(error) from error
        messages.success(request, _("Article “%(title)s” deleted.") % {"title": title})
        return redirect("knowledge:list")
    return render(
        request,
        "knowledge/article_confirm_delete.html",
        {
            "article": article,
            "versions": article.versions.count(),
            "nav": "knowledge",
        },
    )
