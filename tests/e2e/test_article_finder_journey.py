"""An agent answers with an article in headless Chromium: searches it in the reply box,
inserts its link, sends the reply; the article's staff page then lists the ticket — no
Content-Security-Policy violation, no console or script error on the way."""

import pytest

from cases.models import Reply
from knowledge import services
from knowledge.models import ArticleUse, Category, Section
from tests.e2e.test_csp import Visitor

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def article(marta):
    category = Category.objects.create(slug="envios", name_es="Envíos", name_en="Shipping")
    section = Section.objects.create(category=category, slug="seguimiento", name_es="Seguimiento")
    article = services.create_article(
        by=marta,
        content=services.ArticleContent(
            section=section,
            slug="seguir-envio",
            title_es="Cómo seguir tu envío",
            body_es="Abre **Mis pedidos** y pulsa *Seguir*.",
        ),
    )
    return services.set_article_status(article=article, by=marta, status="published")


def test_an_agent_sends_an_article_and_its_page_lists_the_ticket(
    browser, live_server, ana, ticket, article, settings
):
    settings.DEBUG = False
    agent = Visitor(browser, live_server.url)
    agent.visit("/accounts/login/")
    agent.page.fill("#id_username", "ana")
    agent.page.fill("#id_password", "pulso-test")
    agent.page.click("button[type=submit]")
    agent.page.wait_for_load_state("networkidle")

    agent.visit(f"/tickets/{ticket.pk}/", wait_for="#article-search")
    agent.page.locator("#article-search").type("envio")
    link_button = agent.page.locator(
        f".article-match[data-article='{article.pk}'] .article-insert-link"
    )
    link_button.click()
    body = agent.page.locator("form[data-action=reply] textarea[name=body]")
    expected = f"Cómo seguir tu envío: {settings.SITE_URL}/help/articles/seguir-envio/"
    agent.page.wait_for_function(
        "text => document.getElementById('id_reply_body').value.includes(text)", arg=expected
    )
    assert ArticleUse.objects.get().kind == "link"

    body.press("End")
    body.type("\n\nUn saludo.")
    with agent.page.expect_response(lambda r: r.request.method == "POST" and "/reply/" in r.url):
        agent.page.locator("form[data-action=reply] button[type=submit]").click()
    agent.page.get_by_text("Message added.").wait_for()
    sent = Reply.objects.get(ticket=ticket).body.replace("\r\n", "\n")  # a form sends CRLF
    assert sent == f"{expected}\n\nUn saludo."
    agent.settle()

    agent.visit(f"/knowledge/{article.pk}/", wait_for=".article-sent-ticket")
    row = agent.page.locator(f".article-sent-ticket[data-ticket='{ticket.pk}']")
    assert ticket.reference in row.inner_text()
    assert "Sent on 1 ticket." in agent.page.inner_text(".article-sent-summary")
    assert agent.close() == []
