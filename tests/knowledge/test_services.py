"""Writing, publishing and restoring articles through the services, under the rule: agents
write and edit drafts, managers and admins publish and edit what readers see."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.errors import PermissionDenied, ValidationError
from knowledge import services
from knowledge.models import ArticleVote, SearchLog, Status
from knowledge.search import HelpSearch

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def content(section, **text):
    text.setdefault("slug", "guia")
    return services.ArticleContent(section=section, **text)


def test_an_agent_writes_a_draft_with_its_first_version(ana, section):
    article = services.create_article(
        by=ana, content=content(section, title_es="Guía", body_es="**Hola**")
    )
    assert article.status == Status.DRAFT
    assert article.author == ana
    assert article.html_es == "<p><strong>Hola</strong></p>"
    version = article.versions.get()
    assert (version.number, version.changed_by, version.title_es) == (1, ana, "Guía")


def test_an_agent_may_not_publish(ana, section):
    article = services.create_article(by=ana, content=content(section, title_es="Guía"))
    with pytest.raises(PermissionDenied):
        services.set_article_status(article=article, by=ana, status=Status.PUBLISHED)
    article.refresh_from_db()
    assert article.status == Status.DRAFT


def test_an_agent_may_not_edit_a_published_article_but_a_manager_may(ana, marta, write, section):
    article = write(slug="guia", title_es="Guía")
    with pytest.raises(PermissionDenied):
        services.update_article(
            article=article, by=ana, content=content(section, title_es="Cambiada")
        )
    services.update_article(
        article=article, by=marta, content=content(section, title_es="Cambiada")
    )
    article.refresh_from_db()
    assert article.title_es == "Cambiada"


def test_a_title_in_some_language_is_required(ana, section):
    with pytest.raises(ValidationError):
        services.create_article(by=ana, content=content(section, body_es="Sin título"))


def test_a_slug_is_unique(ana, section):
    services.create_article(by=ana, content=content(section, title_es="Uno"))
    with pytest.raises(ValidationError) as error:
        services.create_article(by=ana, content=content(section, title_es="Dos"))
    assert error.value.field == "slug"


def test_each_change_is_a_version_naming_what_changed_and_restoring_writes_another(ana, section):
    article = services.create_article(by=ana, content=content(section, title_es="Primera"))
    services.update_article(
        article=article, by=ana, content=content(section, title_es="Primera", body_es="Texto")
    )
    services.update_article(
        article=article, by=ana, content=content(section, title_es="Segunda", body_es="Otro")
    )
    versions = list(article.versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2, 3]
    assert "text (Spanish)" in versions[1].describe()
    assert "title (Spanish)" in versions[2].describe()

    restored = services.restore_version(article=article, version=versions[1], by=ana)
    assert (restored.title_es, restored.body_es, restored.html_es) == (
        "Primera",
        "Texto",
        "<p>Texto</p>",
    )
    latest = article.versions.order_by("-number").first()
    assert latest.number == 4 and latest.describe() == "Restored version 2"


def test_saving_the_same_text_writes_no_version(ana, section):
    article = services.create_article(by=ana, content=content(section, title_es="Igual"))
    services.update_article(article=article, by=ana, content=content(section, title_es="Igual"))
    assert article.versions.count() == 1


def test_images_are_kept_only_when_their_bytes_are_an_image(ana, section):
    article = services.create_article(by=ana, content=content(section, title_es="Con imagen"))
    image = services.upload_image(
        article=article, by=ana, file=SimpleUploadedFile("a.png", PNG, "image/png")
    )
    assert image.content_type == "image/png" and image.size == len(PNG)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
    for name, data, claimed in [
        ("x.svg", svg, "image/svg+xml"),
        ("x.png", b"<html><script>alert(1)</script>", "image/png"),
        ("x.png", b"", "image/png"),
    ]:
        with pytest.raises(ValidationError):
            services.upload_image(
                article=article, by=ana, file=SimpleUploadedFile(name, data, claimed)
            )


def test_an_image_too_large_is_refused(ana, section, monkeypatch):
    monkeypatch.setattr(services, "IMAGE_MAX_BYTES", 32)
    article = services.create_article(by=ana, content=content(section, title_es="Grande"))
    with pytest.raises(ValidationError):
        services.upload_image(
            article=article, by=ana, file=SimpleUploadedFile("a.png", PNG, "image/png")
        )


def test_an_uploaded_image_may_be_shown_in_the_article(ana, section):
    article = services.create_article(by=ana, content=content(section, title_es="Img"))
    image = services.upload_image(
        article=article, by=ana, file=SimpleUploadedFile("a.png", PNG, "image/png")
    )
    services.update_article(
        article=article,
        by=ana,
        content=content(section, title_es="Img", body_es=f"![x](/help/images/{image.token}/)"),
    )
    article.refresh_from_db()
    assert f'src="/help/images/{image.token}/"' in article.html_es


def test_one_vote_per_browser_per_article(write):
    article = write(slug="votada")
    _vote, created = services.record_vote(article=article, browser_id="b1", helpful=True)
    assert created
    _vote, created = services.record_vote(article=article, browser_id="b1", helpful=False)
    assert not created
    services.record_vote(article=article, browser_id="b2", helpful=False)
    assert sorted(ArticleVote.objects.values_list("helpful", flat=True)) == [False, True]
    assert "b1" not in ArticleVote.objects.values_list("voter", flat=True)


def test_drafts_cannot_be_voted_on(write):
    with pytest.raises(ValidationError):
        services.record_vote(
            article=write(slug="d", status=Status.DRAFT), browser_id="b", helpful=True
        )


def test_a_search_is_logged_folded_and_its_first_click_recorded(write):
    article = write(slug="x")
    log = services.log_search(query=HelpSearch.parse("Envío RÁPIDO"), language="es", results=3)
    assert (log.query, log.results) == ("envio rapido", 3)
    assert services.record_click(search_id=log.pk, article=article)
    assert not services.record_click(search_id=log.pk, article=article)
    assert SearchLog.objects.get().clicked_article == article


def test_an_empty_search_is_not_logged():
    assert services.log_search(query=HelpSearch.parse("  "), language="es", results=0) is None


def test_an_agent_may_not_restore_a_version_of_a_published_article(ana, write):
    article = write(slug="pub", title_es="Publicado")
    with pytest.raises(PermissionDenied):
        services.restore_version(article=article, version=article.versions.first(), by=ana)


def test_the_rendered_html_and_folded_words_follow_each_edit(ana, section):
    article = services.create_article(
        by=ana, content=content(section, title_es="Año NUEVO", body_es="_Envío_")
    )
    assert (article.search_title, article.search_body) == (" ano nuevo ", " envio ")
    assert article.html_es == "<p><em>Envío</em></p>"


def test_an_image_named_in_the_text_before_its_upload_shows_once_uploaded(
    ana, section, monkeypatch
):
    monkeypatch.setattr(services.secrets, "token_urlsafe", lambda n: "tokenfixed1234")
    article = services.create_article(
        by=ana,
        content=content(section, title_es="Img", body_es="![x](/help/images/tokenfixed1234/)"),
    )
    assert "src=" not in article.html_es
    services.upload_image(
        article=article, by=ana, file=SimpleUploadedFile("a.png", PNG, "image/png")
    )
    article.refresh_from_db()
    assert 'src="/help/images/tokenfixed1234/"' in article.html_es
