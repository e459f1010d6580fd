"""Articles of the help centre and what is recorded around them (docs/knowledge.md).

An article keeps its Spanish and English text side by side (either may be empty) with the
HTML rendered from each when it is saved (knowledge/rendering.py), so a page view never
renders Markdown. Every change writes an `ArticleVersion`; votes and searches keep no
personal data: a vote names a keyed hash of a random browser id, a search only its words."""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

LANGUAGES = ("es", "en")


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
        return self.name_es or self.name_en or self.slug

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
        return f"{self.category} › {self.name_es or self.name_en or self.slug}"

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
        return self.title_es or self.title_en

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


class ArticleVersion(models.Model):
    """What an article said after each change, and who made it. Restoring copies one of these
    back into the article, which writes a version of its own."""

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

    class Meta:
        ordering = ["article", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="knowledge_version_number")
        ]
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


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
