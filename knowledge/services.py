"""Every change to the knowledge base (docs/knowledge.md). Each function runs in one
transaction and raises a domain error (cases/errors.py) with nothing written.

Who may do what:
- agents, managers and admins write new articles as drafts and edit drafts;
- managers and admins also publish, unpublish, mark internal, and edit articles that are
  published or internal (what readers see changes only through them);
- restoring a version is an edit: the same rule, and it writes a version of its own."""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from cases.errors import ConflictError, PermissionDenied, ValidationError
from cases.models import IMAGE_SIGNATURES, Role, Ticket, User
from cases.models import Status as TicketStatus
from cases.selectors import tickets_visible_to

from .models import (
    Article,
    ArticleImage,
    ArticleSource,
    ArticleVersion,
    ArticleVote,
    Change,
    SearchLog,
    Section,
    Status,
)
from .rendering import render
from .search import (
    QUERY_MAX_LENGTH,
    REMOVED,
    HelpSearch,
    folded_words,
    without_personal_data,
)

CONTENT_FIELDS = ("title_es", "body_es", "title_en", "body_en")
IMAGE_MAX_BYTES = 5 * 1024 * 1024
TITLE_MAX_LENGTH = 200
BODY_MAX_LENGTH = 100_000
SLUG_MAX_LENGTH = 120  # Article.slug's column


@dataclass(frozen=True)
class ArticleContent:
    """What an editor writes: the section, the slug and both languages' text."""

    section: Section
    slug: str
    title_es: str = ""
    body_es: str = ""
    title_en: str = ""
    body_en: str = ""


def may_publish(user: User) -> bool:
    return user.role in (Role.MANAGER, Role.ADMIN)


def may_edit(user: User, article: Article) -> bool:
    if user.role is None or not user.is_active:
        return False
    return article.status == Status.DRAFT or may_publish(user)


def may_delete(user: User, article: Article) -> bool:
    """Managers and admins any article; an agent only a draft they wrote."""
    if user.role is None or not user.is_active:
        return False
    own_draft = article.status == Status.DRAFT and article.author_id == user.pk
    return may_publish(user) or own_draft


def latest_version(article: Article) -> int:
    """The number of the article's newest version (0 before the first)."""
    number: int | None = (
        article.versions.order_by("-number").values_list("number", flat=True).first()
    )
    return number or 0


def _require_staff(user: User) -> None:
    if user.role is None or not user.is_active:
        raise PermissionDenied(_("Only agents, managers and admins can write articles."))


def _check(content: ArticleContent, *, article: Article | None) -> ArticleContent:
    slug = slugify(content.slug.strip()) or slugify(content.title_es or content.title_en)
    # A slug made from a long title would not fit its column: cut at a word's end.
    if len(slug) > SLUG_MAX_LENGTH:
        cut = slug[:SLUG_MAX_LENGTH]
        slug = (cut.rsplit("-", 1)[0] if "-" in cut else cut).strip("-")
    if not slug:
        raise ValidationError(_("Give the article a slug."), field="slug")
    others = Article.objects.filter(slug=slug)
    if article is not None:
        others = others.exclude(pk=article.pk)
    if others.exists():
        raise ValidationError(_("Another article already has this slug."), field="slug")
    values = {name: getattr(content, name).strip() for name in CONTENT_FIELDS}
    if not values["title_es"] and not values["title_en"]:
        raise ValidationError(_("Write a title in Spanish, in English or in both."))
    for code in ("es", "en"):
        if values[f"body_{code}"] and not values[f"title_{code}"]:
            raise ValidationError(
                _("A text without a title: give this language a title too."),
                field=f"title_{code}",
            )
        if len(values[f"title_{code}"]) > TITLE_MAX_LENGTH:
            raise ValidationError(_("The title is too long."), field=f"title_{code}")
        if len(values[f"body_{code}"]) > BODY_MAX_LENGTH:
            raise ValidationError(_("The text is too long."), field=f"body_{code}")
    return ArticleContent(section=content.section, slug=slug, **values)


def _render_into(article: Article) -> None:
    tokens = list(article.images.values_list("token", flat=True)) if article.pk else []
    article.html_es = render(article.body_es, image_tokens=tokens)
    article.html_en = render(article.body_en, image_tokens=tokens)
    article.search_title = folded_words(article.title_es, article.title_en)
    article.search_body = folded_words(article.body_es, article.body_en)


def _record_version(article: Article, *, by: User, change: dict[str, Any]) -> ArticleVersion:
    """A version of the article as it is now. `change` says what changed without words
    (ArticleVersion.change): the history words it in its reader's language."""
    last = latest_version(article)
    return ArticleVersion.objects.create(
        article=article,
        number=last + 1,
        section=article.section,
        slug=article.slug,
        status=article.status,
        title_es=article.title_es,
        body_es=article.body_es,
        title_en=article.title_en,
        body_en=article.body_en,
        changed_by=by,
        changed_at=article.updated_at,
        change=change,
    )


