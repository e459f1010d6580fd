"""The help centre in headless Chromium: a visitor searches, opens an article, answers
"was this helpful?" through htmx, and a manager previews an article — no Content-Security-
Policy violation, no console or script error on the way."""

import pytest

from knowledge import services
from knowledge.models import ArticleVote, Category, SearchLog, Section
from tests.e2e.test_csp import Visitor
from tests.factories import ManagerFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def article(db):
    marta = ManagerFactory(username="marta")
    category = Category.objects.create(slug="envios", name_es="Envíos", name_en="Shipping")
    section = Section.objects.create(category=category, slug="seguimiento", name_en="Tracking")
    article = services.create_article(
        by=marta,
        content=services.ArticleContent(
            section=section,
            slug="track",
            title_en="Track your shipment",
            body_en="Open **Orders** and choose [the parcel](https://example.org/x).",
        ),
    )
    return services.set_article_status(article=article, by=marta, status="published")


def test_a_visitor_finds_an_article_and_says_it_helped(browser, live_server, article, settings):
    settings.DEBUG = False
    visitor = Visitor(browser, live_server.url)
    visitor.visit("/help/")
    visitor.visit("/help/search/?q=SHIPMENT")
    visitor.page.click(".help-results a")
    visitor.page.wait_for_url("**/help/articles/track/")
    visitor.page.locator(".help-vote button[value=yes]").click()
    visitor.page.get_by_text("Thank you for your answer.").wait_for()
    visitor.settle()
    visitor.visit("/help/articles/track/", wait_for=".help-vote [role=status]")
    assert "You already answered" in visitor.page.inner_text(".help-vote")
    assert list(ArticleVote.objects.values_list("helpful", flat=True)) == [True]
    assert SearchLog.objects.get().clicked_article == article
    assert visitor.close() == []


def test_a_manager_previews_and_reads_the_history(browser, live_server, article, settings):
    settings.DEBUG = False
    manager = Visitor(browser, live_server.url)
    manager.visit("/accounts/login/")
    manager.page.fill("#id_username", "marta")
    manager.page.fill("#id_password", "pulso-test")
    manager.page.click("button[type=submit]")
    manager.page.wait_for_load_state("networkidle")
    manager.visit("/knowledge/")
    manager.visit(f"/knowledge/{article.pk}/")
    manager.page.fill("#id_body_es", "**negrita** <img src=x onerror=alert(1)>")
    manager.page.fill("#id_title_es", "Sigue tu envío")
    manager.page.click("text=Preview")
    manager.page.locator(".article-preview strong").first.wait_for()
    manager.settle()
    manager.visit(f"/knowledge/{article.pk}/history/")
    assert manager.close() == []
