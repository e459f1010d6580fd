"""Articles of the help centre and what is recorded around them (docs/knowledge.md).

An article keeps its Spanish and English text side by side (either may be empty) with the
HTML rendered from each when it is saved (knowledge/rendering.py), so a page view never
renders Markdown. Every change writes an `ArticleVersion`; votes and searches keep no
personal data: a vote names a keyed hash of a random browser id, a search only its words."""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

LANGUAGES = ("es", "en")


def reader_language() -> str:
    """The language of the page being rendered ("es" or "en")."""
    return (translation.get_language() or settings.LANGUAGE_CODE)[:2]


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    INTERNAL = "internal", _("Internal")


class Category(models.Model):
    """The top level of the help centre (e.g. Billing, Shipping)."""

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name_es = models.CharField(_("name (Spanish)"), max_length=120, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("help category")
        verbose_name_plural = _("help categories")

    def __str__(self) -> str:
        """Its name in the reader's language, else the other one's (staff pages, admin)."""
        return self.name_in(reader_language())

    def name_in(self, language: str) -> str:
        return in_language(self, "name", language)[0] or self.slug


class Section(models.Model):
    category = models.ForeignKey(
        Category, models.CASCADE, related_name="sections", verbose_name=_("category")
    )
    slug = models.SlugField(_("slug"), max_length=80)
    name_es = models.CharField(_("name (Spanish)"), max_length=120, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["category__position", "position", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["category", "slug"], name="knowledge_section_slug")
        ]
        verbose_name = _("help section")
        verbose_name_plural = _("help sections")

    def __str__(self) -> str:
        """Category › section, each in the reader's language, else the other one's."""
        language = reader_language()
        return f"{self.category.name_in(language)} › {self.name_in(language)}"

    def name_in(self, language: str) -> str:
        return in_language(self, "name", language)[0] or self.slug


class Article(models.Model):
    section = models.ForeignKey(
        Section, models.PROTECT, related_name="articles", verbose_name=_("section")
    )
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        related_name="knowledge_articles",
        verbose_name=_("author"),
    )
    title_es = models.CharField(_("title (Spanish)"), max_length=200, blank=True)
    body_es = models.TextField(_("body (Spanish)"), blank=True)
    html_es = models.TextField(editable=False, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    body_en = models.TextField(_("body (English)"), blank=True)
    html_en = models.TextField(editable=False, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"))
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    # PostgreSQL: titles (weight A) and bodies (B), written by the table's trigger (knowledge
    # migration 0002) from the `pulso` configuration; always NULL on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)
    # SQLite: the titles' and bodies' words folded (lower case, no accents), each between
    # spaces, so a word is found by its beginning with LIKE (knowledge/search.py).
    search_title = models.TextField(editable=False, blank=True, default="")
    search_body = models.TextField(editable=False, blank=True, default="")

    class Meta:
        ordering = ["-updated_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(title_es="") | ~Q(title_en=""), name="knowledge_article_has_title"
            )
        ]
        indexes = [models.Index(fields=["status", "section"], name="knowledge_status_section")]
        verbose_name = _("article")
        verbose_name_plural = _("articles")

    def __str__(self) -> str:
        """Its title in the reader's language, else the other one's."""
        return self.title_in(reader_language())

    def languages(self) -> list[str]:
        """The languages this article is written in."""
        return [code for code in LANGUAGES if getattr(self, f"title_{code}")]

    def title_in(self, language: str) -> str:
        return in_language(self, "title", language)[0]

    @property
    def is_public(self) -> bool:
        return self.status == Status.PUBLISHED


def in_language(obj: object, field: str, language: str) -> tuple[str, str]:
    """`obj.<field>_<language>`, else the other language's: (value, the language it is in)."""
    for code in (language, *[c for c in LANGUAGES if c != language]):
        value = getattr(obj, f"{field}_{code}", "")
        if value:
            return value, code
    return "", language


# The names of an article's fields as the history shows them, in the reader's language.
FIELD_LABELS = {
    "title_es": _("title (Spanish)"),
    "body_es": _("text (Spanish)"),
    "title_en": _("title (English)"),
    "body_en": _("text (English)"),
    "section": _("section"),
    "slug": _("slug"),
    "status": _("status"),
}


class Change(models.TextChoices):
    """The kinds of change a version records (`ArticleVersion.change["kind"]`)."""

    CREATED = "created"
    EDITED = "edited"
    STATUS = "status"
    RESTORED = "restored"


class ArticleVersion(models.Model):
    """What an article said after each change, and who made it. Restoring copies one of these
    back into the article, which writes a version of its own.

    What changed is kept language-neutral in `change` — {"kind": "created"}, {"kind":
    "edited", "fields": [...]}, {"kind": "status", "status": "published"} or {"kind":
    "restored", "from": 2} — and worded in the reader's language when shown (`describe`).
    Versions written before that keep their text in `summary`, shown as it is."""

    article = models.ForeignKey(
        Article, models.CASCADE, related_name="versions", verbose_name=_("article")
    )
    number = models.PositiveIntegerField(_("version"))
    section = models.ForeignKey(Section, models.PROTECT, related_name="+")
    slug = models.SlugField(max_length=120)
    status = models.CharField(max_length=12, choices=Status.choices)
    title_es = models.CharField(max_length=200, blank=True)
    body_es = models.TextField(blank=True)
    title_en = models.CharField(max_length=200, blank=True)
    body_en = models.TextField(blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("changed by")
    )
    changed_at = models.DateTimeField(_("changed"))
    summary = models.CharField(_("what changed"), max_length=300, blank=True)
    change = models.JSONField(_("what changed (data)"), default=dict, blank=True)

    class Meta:
        ordering = ["article", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="knowledge_version_number")
        ]
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"

    def describe(self) -> str:
        """What changed, in the language active now; an older version's stored text as is."""
        change = self.change if isinstance(self.change, dict) else {}
        kind = change.get("kind")
        if kind == Change.CREATED:
            return gettext("Created")
        if kind == Change.EDITED:
            fields = [f for f in change.get("fields", []) if f in FIELD_LABELS]
            return ", ".join(str(FIELD_LABELS[f]) for f in fields)
        if kind == Change.STATUS and change.get("status") in Status.values:
            return gettext("Status: %(status)s") % {"status": Status(change["status"]).label}
        if kind == Change.RESTORED and isinstance(change.get("from"), int):
            return gettext("Restored version %(number)d") % {"number": change["from"]}
        return self.summary


