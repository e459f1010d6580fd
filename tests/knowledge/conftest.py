"""The knowledge base's cast: a category and section, and articles written through the
services (`write`), in the state a test names."""

from collections.abc import Callable
from typing import Any

import pytest

from knowledge import services
from knowledge.models import Article, Category, Section, Status


@pytest.fixture
def category(db) -> Category:
    return Category.objects.create(slug="envios", name_es="Envíos", name_en="Shipping")


@pytest.fixture
def section(category) -> Section:
    return Section.objects.create(
        category=category, slug="seguimiento", name_es="Seguimiento", name_en="Tracking"
    )


@pytest.fixture
def write(section, marta) -> Callable[..., Article]:
    """An article by Marta (a manager) with `status`, through the services."""

    def make(status: str = Status.PUBLISHED, slug: str = "", **text: Any) -> Article:
        text.setdefault("title_es", "Cómo seguir tu envío")
        content = services.ArticleContent(
            section=text.pop("section", section), slug=slug or text["title_es"] or "x", **text
        )
        article = services.create_article(by=marta, content=content)
        if status != Status.DRAFT:
            article = services.set_article_status(article=article, by=marta, status=status)
        return article

    return make
