"""Who sees which articles: the one place that decides it (docs/knowledge.md).

The public — the help centre, its search and the public API — sees published articles only,
whoever is signed in. Staff (agents, managers, admins) see every article in the staff pages
and API: drafts, internal and published."""

import re

from django.db.models import Q, QuerySet

from cases.models import User

from .models import Article, ArticleVersion, Category, Section, Status
from .search import HelpSearch, search

RELATED_LIMIT = 5
_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,120}")  # what Article.slug holds (and ids)


def public_articles() -> QuerySet[Article]:
    return Article.objects.filter(status=Status.PUBLISHED).select_related("section__category")


def is_staff(user: object) -> bool:
    return bool(isinstance(user, User) and user.is_authenticated and user.is_active and user.role)


def articles_for_staff(user: User) -> QuerySet[Article]:
    """Every article for someone with a role; nothing for anyone else."""
    if not is_staff(user):
        return Article.objects.none()
    return Article.objects.select_related("section__category", "author")


def public_categories() -> QuerySet[Category]:
    """Categories with at least one published article."""
    return Category.objects.filter(sections__articles__status=Status.PUBLISHED).distinct()


def public_sections(category: Category) -> QuerySet[Section]:
    return category.sections.filter(articles__status=Status.PUBLISHED).distinct()


def search_public(text: str) -> tuple[HelpSearch, QuerySet[Article]]:
    query = HelpSearch.parse(text)
    return query, search(public_articles(), query)


def related_articles(article: Article, limit: int = RELATED_LIMIT) -> list[Article]:
    """Published articles of the same section (newest first), then others sharing the
    longest words of its titles."""
    same = list(public_articles().filter(section=article.section).exclude(pk=article.pk)[:limit])
    if len(same) >= limit:
        return same
    seen = {article.pk, *(a.pk for a in same)}
    words = sorted(
        {w for w, _p in HelpSearch.parse(f"{article.title_es} {article.title_en}").words},
        key=len,
        reverse=True,
    )
    for word in words[:3]:
        if len(word) < 4:
            break
        for other in search(public_articles().exclude(pk__in=seen), HelpSearch(((word, True),)))[
            : limit - len(same)
        ]:
            same.append(other)
            seen.add(other.pk)
        if len(same) >= limit:
            break
    return same


def versions_of(article: Article) -> QuerySet[ArticleVersion]:
    return article.versions.select_related("changed_by", "section__category").order_by("-number")


def article_by_slug_or_id(articles: QuerySet[Article], key: str) -> Article | None:
    """An article of `articles` by slug, or by id when `key` is a number."""
    if not _SLUG.fullmatch(key):  # e.g. a NUL byte, which PostgreSQL refuses in a query
        return None
    lookup = Q(slug=key)
    if key.isdigit() and len(key) < 19:
        lookup |= Q(pk=int(key))
    return articles.filter(lookup).first()