def image_path(instance: "ArticleImage", filename: str) -> str:
    return f"knowledge/{instance.article_id}/{instance.token}"


class ArticleImage(models.Model):
    """An image uploaded for an article's body: PNG, JPEG, GIF or WebP whose bytes say so."""

    article = models.ForeignKey(
        Article, models.CASCADE, related_name="images", verbose_name=_("article")
    )
    token = models.CharField(max_length=32, unique=True)
    file = models.FileField(upload_to=image_path, max_length=200)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["article", "pk"]
        verbose_name = _("article image")
        verbose_name_plural = _("article images")

    def __str__(self) -> str:
        return self.filename


class ArticleVote(models.Model):
    """'Was this helpful?': one per browser and article. `voter` is a keyed hash of a random
    id kept in the browser's signed cookie — it names no person and no address."""

    article = models.ForeignKey(Article, models.CASCADE, related_name="votes")
    voter = models.CharField(max_length=64)
    helpful = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "voter"], name="knowledge_one_vote")
        ]
        verbose_name = _("article vote")
        verbose_name_plural = _("article votes")

    def __str__(self) -> str:
        return f"{self.article_id}: {'yes' if self.helpful else 'no'}"


class SearchLog(models.Model):
    """One help-centre search: its words (folded), how many articles it found, and the one
    opened from its results, if any. Nothing about who searched."""

    query = models.CharField(max_length=200)
    language = models.CharField(max_length=2)
    results = models.PositiveIntegerField()
    clicked_article = models.ForeignKey(
        Article, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("help search")
        verbose_name_plural = _("help searches")

    def __str__(self) -> str:
        return self.query


# The models of the deflection and of the agents' use live in modules of their own, imported
# here so that Django finds them (they refer to the models above).
from .models_agent import *  # noqa: E402, F403
from .models_deflection import *  # noqa: E402, F403