def _save_with_slug(article: Article) -> None:
    """Save; a slug another writer took since `_check` read it is the editor's 400, not a
    500 (the column is unique)."""
    try:
        with transaction.atomic():
            article.save()
    except IntegrityError as error:
        raise ValidationError(_("Another article already has this slug."), field="slug") from error


@transaction.atomic
def create_article(*, by: User, content: ArticleContent) -> Article:
    """A new draft written by `by`; its version 1."""
    _require_staff(by)
    checked = _check(content, article=None)
    now = timezone.now()
    article = Article(
        section=checked.section,
        slug=checked.slug,
        status=Status.DRAFT,
        author=by,
        updated_at=now,
        **{name: getattr(checked, name) for name in CONTENT_FIELDS},
    )
    _render_into(article)
    _save_with_slug(article)
    _record_version(article, by=by, change={"kind": Change.CREATED.value})
    return article


@transaction.atomic
def update_article(
    *, article: Article, by: User, content: ArticleContent, based_on: int | None = None
) -> Article:
    """New text, section or slug; a version naming what changed (nothing if nothing did).

    `based_on` is the version the editor started from: if someone saved another since, the
    save is refused (ConflictError) rather than silently overwriting their change."""
    _require_staff(by)
    article = Article.objects.select_for_update().get(pk=article.pk)
    if not may_edit(by, article):
        raise PermissionDenied(
            _("Only managers and admins can change an article that is published or internal.")
        )
    current = latest_version(article)
    if based_on is not None and based_on != current:
        raise ConflictError(
            _("Someone else saved this article after you opened it (now version %(number)d).")
            % {"number": current},
            status=article.status,
        )
    checked = _check(content, article=article)
    changed = [
        name
        for name in (*CONTENT_FIELDS, "slug")
        if getattr(article, name) != getattr(checked, name)
    ]
    if article.section_id != checked.section.pk:
        changed.append("section")
    if not changed:
        return article
    for name in (*CONTENT_FIELDS, "slug"):
        setattr(article, name, getattr(checked, name))
    article.section = checked.section
    article.updated_at = timezone.now()
    _render_into(article)
    _save_with_slug(article)
    _record_version(article, by=by, change={"kind": Change.EDITED.value, "fields": changed})
    return article


@transaction.atomic
def set_article_status(*, article: Article, by: User, status: str) -> Article:
    """Publish, unpublish (back to draft) or mark internal: managers and admins."""
    if not may_publish(by) or not by.is_active:
        raise PermissionDenied(_("Only managers and admins can publish or unpublish articles."))
    if status not in Status.values:
        raise ValidationError(_("Unknown status."), field="status")
    article = Article.objects.select_for_update().get(pk=article.pk)
    if article.status == status:
        return article
    article.status = status
    article.updated_at = timezone.now()
    if status == Status.PUBLISHED and article.published_at is None:
        article.published_at = article.updated_at
    article.save(update_fields=["status", "updated_at", "published_at"])
    _record_version(article, by=by, change={"kind": Change.STATUS.value, "status": status})
    return article


@transaction.atomic
def restore_version(*, article: Article, version: ArticleVersion, by: User) -> Article:
    """The text, section and slug of an earlier version back in the article (its status
    stays); recorded as a new version."""
    if version.article_id != article.pk:
        raise ValidationError(_("That version belongs to another article."))
    content = ArticleContent(
        section=version.section,
        slug=version.slug,
        **{name: getattr(version, name) for name in CONTENT_FIELDS},
    )
    _require_staff(by)
    locked = Article.objects.select_for_update().get(pk=article.pk)
    if not may_edit(by, locked):
        raise PermissionDenied(
            _("Only managers and admins can change an article that is published or internal.")
        )
    checked = _check(content, article=locked)
    for name in (*CONTENT_FIELDS, "slug"):
        setattr(locked, name, getattr(checked, name))
    locked.section = checked.section
    locked.updated_at = timezone.now()
    _render_into(locked)
    _save_with_slug(locked)
    _record_version(locked, by=by, change={"kind": Change.RESTORED.value, "from": version.number})
    return locked


def sniff_image(head: bytes) -> str | None:
    """The image type the bytes really are (PNG, JPEG, GIF, WebP), or None. SVG is never an
    image here: it may carry script."""
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    for content_type, signatures in IMAGE_SIGNATURES.items():
        if content_type != "image/webp" and head.startswith(signatures):
            return content_type
    return None


# What would break the `![name](/help/images/…/)` snippet the page offers, or a line.
_NAME_UNSAFE = re.compile(r"[\[\]()<>`\\\x00-\x1f\x7f]")


