"""The staff's knowledge base pages: only people with a role get in; agents write drafts,
managers and admins publish; forms keep what was typed when refused."""

import pytest

from knowledge import services
from knowledge.models import Article, Section, Status
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def roleless(db):
    """Signed in, but neither agent, manager nor admin (e.g. a customer's account)."""
    return UserFactory(username="cliente")


@pytest.fixture
def draft(write):
    return write(slug="borrador", title_es="Borrador", status=Status.DRAFT)


@pytest.fixture
def live(write):
    return write(slug="vivo", title_es="Publicado")


def pages(article):
    return [
        ("get", "/knowledge/", {}),
        ("get", "/knowledge/new/", {}),
        ("get", f"/knowledge/{article.pk}/", {}),
        ("get", f"/knowledge/{article.pk}/history/", {}),
        ("post", "/knowledge/preview/", {"body_es": "x"}),
        ("post", f"/knowledge/{article.pk}/status/", {"status": "published"}),
        ("post", f"/knowledge/{article.pk}/history/1/restore/", {}),
    ]


def test_anonymous_visitors_are_sent_to_log_in_and_roleless_users_refused(client, draft, roleless):
    for method, url, data in pages(draft):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    client.force_login(roleless)
    for method, url, data in pages(draft):
        assert getattr(client, method)(url, data).status_code == 403, url
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


@pytest.mark.parametrize("who", ["ana", "marta", "adrian"])
def test_staff_see_every_article_whatever_its_status(client, request, who, write):
    write(slug="b", title_es="Un borrador", status=Status.DRAFT)
    write(slug="i", title_es="Uno interno", status=Status.INTERNAL)
    write(slug="p", title_es="Uno publicado")
    client.force_login(request.getfixturevalue(who))
    page = client.get("/knowledge/").content.decode()
    assert "Un borrador" in page and "Uno interno" in page and "Uno publicado" in page


def test_an_agent_writes_a_draft_but_may_not_publish_it(client, ana, section):
    client.force_login(ana)
    response = client.post(
        "/knowledge/new/",
        {"section": section.pk, "slug": "", "title_es": "Cambiar la contraseña", "body_es": "Hola"},
    )
    article = Article.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/knowledge/{article.pk}/"
    assert (article.slug, article.status, article.author) == (
        "cambiar-la-contrasena",
        Status.DRAFT,
        ana,
    )
    page = client.get(f"/knowledge/{article.pk}/").content.decode()
    assert "Publish" not in page
    assert (
        client.post(f"/knowledge/{article.pk}/status/", {"status": "published"}).status_code == 403
    )
    article.refresh_from_db()
    assert article.status == Status.DRAFT


@pytest.mark.parametrize("who", ["marta", "adrian"])
def test_managers_and_admins_publish_and_unpublish(client, request, who, draft):
    client.force_login(request.getfixturevalue(who))
    client.post(f"/knowledge/{draft.pk}/status/", {"status": "published"})
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED
    assert client.get("/help/articles/borrador/").status_code == 200
    client.post(f"/knowledge/{draft.pk}/status/", {"status": "draft"})
    assert client.get("/help/articles/borrador/").status_code == 404


def test_an_agent_cannot_change_a_published_article(client, ana, live, section):
    client.force_login(ana)
    page = client.get(f"/knowledge/{live.pk}/").content.decode()
    assert "Only managers and admins can change an article" in page
    response = client.post(
        f"/knowledge/{live.pk}/", {"section": section.pk, "slug": "vivo", "title_es": "Hackeado"}
    )
    assert response.status_code == 403
    live.refresh_from_db()
    assert live.title_es == "Publicado"


