"""The knowledge base's API: the public one shows published articles only, to anyone; the
staff one follows the web's rules and answers 4xx with reasons."""

import pytest
from rest_framework.test import APIClient

from knowledge.models import Article, Status
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def articles(write):
    return {
        "published": write(
            slug="publicado", title_es="Envío publicado", body_es="**Sí**", title_en="Shipping"
        ),
        "draft": write(slug="borrador", title_es="Envío borrador", status=Status.DRAFT),
        "internal": write(slug="interno", title_es="Envío interno", status=Status.INTERNAL),
    }


def test_the_public_api_lists_and_searches_published_articles_only(api, articles):
    body = api.get("/api/v1/help/articles/").json()
    assert [row["slug"] for row in body["results"]] == ["publicado"]
    body = api.get("/api/v1/help/articles/?q=ENVIO&language=en").json()
    assert [(r["slug"], r["title"], r["language"]) for r in body["results"]] == [
        ("publicado", "Shipping", "en")
    ]


@pytest.mark.parametrize("who", [None, "ana", "marta"])
def test_drafts_and_internal_articles_never_reach_the_public_api(api, articles, request, who):
    if who:
        api.force_authenticate(request.getfixturevalue(who))
    for article in (articles["draft"], articles["internal"]):
        assert api.get(f"/api/v1/help/articles/{article.slug}/").status_code == 404
        assert api.get(f"/api/v1/help/articles/{article.pk}/").status_code == 404


def test_one_public_article_by_slug_or_id_with_its_html_and_language_fallback(api, articles):
    article = articles["published"]
    body = api.get(f"/api/v1/help/articles/{article.pk}/?language=es").json()
    assert (body["slug"], body["html"], body["languages"]) == (
        "publicado",
        "<p><strong>Sí</strong></p>",
        ["es", "en"],
    )
    body = api.get("/api/v1/help/articles/publicado/?language=en").json()
    assert (body["title"], body["html"], body["language"]) == ("Shipping", "", "en")


def test_bad_public_parameters_are_400_with_reasons(api, articles):
    response = api.get("/api/v1/help/articles/?language=fr")
    assert response.status_code == 400 and "language" in response.json()
    assert api.get("/api/v1/help/articles/?q=" + "x" * 300).status_code == 400
    assert api.get("/api/v1/help/articles/nada/").status_code == 404


def test_the_public_search_is_rate_limited(api, articles, settings):
    settings.HELP_SEARCH_RATE = "2/m"
    codes = [api.get("/api/v1/help/articles/?q=envio").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_the_staff_api_needs_a_role(api, articles):
    assert api.get("/api/v1/knowledge/articles/").status_code == 401
    api.force_authenticate(UserFactory(username="sinrol"))
    assert api.get("/api/v1/knowledge/articles/").status_code == 403


@pytest.mark.parametrize("who", ["ana", "marta", "adrian"])
def test_staff_list_every_article_and_filter_by_status(api, articles, request, who):
    api.force_authenticate(request.getfixturevalue(who))
    body = api.get("/api/v1/knowledge/articles/").json()
    assert {row["slug"] for row in body["results"]} == {"publicado", "borrador", "interno"}
    body = api.get("/api/v1/knowledge/articles/?status=internal").json()
    assert [row["slug"] for row in body["results"]] == ["interno"]
    assert api.get("/api/v1/knowledge/articles/?status=gone").status_code == 400


def test_an_agent_creates_and_edits_a_draft_but_cannot_publish_or_edit_published(
    api, ana, section, articles
):
    api.force_authenticate(ana)
    response = api.post(
        "/api/v1/knowledge/articles/",
        {"section": section.pk, "title_en": "Returns", "body_en": "<script>x</script>Hi"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["slug"], body["html_en"]) == ("draft", "returns", "Hi")
    pk = body["id"]
    response = api.patch(
        f"/api/v1/knowledge/articles/{pk}/", {"title_es": "Devoluciones"}, format="json"
    )
    assert response.status_code == 200 and response.json()["title_es"] == "Devoluciones"
    response = api.post(
        f"/api/v1/knowledge/articles/{pk}/status/", {"status": "published"}, format="json"
    )
    assert response.status_code == 403 and response.json()["detail"]
    published = articles["published"]
    response = api.patch(
        f"/api/v1/knowledge/articles/{published.pk}/", {"title_es": "X"}, format="json"
    )
    assert response.status_code == 403
    response = api.post(
        "/api/v1/knowledge/articles/", {"section": section.pk, "status": "published"}, format="json"
    )
    assert response.status_code == 400 and "status" in response.json()


def test_a_manager_publishes_reads_versions_and_restores(api, marta, articles):
    api.force_authenticate(marta)
    draft = articles["draft"]
    response = api.post(
        f"/api/v1/knowledge/articles/{draft.pk}/status/", {"status": "published"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "published"
    api.patch(f"/api/v1/knowledge/articles/{draft.pk}/", {"title_es": "Nuevo"}, format="json")
    versions = api.get(f"/api/v1/knowledge/articles/{draft.pk}/versions/").json()
    assert [v["number"] for v in versions] == [3, 2, 1]
    assert versions[0]["title_es"] == "Nuevo"
    # What changed: as data, and worded in the request's language.
    assert versions[0]["change"] == {"kind": "edited", "fields": ["title_es"]}
    assert versions[0]["summary"] == "title (Spanish)"
    assert versions[1]["change"] == {"kind": "status", "status": "published"}
    spanish = api.get(
        f"/api/v1/knowledge/articles/{draft.pk}/versions/", headers={"accept-language": "es"}
    ).json()
    assert spanish[1]["summary"] == "Estado: Publicado"
    response = api.post(f"/api/v1/knowledge/articles/{draft.pk}/versions/1/restore/")
    assert response.status_code == 200 and response.json()["title_es"] == "Envío borrador"
    assert (
        api.post(f"/api/v1/knowledge/articles/{draft.pk}/versions/99/restore/").status_code == 404
    )


def test_invalid_bodies_are_400_with_reasons(api, ana, section, articles):
    api.force_authenticate(ana)
    for body in [
        {},
        {"section": "x"},
        {"section": section.pk},
        {"section": section.pk, "title_es": "Dup", "slug": "publicado"},
        {"section": 10**30, "title_es": "x"},
    ]:
        response = api.post("/api/v1/knowledge/articles/", body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert response.json()
    response = api.post("/api/v1/knowledge/articles/", "not json", content_type="text/plain")
    assert response.status_code == 415


def test_deleting_managers_any_agents_only_their_own_draft(api, ana, marta, section, articles):
    api.force_authenticate(ana)
    assert api.delete(f"/api/v1/knowledge/articles/{articles['draft'].pk}/").status_code == 403
    own = api.post(
        "/api/v1/knowledge/articles/", {"section": section.pk, "title_es": "Mío"}, format="json"
    ).json()
    assert api.delete(f"/api/v1/knowledge/articles/{own['id']}/").status_code == 204
    api.force_authenticate(marta)
    assert api.delete(f"/api/v1/knowledge/articles/{articles['internal'].pk}/").status_code == 204
    assert set(Article.objects.values_list("slug", flat=True)) == {"publicado", "borrador"}