def image_name(name: str) -> str:
    """The uploaded file's name as shown (its last path part, without Markdown's brackets
    or control characters); the file itself is stored under a random token."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return _NAME_UNSAFE.sub("", base).strip()[-200:] or "image"


@transaction.atomic
def upload_image(*, article: Article, by: User, file: "UploadedFile[Any]") -> ArticleImage:
    """An image for the article's text, stored under a random name; refused unless its bytes
    are a PNG, JPEG, GIF or WebP of at most IMAGE_MAX_BYTES."""
    _require_staff(by)
    # Locked first: a manager publishing it meanwhile must not let an agent's image in.
    locked = Article.objects.select_for_update().get(pk=article.pk)
    if not may_edit(by, locked):
        raise PermissionDenied(
            _("Only managers and admins can change an article that is published or internal.")
        )
    size = file.size or 0
    if size > IMAGE_MAX_BYTES:
        raise ValidationError(
            _("The image is larger than %(mb)d MB.") % {"mb": IMAGE_MAX_BYTES // (1024 * 1024)},
            field="image",
        )
    file.seek(0)
    content_type = sniff_image(file.read(16))
    file.seek(0)
    if content_type is None or size == 0:
        raise ValidationError(_("Upload a PNG, JPEG, GIF or WebP image."), field="image")
    image = ArticleImage(
        article=locked,
        token=secrets.token_urlsafe(12),
        filename=image_name(file.name or ""),
        content_type=content_type,
        size=size,
        uploaded_by=by,
    )
    image.file.save(image.token, file, save=False)
    image.save()
    # A text may already name the image (pasted before the upload): its HTML shows it now.
    before = (locked.html_es, locked.html_en)
    _render_into(locked)
    if (locked.html_es, locked.html_en) != before:
        # What readers see changed: a new last update, so their cached pages are replaced.
        locked.updated_at = timezone.now()
        locked.save(update_fields=["html_es", "html_en", "updated_at"])
    return image


def voter_key(browser_id: str) -> str:
    """The keyed hash a vote keeps instead of the browser's id."""
    secret = settings.SECRET_KEY.encode()
    return hmac.new(secret, f"knowledge-vote:{browser_id}".encode(), hashlib.sha256).hexdigest()


def record_vote(*, article: Article, browser_id: str, helpful: bool) -> tuple[ArticleVote, bool]:
    """The browser's vote on a published article: (vote, created). A browser that already
    voted on it keeps its first vote."""
    if article.status != Status.PUBLISHED:
        raise ValidationError(_("This article is not published."))
    voter = voter_key(browser_id)
    try:
        with transaction.atomic():
            return ArticleVote.objects.create(article=article, voter=voter, helpful=helpful), True
    except IntegrityError:
        return ArticleVote.objects.get(article=article, voter=voter), False


def log_search(
    *, query: HelpSearch, language: str, results: int, text: str | None = None
) -> SearchLog | None:
    """A search of the help centre, without who made it; none for a search without words.
    With the `text` typed, e-mail addresses and long numbers in it are not kept: the words
    logged are the others, and "…" says something was left out."""
    if not query:
        return None
    words = query.normalised
    if text is not None:
        cleaned, removed = without_personal_data(text)
        if removed:
            words = f"{HelpSearch.parse(cleaned).normalised} {REMOVED}".strip()
    return SearchLog.objects.create(
        query=words[:QUERY_MAX_LENGTH], language=language[:2], results=results
    )


def record_click(*, search_id: int, article: Article) -> bool:
    """The article opened from a search's results; only the first click counts."""
    changed: int = SearchLog.objects.filter(pk=search_id, clicked_article=None).update(
        clicked_article=article
    )
    return changed == 1


@transaction.atomic
def delete_article(*, article: Article, by: User) -> None:
    """Managers and admins delete any article; an agent only a draft of their own. Its
    versions, images, votes go with it; searches keep their counts without the click."""
    _require_staff(by)
    locked = Article.objects.select_for_update().get(pk=article.pk)
    if not may_delete(by, locked):
        raise PermissionDenied(
            _("Only managers and admins can delete an article, and its author a draft.")
        )
    files = [(image.file.storage, image.file.name) for image in locked.images.all()]
    locked.delete()
    # The files go once the rows are gone for good: a rolled-back delete keeps its images.
    for storage, name in files:
        if name:
            transaction.on_commit(partial(storage.delete, name))


@transaction.atomic
def create_article_from_ticket(*, ticket: Ticket, by: User, content: ArticleContent) -> Article:
    """ "Turn this answer into an article": a new draft (as `create_article`) that records the
    resolved or closed ticket it came from. Only staff who can see the ticket may."""
    _require_staff(by)
    if not tickets_visible_to(by).filter(pk=ticket.pk).exists():
        raise PermissionDenied(_("You cannot see this ticket."))
    if ticket.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        raise ValidationError(_("Only a resolved or closed ticket can become an article."))
    article = create_article(by=by, content=content)
    ArticleSource.objects.create(article=article, ticket=ticket, created_by=by)
    return article