def test_a_refused_form_keeps_what_was_typed(client, ana, section, live):
    client.force_login(ana)
    response = client.post(
        "/knowledge/new/",
        {"section": section.pk, "slug": "vivo", "title_es": "Mi título", "body_es": "Mi texto"},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Another article already has this slug." in page
    assert "Mi título" in page and "Mi texto" in page
    response = client.post("/knowledge/new/", {"section": section.pk, "body_en": "Only text"})
    assert response.status_code == 400 and "Only text" in response.content.decode()
    assert Article.objects.count() == 1


def test_the_preview_renders_sanitised_html_and_saves_nothing(client, ana):
    client.force_login(ana)
    page = client.post(
        "/knowledge/preview/",
        {"title_es": "T", "body_es": "**negrita** <script>alert(1)</script>"},
    ).content.decode()
    assert "<strong>negrita</strong>" in page and "<script>" not in page
    assert not Article.objects.exists()


def test_history_shows_the_changes_and_restoring_brings_an_old_version_back(
    client, ana, section, draft
):
    services.update_article(
        article=draft,
        by=ana,
        content=services.ArticleContent(
            section=section, slug="borrador", title_es="Borrador", body_es="Línea nueva"
        ),
    )
    client.force_login(ana)
    page = client.get(f"/knowledge/{draft.pk}/history/").content.decode()
    assert "Version 2" in page and "+ Línea nueva" in page
    assert client.post(f"/knowledge/{draft.pk}/history/1/restore/").status_code == 302
    draft.refresh_from_db()
    assert draft.body_es == ""
    assert draft.versions.count() == 3


def test_the_staff_navigation_links_to_the_knowledge_base(client, ana):
    client.force_login(ana)
    assert 'href="/knowledge/"' in client.get("/tickets/").content.decode()


def test_an_image_upload_is_validated(client, ana, draft):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(ana)
    client.post(
        f"/knowledge/{draft.pk}/images/",
        {"image": SimpleUploadedFile("x.svg", b"<svg onload=alert(1)>", "image/svg+xml")},
    )
    assert not draft.images.exists()
    client.post(
        f"/knowledge/{draft.pk}/images/",
        {"image": SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n" + b"0" * 20, "image/png")},
    )
    assert draft.images.get().content_type == "image/png"


def test_admins_keep_categories_and_sections_in_the_django_admin(client, adrian, section):
    client.force_login(adrian)
    assert "Envíos" in client.get("/admin/knowledge/category/").content.decode()
    response = client.post(
        "/admin/knowledge/category/add/",
        {
            "slug": "pagos",
            "name_es": "Pagos",
            "name_en": "Payments",
            "position": 1,
            "sections-TOTAL_FORMS": 1,
            "sections-INITIAL_FORMS": 0,
            "sections-0-slug": "tarjetas",
            "sections-0-name_es": "Tarjetas",
            "sections-0-position": 0,
        },
    )
    assert response.status_code == 302
    assert Section.objects.filter(category__slug="pagos", slug="tarjetas").exists()


def test_articles_are_read_only_in_the_django_admin(client, adrian, live):
    client.force_login(adrian)
    assert client.get("/admin/knowledge/article/").status_code == 200
    assert client.get("/admin/knowledge/article/add/").status_code == 403


# --- each reader's language (QA walkthrough) ---------------------------------------------


def history_page(client, article, language):
    client.cookies["django_language"] = language
    return client.get(f"/knowledge/{article.pk}/history/").content.decode()


def test_history_words_each_change_in_the_readers_language(client, marta, section, write):
    article = write(status=Status.DRAFT, title_es="Hola", title_en="Hello")
    services.update_article(
        article=article,
        by=marta,
        content=services.ArticleContent(
            section=section, slug=article.slug, title_es="Hola", title_en="Hello", body_en="New"
        ),
    )
    services.set_article_status(article=article, by=marta, status=Status.PUBLISHED)
    services.restore_version(article=article, version=article.versions.get(number=1), by=marta)
    client.force_login(marta)

    english = history_page(client, article, "en")
    for words in ("Created", "text (English)", "Status: Published", "Restored version 1"):
        assert words in english
    for words in ("Creado", "texto (", "Estado", "Publicado", "restaurada"):
        assert words not in english
    assert "+ Published" in english and "+ published" not in english  # the status's name

    spanish = history_page(client, article, "es")
    for words in ("Creado", "texto (inglés)", "Estado: Publicado", "Versión 1 restaurada"):
        assert words in spanish
    assert "Restored version" not in spanish


def test_a_version_written_before_keeps_its_text(client, marta, write):
    article = write(status=Status.DRAFT)
    article.versions.update(change={}, summary="Texto de antes")
    client.force_login(marta)
    assert "Texto de antes" in history_page(client, article, "en")


def test_added_and_removed_lines_are_dark_text_on_light_backgrounds(client, marta, write):
    article = write(status=Status.DRAFT)
    client.force_login(marta)
    page = history_page(client, article, "en")
    assert "bg-success-subtle text-success-emphasis" in page
    assert "text-bg-success" not in page and "text-bg-danger" not in page


def test_staff_pages_name_sections_and_titles_in_the_readers_language(client, ana, section, write):
    both = write(status=Status.DRAFT, slug="ambos", title_es="Seguir envío", title_en="Track it")
    write(status=Status.DRAFT, slug="solo-es", title_es="Sólo en español")
    client.force_login(ana)
    client.cookies["django_language"] = "en"
    listing = client.get("/knowledge/").content.decode()
    assert "Track it" in listing and "Seguir envío" not in listing
    assert "Shipping › Tracking" in listing and "Envíos › Seguimiento" not in listing
    assert "Sólo en español" in listing  # no English title: the Spanish one
    edit = client.get(f"/knowledge/{both.pk}/").content.decode()
    assert "<h1" in edit and "Track it</h1>" in edit
    assert "Shipping › Tracking</option>" in edit
    client.cookies["django_language"] = "es"
    listing = client.get("/knowledge/").content.decode()
    assert "Seguir envío" in listing and "Envíos › Seguimiento" in listing
