"""Every error a visitor can meet is Pulso's own page in their language, never Django's bare
English "Bad Request (400)": 400, 403, 404, 413 (a form post over the size limit), 429, 500
and the CSRF refusal. Under /api/ the same errors are JSON. DEBUG is off, as in production."""

import json

import pytest
from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import path, reverse

from cases.views import errors
from config.urls import *  # noqa: F403 - the handlers, under a URLconf with a failing view
from config.urls import urlpatterns as pulso_urlpatterns


def boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", boom), path("api/v1/boom/", boom), *pulso_urlpatterns]

# (language, <html lang>, a phrase of each page's heading)
TITLES = {
    "en": {
        400: "Bad request",
        403: "Not allowed",
        404: "Page not found",
        413: "Too large",
        429: "Too many requests",
        500: "Something went wrong",
        "csrf": "The form has expired",
    },
    "es": {
        400: "Solicitud incorrecta",
        403: "Acceso no permitido",
        404: "Página no encontrada",
        413: "Demasiado grande",
        429: "Demasiadas solicitudes",
        500: "Algo salió mal",
        "csrf": "El formulario caducó",
    },
}
LANGUAGES = ["es", "en"]


@pytest.fixture(autouse=True)
def _production_like(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__


def visitor(language: str, **kwargs) -> Client:
    return Client(headers={"accept-language": language}, raise_request_exception=False, **kwargs)


def assert_pulso_page(response, status: int, language: str, key=None) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert TITLES[language][key or status] in html
    assert "· Pulso</title>" in html
    assert "Bad Request (400)" not in html and "<h1>Not Found</h1>" not in html
    return html


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_malformed_request_gets_the_400_page(db, language):
    fields = {f"f{n}": "x" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    response = visitor(language).post(reverse("portal:new_case"), fields)
    assert_pulso_page(response, 400, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_form_post_over_the_size_limit_gets_the_413_page(db, language):
    too_big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = visitor(language).post(reverse("login"), {"username": "ana", "password": too_big})
    html = assert_pulso_page(response, 413, language)
    assert "x" * 100 not in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_refused_page_gets_the_403_page(client, ana, language):
    ana_client = visitor(language)
    ana_client.force_login(ana)
    response = ana_client.get(reverse("surveys:follow_up_list"))
    assert_pulso_page(response, 403, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_unknown_address_gets_the_404_page(db, language):
    assert_pulso_page(visitor(language).get("/no/such/page/"), 404, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_too_many_requests_get_the_429_page(db, settings, language):
    settings.SURVEY_RATE = "1/m"
    client = visitor(language)
    assert client.get("/s/no-such-token/").status_code == 404
    assert_pulso_page(client.get("/s/no-such-token/"), 429, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_server_error_gets_the_500_page(db, language):
    assert_pulso_page(visitor(language).get("/boom/"), 500, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_form_without_its_csrf_token_gets_the_expired_form_page(db, language):
    client = visitor(language, enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "ana", "password": "secret"})
    assert_pulso_page(response, 403, language, key="csrf")


def test_the_500_page_reads_no_session_user_or_database():
    """A bare request (no session, no user) and no database (pytest-django refuses any
    query here): the page still renders when the database or the session store failed."""
    from django.utils import translation

    request = RequestFactory().get("/tickets/")
    for language in LANGUAGES:
        with translation.override(language):
            response = errors.server_error(request)
        assert response.status_code == 500
        assert TITLES[language][500] in response.content.decode()


@pytest.mark.parametrize(
    ("method", "url", "data", "status"),
    [
        ("get", "/api/v1/boom/", None, 500),
        ("get", "/api/v1/no-such-endpoint/", None, 404),
    ],
)
def test_under_the_api_errors_stay_json(db, method, url, data, status):
    response = getattr(visitor("es"), method)(url, data)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert "detail" in json.loads(response.content)


def test_the_api_handlers_answer_json_for_every_code():
    """The handlers themselves, for errors Django raises before any API view runs."""
    from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
    from django.http import Http404

    request = RequestFactory().post("/api/v1/tickets/")
    for response, status in (
        (errors.bad_request(request, SuspiciousOperation()), 400),
        (errors.bad_request(request, RequestDataTooBig()), 413),
        (errors.permission_denied(request, PermissionError()), 403),
        (errors.page_not_found(request, Http404()), 404),
        (errors.rate_limited(request), 429),
        (errors.csrf_failure(request), 403),
        (errors.server_error(request), 500),
    ):
        assert response.status_code == status
        assert response["Content-Type"] == "application/json"
        assert json.loads(response.content)["detail"]
