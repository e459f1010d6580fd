"""The help-centre search finds articles by the words of their titles and bodies, accents
and case ignored, in both languages — on SQLite and on PostgreSQL alike."""

import pytest

from knowledge.models import Status
from knowledge.search import HelpSearch
from knowledge.selectors import search_public

pytestmark = pytest.mark.django_db


def found(text):
    return [article.slug for article in search_public(text)[1]]


def test_an_accented_word_finds_the_word_written_without_accents_in_capitals(write):
    write(slug="clave", title_es="Cambiar la CONTRASENA", body_es="Pasos.")
    assert found("contraseña") == ["clave"]


def test_a_word_typed_without_accents_finds_the_accented_one(write):
    write(slug="contrasena", title_es="Olvidé mi contraseña", body_es="Pide un enlace.")
    write(slug="envio", title_es="Estado del Envío", body_es="Sigue tu paquete.")
    assert found("CONTRASENA") == ["contrasena"]
    assert found("envio") == ["envio"]


def test_every_word_must_appear_in_the_title_or_the_body(write):
    write(slug="a", title_es="Devoluciones", body_es="Plazo de treinta días para devolver.")
    write(slug="b", title_es="Devoluciones de regalos", body_es="Con el ticket regalo.")
    assert found("devoluciones regalo") == ["b"]
    assert found("devoluciones plazo") == ["a"]
    assert found("devoluciones inexistente") == []


def test_a_word_begins_longer_words(write):
    write(slug="factura", title_es="Descargar la facturación", body_es="")
    assert found("factura") == ["factura"]


def test_english_text_is_searched_too(write):
    write(slug="pwd", title_es="", title_en="Reset your password", body_en="Use the link.")
    assert found("PASSWORD link") == ["pwd"]


def test_a_title_match_ranks_above_a_body_match(write):
    write(slug="cuerpo", title_es="Preguntas generales", body_es="Sobre la garantía y más.")
    write(slug="titulo", title_es="La garantía", body_es="Dos años.")
    assert found("garantia") == ["titulo", "cuerpo"]


def test_drafts_and_internal_articles_are_never_found_by_the_public_search(write):
    write(slug="borrador", title_es="Reembolso borrador", status=Status.DRAFT)
    write(slug="interno", title_es="Reembolso interno", status=Status.INTERNAL)
    write(slug="publico", title_es="Reembolso publicado")
    assert found("reembolso") == ["publico"]


def test_a_search_without_words_finds_nothing(write):
    write(slug="x", title_es="Algo")
    assert found("  ¿? !! ") == []


def test_the_normalised_query_is_folded_words():
    assert HelpSearch.parse("  ¿Dónde está mi ENVÍO? ").normalised == "donde esta mi envio"


def test_text_changed_by_the_services_is_searched_anew(write, marta, section):
    from knowledge import services

    article = write(slug="cambia", title_es="Título viejo", status=Status.DRAFT)
    services.update_article(
        article=article,
        by=marta,
        content=services.ArticleContent(section=section, slug="cambia", title_es="Título nuevo"),
    )
    services.set_article_status(article=article, by=marta, status=Status.PUBLISHED)
    assert found("nuevo") == ["cambia"]
    assert found("viejo") == []
