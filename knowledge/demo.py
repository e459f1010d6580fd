"""The demo desk's help centre and its history (docs/knowledge.md, "Demo data"): the articles
of knowledge/demo_articles.py written and published by a demo manager, and 90 days of article
views, votes, searches and web-form visits, so that the dashboard's self-service section
shows something. Run by cases' `demo_loaded` signal (connected in apps.py), inside the demo's
transaction; deterministic for a seed."""

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from cases.models import User

from . import services
from .demo_articles import ARTICLES, CATEGORIES, GAPS, SEARCHES
from .models import (
    Article,
    ArticleView,
    ArticleVote,
    Category,
    DeflectionShown,
    DeflectionVisit,
    SearchLog,
    Section,
    Status,
)
from .selectors import search_public

DAYS = 90
SEED_OFFSET = 17  # the help centre's own random stream, apart from the tickets'


@contextmanager
def _dated(*fields: Any) -> Iterator[None]:
    """Let bulk_create keep the past times given to auto_now_add fields."""
    for field in fields:
        field.auto_now_add = False
    try:
        yield
    finally:
        for field in fields:
            field.auto_now_add = True


def load(*, author: User, seed: int, now: datetime) -> dict[str, int]:
    """Create the articles and their history; nothing when the demo's articles exist."""
    if Article.objects.filter(slug=ARTICLES[0][2]).exists():
        return {}
    rng = random.Random(seed + SEED_OFFSET)
    articles = _articles(author)
    published = [a for a in articles if a.status == Status.PUBLISHED]
    counts = {"articles": len(articles)}
    counts["article_views"] = _views(rng, published, now)
    counts["votes"] = _votes(rng, published, now)
    counts["searches"] = _searches(rng, now)
    counts["visits"] = _visits(rng, published, now)
    return counts


def _articles(author: User) -> list[Article]:
    sections: dict[tuple[str, str], Section] = {}
    for position, (slug, name_es, name_en, section_rows) in enumerate(CATEGORIES):
        category = Category.objects.create(
            slug=slug, name_es=name_es, name_en=name_en, position=position
        )
        for number, (section_slug, section_es, section_en) in enumerate(section_rows):
            sections[slug, section_slug] = Section.objects.create(
                category=category,
                slug=section_slug,
                name_es=section_es,
                name_en=section_en,
                position=number,
            )
    found = []
    for category_slug, section, slug, status, title_es, body_es, title_en, body_en in ARTICLES:
        content = services.ArticleContent(
            section=sections[category_slug, section],
            slug=slug,
            title_es=title_es,
            body_es=body_es,
            title_en=title_en,
            body_en=body_en,
        )
        article = services.create_article(by=author, content=content)
        if status != Status.DRAFT:
            article = services.set_article_status(article=article, by=author, status=status)
        found.append(article)
    return found


def _views(rng: random.Random, published: list[Article], now: datetime) -> int:
    popularity = {a.pk: rng.uniform(0.3, 6.0) for a in published}
    today = timezone.localdate(now)
    rows = []
    for back in range(DAYS):
        for article in published:
            views = int(rng.random() * popularity[article.pk] * 2)
            if views:
                rows.append(
                    ArticleView(article=article, day=today - timedelta(days=back), views=views)
                )
    ArticleView.objects.bulk_create(rows)
    return sum(row.views for row in rows)


def _moment(rng: random.Random, now: datetime) -> datetime:
    """A time in the last DAYS days, at least an hour ago."""
    return now - timedelta(seconds=rng.uniform(3600, DAYS * 86400))


def _votes(rng: random.Random, published: list[Article], now: datetime) -> int:
    liked = {a.pk: rng.uniform(0.55, 0.95) for a in published}
    rows = [
        ArticleVote(
            article=article,
            voter=f"demo-{n}",
            helpful=rng.random() < liked[article.pk],
            created_at=_moment(rng, now),
        )
        for n, article in enumerate(rng.choices(published, k=DAYS * 4))
    ]
    with _dated(ArticleVote._meta.get_field("created_at")):
        ArticleVote.objects.bulk_create(rows)
    return len(rows)


def _searches(rng: random.Random, now: datetime) -> int:
    results: dict[str, tuple[str, int]] = {}
    for text in (*SEARCHES, *GAPS):
        parsed, found = search_public(text)
        results[text] = (parsed.normalised, found.count() if parsed else 0)
    rows = []
    for _n in range(DAYS * 8):
        text = rng.choice(GAPS) if rng.random() < 0.15 else rng.choice(SEARCHES)
        words, count = results[text]
        rows.append(
            SearchLog(
                query=words,
                language="en" if text.isascii() and rng.random() < 0.5 else "es",
                results=count,
                created_at=_moment(rng, now),
            )
        )
    with _dated(SearchLog._meta.get_field("created_at")):
        SearchLog.objects.bulk_create(rows)
    return len(rows)


def _visits(rng: random.Random, published: list[Article], now: datetime) -> int:
    """Web-form visits shown suggestions: about half open one; of those, a third send the
    form anyway; of the others, most send it."""
    by_section: dict[int, list[Article]] = {}
    for article in published:
        by_section.setdefault(article.section_id, []).append(article)
    visits: list[DeflectionVisit] = []
    shown: list[tuple[int, list[Article], datetime | None]] = []
    for n in range(DAYS * 5):
        started = _moment(rng, now)
        group = by_section[rng.choice(list(by_section))]
        articles = rng.sample(group, k=min(len(group), rng.randint(1, 3)))
        opened = started + timedelta(minutes=rng.uniform(0.3, 4)) if rng.random() < 0.5 else None
        submitted: datetime | None = None
        if opened is not None and rng.random() < 0.33:
            submitted = opened + timedelta(minutes=rng.uniform(1, 25))
        elif opened is None and rng.random() < 0.7:
            submitted = started + timedelta(minutes=rng.uniform(1, 8))
        visits.append(
            DeflectionVisit(
                token=f"demo-{seed_token(rng)}-{n}",
                language=rng.choice(("es", "es", "en")),
                started_at=started,
                first_opened_at=opened,
                submitted_at=submitted,
            )
        )
        shown.append((n, articles, opened))
    DeflectionVisit.objects.bulk_create(visits)
    rows = []
    for (_n, articles, opened), visit in zip(shown, visits, strict=True):
        stored = visit  # bulk_create set its primary key (PostgreSQL, SQLite ≥ 3.35)
        for position, article in enumerate(articles):
            rows.append(
                DeflectionShown(
                    visit=stored,
                    article=article,
                    shown_at=visit.started_at,
                    opened_at=opened if position == 0 else None,
                )
            )
    DeflectionShown.objects.bulk_create(rows)
    return len(visits)


def seed_token(rng: random.Random) -> str:
    return f"{rng.getrandbits(64):016x}"


def on_demo_loaded(sender: Any, seed: int, now: datetime, managers: list[User], **kw: Any) -> None:
    """cases.signals.demo_loaded's receiver (connected in apps.py)."""
    if managers:
        load(author=managers[0], seed=seed, now=now)
