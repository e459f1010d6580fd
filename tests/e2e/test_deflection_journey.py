"""The web form's deflection in headless Chromium (docs/knowledge.md, "Deflection"): a visitor
on /support/ types a question, sees a suggested article, opens it, says it helped and leaves —
one deflection 31 minutes later; another opens it and sends the form anyway — none."""

from datetime import timedelta

import pytest
from django.utils import timezone

from knowledge import services
from knowledge.kpis import self_service
from knowledge.models import ArticleVote, Category, DeflectionVisit, Section
from tests.e2e.test_csp import Visitor
from tests.factories import ManagerFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def article(db):
    marta = ManagerFactory(username="marta")
    category = Category.objects.create(slug="acceso", name_es="Acceso", name_en="Access")
    section = Section.objects.create(category=category, slug="claves", name_en="Passwords")
    article = services.create_article(
        by=marta,
        content=services.ArticleContent(
            section=section,
            slug="reset-password",
            title_en="Reset your password",
            body_en="Choose **Forgot your password?** on the sign-in page.",
        ),
    )
    return services.set_article_status(article=article, by=marta, status="published")


def open_suggestion(visitor: Visitor):
    visitor.visit("/support/")
    visitor.page.locator("#id_subject").press_sequentially("I forgot my password", delay=20)
    link = visitor.page.locator("#help-suggestions a.help-suggestion")
    link.first.wait_for()
    assert link.first.inner_text() == "Reset your password"
    visitor.settle()
    with visitor.context.expect_page() as opened:
        link.first.click()
    tab = opened.value
    tab.wait_for_url("**/help/articles/reset-password/")
    return tab


def kpis_at(minutes: int):
    today = timezone.localdate()
    return self_service(
        today - timedelta(days=1),
        today + timedelta(days=1),
        now=timezone.now() + timedelta(minutes=minutes),
    )


def test_a_visitor_reads_a_suggestion_and_leaves(browser, live_server, article, settings):
    settings.DEBUG = False
    visitor = Visitor(browser, live_server.url)
    tab = open_suggestion(visitor)
    tab.locator(".help-vote button[value=yes]").click()
    tab.get_by_text("Thank you for your answer.").wait_for()
    assert visitor.close() == []

    assert list(ArticleVote.objects.values_list("helpful", flat=True)) == [True]
    assert kpis_at(0)["deflected"] == 0  # still within the 30 minutes
    later = kpis_at(31)
    assert (later["visits_shown"], later["deflected"]) == (1, 1)


def test_a_visitor_who_sends_the_form_anyway_is_not_deflected(
    browser, live_server, article, settings
):
    settings.DEBUG = False
    visitor = Visitor(browser, live_server.url)
    tab = open_suggestion(visitor)
    tab.close()
    page = visitor.page
    page.fill("#id_name", "Sofía Herrera")
    page.fill("#id_email", "sofia@example.com")
    page.fill("#id_description", "The reset e-mail never arrives.")
    page.locator("#help-suggestions a.help-suggestion").first.wait_for()
    page.click("form button[type=submit]")
    page.wait_for_url("**/support/**")
    page.wait_for_load_state("networkidle")
    assert visitor.close() == []

    visit = DeflectionVisit.objects.get()
    assert visit.first_opened_at is not None and visit.submitted_at is not None
    later = kpis_at(31)
    assert (later["visits_shown"], later["deflected"]) == (1, 0)
    assert [row["slug"] for row in later["viewed_before_ticket"]] == ["reset-password"]


def test_the_manager_dashboard_shows_the_self_service_section(
    browser, live_server, article, settings
):
    """The section arrives by htmx with the dashboard's period, under the strict CSP."""
    settings.DEBUG = False
    visitor = Visitor(browser, live_server.url)
    open_suggestion(visitor).close()
    manager = Visitor(browser, live_server.url)
    manager.visit("/accounts/login/")
    manager.page.fill("#id_username", "marta")
    manager.page.fill("#id_password", "pulso-test")
    manager.page.click("button[type=submit]")
    manager.page.wait_for_url("**/tickets/**")
    manager.visit("/metrics/?period=7", wait_for=".dashboard-self-service")
    rate = manager.page.locator("[data-self-service=deflection_rate]").inner_text()
    assert "0 deflected of 1 web-form visit shown suggestions" in rate
    assert "1 visit opened an article less than 30 minutes ago" in rate
    assert visitor.close() == [] and manager.close() == []
