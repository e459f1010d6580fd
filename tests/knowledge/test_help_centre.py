"""The public help centre: anyone reads published articles in their language, never a draft
or an internal one; pages are cacheable; votes are one per browser and rate limited."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from knowledge import services
from knowledge.models import ArticleVote, SearchLog, Status

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def published(write):
    return write(
        slug="seguir-envio",
        title_es="Cómo seguir tu envío",
        body_es="Entra en **Pedidos**.",
        title_en="How to track your parcel",
        body_en="Open **Orders**.",
    )


def es(client):
    client.cookies["django_language"] = "es"
    return client


def test_the_home_lists_categories_and_sections_with_published_articles(client, published):
    page = es(client).get("/help/").content.decode()
    assert "Envíos" in page and "Seguimiento" in page


def test_an_article_is_shown_in_the_readers_language_with_breadcrumbs(client, published):
    page = es(client).get("/help/articles/seguir-envio/").content.decode()
    assert "Cómo seguir tu envío" in page and "<strong>Pedidos</strong>" in page
    assert 'href="/help/categories/envios/"' in page
    assert 'href="/help/categories/envios/seguimiento/"' in page
    client.cookies["django_language"] = "en"
    page = client.get("/help/articles/seguir-envio/").content.decode()
    assert "How to track your parcel" in page and "<strong>Orders</strong>" in page
    assert "only available in" not in page


def test_an_article_in_one_language_only_is_shown_with_a_note(client, write):
    write(slug="solo-es", title_es="Solo en español", body_es="Hola.")
    client.cookies["django_language"] = "en"
    page = client.get("/help/articles/solo-es/").content.decode()
    assert "Solo en español" in page
    assert "This article is only available in Spanish." in page


@pytest.mark.parametrize("status", [Status.DRAFT, Status.INTERNAL])
def test_drafts_and_internal_articles_are_not_found_by_anyone_in_the_help_centre(
    client, write, status, marta
):
    write(slug="oculto", title_es="Oculto", status=status)
    assert client.get("/help/articles/oculto/").status_code == 404
    assert client.get("/help/articles/oculto/vote/").status_code == 404
    assert "Oculto" not in client.get("/help/search/?q=oculto").content.decode()
    assert client.get("/help/categories/envios/").status_code == 404
    client.force_login(marta)
    assert client.get("/help/articles/oculto/").status_code == 404


def test_article_pages_are_kept_by_anonymous_readers_browsers_and_answer_304(client, published):
    response = client.get("/help/articles/seguir-envio/")
    assert "private" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]
    assert "Accept-Language" in response["Vary"] and "Cookie" in response["Vary"]
    # The first visit sets the CSRF cookie its language switcher's token belongs to.
    response = client.get("/help/articles/seguir-envio/")
    again = client.get("/help/articles/seguir-envio/", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    published.title_es = "Otro título"
    published.updated_at = published.updated_at.replace(year=published.updated_at.year + 1)
    published.save()
    changed = client.get("/help/articles/seguir-envio/", HTTP_IF_NONE_MATCH=response["ETag"])
    assert changed.status_code == 200


def test_staff_always_get_a_fresh_page(client, published, ana):
    client.force_login(ana)
    response = client.get("/help/articles/seguir-envio/")
    assert "no-cache" in response["Cache-Control"]


def test_a_browser_votes_once_per_article(published):
    client = Client(enforce_csrf_checks=True)
    box = client.get("/help/articles/seguir-envio/vote/")
    assert "no-store" in box["Cache-Control"]
    token = box.cookies["csrftoken"].value
    url = "/help/articles/seguir-envio/vote/"
    first = client.post(
        url, {"helpful": "yes", "csrfmiddlewaretoken": token}, HTTP_HX_REQUEST="true"
    )
    assert "Thank you for your answer." in first.content.decode()
    client.post(url, {"helpful": "no", "csrfmiddlewaretoken": token}, HTTP_HX_REQUEST="true")
    assert list(ArticleVote.objects.values_list("helpful", flat=True)) == [True]
    assert "You already answered" in client.get(url).content.decode()
    other = Client()
    other.post(url, {"helpful": "no"})
    assert sorted(ArticleVote.objects.values_list("helpful", flat=True)) == [False, True]


def test_a_vote_without_the_csrf_token_is_refused(published):
    client = Client(enforce_csrf_checks=True)
    assert client.post("/help/articles/seguir-envio/vote/", {"helpful": "yes"}).status_code == 403
    assert not ArticleVote.objects.exists()


def test_votes_are_rate_limited_per_address(published, write, settings):
    settings.HELP_VOTE_RATE = "2/h"
    others = [write(slug=f"otro-{n}", title_es=f"Otro {n}") for n in range(3)]
    codes = [
        Client().post(f"/help/articles/{a.slug}/vote/", {"helpful": "yes"}).status_code
        for a in others
    ]
    assert codes == [302, 302, 429]
    assert ArticleVote.objects.count() == 2


def test_a_search_is_logged_and_opening_a_result_records_the_click(client, published):
    page = es(client).get("/help/search/?q=ENVIO").content.decode()
    assert "Cómo seguir tu envío" in page
    log = SearchLog.objects.get()
    assert (log.query, log.results, log.clicked_article) == ("envio", 1, None)
    link = page.split('<ol class="help-results"><li><a href="')[1].split('"')[0]
    response = client.get(link)
    assert response.status_code == 302 and response["Location"] == "/help/articles/seguir-envio/"
    log.refresh_from_db()
    assert log.clicked_article == published


def test_a_search_that_finds_nothing_says_so_and_is_logged_with_zero(client, published):
    page = client.get("/help/search/?q=inexistente").content.decode()
    assert "No article matches your search." in page
    assert SearchLog.objects.get().results == 0


def test_related_articles_come_from_the_same_section(client, published, write):
    write(slug="otro", title_es="Cambiar la dirección de entrega")
    page = es(client).get("/help/articles/seguir-envio/").content.decode()
    assert "Cambiar la dirección de entrega" in page


def test_a_published_articles_image_is_served_safely_and_a_drafts_only_to_staff(
    client, published, marta, ana
):
    image = services.upload_image(
        article=published, by=marta, file=SimpleUploadedFile("a.png", PNG, "image/png")
    )
    response = client.get(f"/help/images/{image.token}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    services.set_article_status(article=published, by=marta, status=Status.DRAFT)
    assert client.get(f"/help/images/{image.token}/").status_code == 404
    client.force_login(ana)
    assert client.get(f"/help/images/{image.token}/").status_code == 200


def test_the_help_centre_uses_no_login(client, published):
    for url in ["/help/", "/help/categories/envios/", "/help/categories/envios/seguimiento/"]:
        assert client.get(url).status_code == 200, url
    assert reverse("help:home") == "/help/"


def test_searches_are_rate_limited_per_address(client, published, settings):
    settings.HELP_SEARCH_RATE = "2/m"
    codes = [client.get("/help/search/?q=envio").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert SearchLog.objects.count() == 2


def test_a_forged_search_token_records_no_click(client, published):
    response = client.get("/help/search/forged:token/seguir-envio/")
    assert response.status_code == 302
    assert not SearchLog.objects.filter(clicked_article__isnull=False).exists()


def test_related_articles_then_come_from_shared_title_words_in_other_sections(
    client, published, write, category
):
    from knowledge.models import Section

    other = Section.objects.create(category=category, slug="otra", name_es="Otra")
    write(slug="lejos", title_es="Recetas de cocina", section=other)
    write(slug="cerca", title_es="Seguir un envío internacional", section=other)
    page = es(client).get("/help/articles/seguir-envio/").content.decode()
    related = page.split('class="mb-4 help-related"')[1]
    assert "Seguir un envío internacional" in related
    assert "Recetas de cocina" not in related


@pytest.mark.parametrize("q", ["", "   "])
def test_a_search_without_words_asks_for_some_and_offers_the_categories(client, published, q):
    client.cookies["django_language"] = "en"
    html = client.get("/help/search/", {"q": q}).content.decode()
    assert "Type a few words to search the help centre." in html
    assert "Shipping" in html and "/help/categories/envios/" in html
    assert "No article matches" not in html
    assert not SearchLog.objects.exists()


def test_listings_mark_an_article_written_only_in_the_other_language(client, published, write):
    write(slug="solo-es", title_es="Envío urgente solo", body_es="Texto.")
    client.cookies["django_language"] = "en"
    section = client.get("/help/categories/envios/seguimiento/").content.decode()
    assert section.count("Spanish only") == 1
    assert 'lang="es">Envío urgente solo</a>' in section
    results = client.get("/help/search/", {"q": "envio"}).content.decode()
    assert results.count("Spanish only") == 1

    write(slug="only-en", title_es="", title_en="Urgent shipping", body_en="Text.")
    client.cookies["django_language"] = "es"
    spanish = client.get("/help/categories/envios/seguimiento/").content.decode()
    # Only the English-only one is marked ("Solo en inglés" once the catalogue has it).
    assert spanish.count("help-language-badge") == 1
    assert 'lang="en">Urgent shipping</a>' in spanish
