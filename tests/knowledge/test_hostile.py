"""Hostile visitors, customers and staff against the knowledge base: nothing hidden leaks,
malformed input is a 4xx with a reason (never a 500), and the rules hold under races."""

import io

import pytest

from knowledge import services
from knowledge.models import Article, ArticleUse, ArticleVersion, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def hidden(write):
    return [
        write(slug="borrador-secreto", title_es="Borrador secreto", status=Status.DRAFT),
        write(slug="interno-secreto", title_es="Interno secreto", status=Status.INTERNAL),
    ]


@pytest.fixture
def live(write):
    return write(slug="vivo", title_es="Publicado secreto visible")


# Each malformed request and what it is answered: a page that ignores what it cannot read, a
# redirect to the article, or a 4xx (with a JSON reason from the API) — never a server error.
MALFORMED_PUBLIC = [
    ("/help/search/?q=%00", 200),
    ("/help/search/?q=" + "a" * 5000, 200),
    ("/help/search/?q=%ff%fe", 200),
    ("/help/search/?q[]=x", 200),
    ("/help/suggest/?subject=%00&deflection_visit=%00", 200),
    ("/help/suggest/?subject=envio&description=" + "x%20" * 3000, 200),
    ("/help/suggested/%00/vivo/", 302),
    ("/help/suggested/" + "a" * 500 + "/vivo/", 302),
    ("/help/search/%00/vivo/", 302),
    ("/help/search/abc/vivo/", 302),
    ("/help/images/%00/", 404),
    ("/help/images/" + "a" * 500 + "/", 404),
    ("/help/articles/vivo/vote/", 200),
    ("/api/v1/help/articles/?page=abc", 404),
    ("/api/v1/help/articles/?page=-1", 404),
    ("/api/v1/help/articles/?page=99999999999999999999", 404),
    ("/api/v1/help/articles/?page_size=0", 400),
    ("/api/v1/help/articles/?language=xx", 400),
    ("/api/v1/help/articles/?q=" + "a" * 500, 400),
    ("/api/v1/help/articles/?q=%00", 400),
    ("/api/v1/help/articles/%00/", 404),
    ("/api/v1/help/articles/-1/", 404),
    ("/api/v1/help/articles/99999999999999999999999/", 404),
]


@pytest.mark.parametrize(("url", "expected"), MALFORMED_PUBLIC)
def test_malformed_public_requests_are_never_a_server_error(client, live, url, expected):
    response = client.get(url)
    assert response.status_code == expected, (url, response.status_code)
    if expected == 302:  # a tracked link with a broken key still takes the reader to the article
        assert response["Location"] == f"/help/articles/{live.slug}/"
    if url.startswith("/api/") and expected >= 400:
        assert response["Content-Type"].startswith("application/json")
        assert response.json(), url  # says why


def test_the_public_never_sees_drafts_or_internal_articles_anywhere(client, hidden, live):
    urls = [
        "/help/",
        "/help/categories/envios/",
        "/help/categories/envios/seguimiento/",
        "/help/articles/vivo/",
        "/help/search/?q=secreto",
        "/help/suggest/?subject=secreto+borrador+interno",
        "/api/v1/help/articles/",
        "/api/v1/help/articles/?q=secreto",
    ]
    # Where the published one is listed, so a page that lists nothing cannot pass.
    listing_live = set(urls) - {"/help/", "/help/suggest/?subject=secreto+borrador+interno"}
    for url in urls:
        body = client.get(url).content.decode()
        assert "Borrador secreto" not in body and "Interno secreto" not in body, url
        assert "borrador-secreto" not in body and "interno-secreto" not in body, url
        assert ("Publicado secreto visible" in body) == (url in listing_live), url
    for article in hidden:
        for url in (
            f"/help/articles/{article.slug}/",
            f"/help/articles/{article.slug}/vote/",
            f"/api/v1/help/articles/{article.slug}/",
            f"/api/v1/help/articles/{article.pk}/",
        ):
            assert client.get(url).status_code == 404, url
        vote = client.post(f"/help/articles/{article.slug}/vote/", {"helpful": "yes"})
        assert vote.status_code == 404


def test_a_huge_page_number_in_the_staff_api_is_a_404_with_json(client, ana, live):
    client.force_login(ana)
    response = client.get("/api/v1/knowledge/articles/?page=999999999999999999999")
    assert response.status_code == 404 and response.json()


def _content(article, **changes):
    values = {
        "section": article.section,
        "slug": article.slug,
        **{name: getattr(article, name) for name in services.CONTENT_FIELDS},
    }
    values.update(changes)
    return services.ArticleContent(**values)


def test_agents_cannot_change_what_readers_see_through_the_api(client, ana, live, write, marta):
    other_draft = write(slug="ajeno", title_es="Borrador ajeno", status=Status.DRAFT)
    client.force_login(ana)
    base = f"/api/v1/knowledge/articles/{live.pk}/"
    responses = [
        client.patch(base, {"title_es": "Hackeado"}, content_type="application/json"),
        client.post(base + "status/", {"status": "draft"}, content_type="application/json"),
        client.post(base + "versions/1/restore/", content_type="application/json"),
        client.delete(base),
        client.delete(f"/api/v1/knowledge/articles/{other_draft.pk}/"),
        client.post(
            f"/api/v1/knowledge/articles/{other_draft.pk}/status/",
            {"status": "published"},
            content_type="application/json",
        ),
    ]
    for response in responses:
        assert response.status_code == 403 and response.json(), response.content
    live.refresh_from_db()
    other_draft.refresh_from_db()
    assert live.title_es == "Publicado secreto visible" and live.status == Status.PUBLISHED
    assert other_draft.status == Status.DRAFT


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"section": "x", "title_es": "t"}, "section"),
        ({"section": -1, "title_es": "t"}, "section"),
        ({"section": 99999999999999999999, "title_es": "t"}, "section"),
        ({"title_es": "t"}, "section"),
        ({"section": 1, "title_es": "t\x00"}, "title_es"),
        ({"section": 1, "title_es": ["t"]}, "title_es"),
        ({"section": 1, "title_es": "t", "status": "published"}, "status"),
        ({"section": 1, "title_es": "x" * 201}, "title_es"),
        ({"section": 1, "title_es": "", "title_en": ""}, "slug"),
    ],
)
def test_bad_article_input_to_the_staff_api_is_a_400_naming_why(client, ana, section, body, field):
    if body.get("section") == 1:
        body["section"] = section.pk
    client.force_login(ana)
    response = client.post("/api/v1/knowledge/articles/", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert list(response.json()) == [field] and response.json()[field]
    assert not Article.objects.exists()  # nothing written


def test_a_slug_with_path_parts_is_made_a_plain_slug(client, ana, section):
    client.force_login(ana)
    response = client.post(
        "/api/v1/knowledge/articles/",
        {"section": section.pk, "title_es": "t", "slug": "../../etc"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["slug"] == "etc"
    assert Article.objects.get().slug == "etc"


def test_a_long_title_makes_a_slug_that_fits_its_column(ana, section):
    article = services.create_article(
        by=ana, content=services.ArticleContent(section=section, slug="", title_es="palabra " * 25)
    )
    assert 0 < len(article.slug) <= Article._meta.get_field("slug").max_length


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("x.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("x.png", b"<html><script>alert(1)</script></html>"),
        ("x.png", b""),
        ("x.gif", b"GIF8"),
        ("x.jpg", b"\xff\xd8\xff" + b"<script>" * 10),
    ],
)
def test_only_real_images_are_accepted(client, marta, live, name, data):
    client.force_login(marta)
    upload = io.BytesIO(data)
    upload.name = name
    response = client.post(f"/knowledge/{live.pk}/images/", {"image": upload}, follow=True)
    assert response.redirect_chain == [(f"/knowledge/{live.pk}/", 302)]
    page = response.content.decode()
    if data.startswith(b"\xff\xd8\xff"):
        # a JPEG's magic: accepted, but served as image/jpeg, nosniff and sandboxed
        image = live.images.get()
        assert "Image uploaded" in page
        served = client.get(f"/help/images/{image.token}/")
        assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
        assert served["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in served["Content-Security-Policy"]
        return
    assert not live.images.exists()
    assert "Image uploaded" not in page and 'class="alert alert-danger' in page


def test_an_image_filename_cannot_inject_markup(client, marta, live):
    client.force_login(marta)
    upload = io.BytesIO(PNG)
    upload.name = '"><img src=x onerror=alert(1)>.png'
    client.post(f"/knowledge/{live.pk}/images/", {"image": upload})
    image = live.images.get()  # accepted: the name, not the file, is hostile
    page = client.get(f"/knowledge/{live.pk}/").content.decode()
    assert image.token in page  # the upload is listed on the page...
    assert "<img src=x onerror" not in page  # ...without its name becoming markup


def test_images_of_hidden_articles_stay_hidden_from_the_public(client, marta, hidden):
    image = services.upload_image(article=hidden[0], by=marta, file=_png_file())
    assert client.get(f"/help/images/{image.token}/").status_code == 404
    client.force_login(marta)
    response = client.get(f"/help/images/{image.token}/")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]


def _png_file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("a.png", PNG, content_type="image/png")


def test_one_vote_per_browser_and_article(client, live):
    url = f"/help/articles/{live.slug}/vote/"
    client.post(url, {"helpful": "yes"})
    client.post(url, {"helpful": "no"})
    client.post(url, {"helpful": "no"})
    assert live.votes.count() == 1 and live.votes.get().helpful is True


def test_a_vote_needs_the_csrf_token(live):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(f"/help/articles/{live.slug}/vote/", {"helpful": "yes"})
    assert response.status_code == 403 and not live.votes.exists()


def test_a_forged_voter_cookie_is_ignored(client, live):
    client.cookies["pulso_help_voter"] = "forged"
    client.post(f"/help/articles/{live.slug}/vote/", {"helpful": "yes"})
    assert live.votes.count() == 1
    assert client.cookies["pulso_help_voter"].value != "forged"


def test_a_staff_page_is_never_answered_with_the_public_etag(client, live, marta):
    first = client.get(f"/help/articles/{live.slug}/")
    etag = first["ETag"]
    client.force_login(marta)
    again = client.get(f"/help/articles/{live.slug}/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200


def test_the_etag_changes_with_the_language(client, live):
    es = client.get(f"/help/articles/{live.slug}/", HTTP_ACCEPT_LANGUAGE="es")
    en = client.get(
        f"/help/articles/{live.slug}/", HTTP_ACCEPT_LANGUAGE="en", HTTP_IF_NONE_MATCH=es["ETag"]
    )
    assert en.status_code == 200


def test_an_unpublished_article_is_not_revalidated_as_unchanged(client, live, marta):
    etag = client.get(f"/help/articles/{live.slug}/")["ETag"]
    services.set_article_status(article=live, by=marta, status=Status.INTERNAL)
    response = client.get(f"/help/articles/{live.slug}/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 404


def _form_data(response):
    form = response.context["form"]
    data = {k: (v.pk if hasattr(v, "pk") else v) for k, v in form.initial.items()}
    return {k: v for k, v in data.items() if v is not None}


def test_a_concurrent_edit_does_not_silently_overwrite_another(client, marta, adrian, live):
    """Two managers open the page; the first saves; the second's save is refused, not lost,
    and what they typed stays in the form; saving again then replaces it knowingly."""
    client.force_login(marta)
    opened = client.get(f"/knowledge/{live.pk}/")
    assert 'name="version" value="2"' in opened.content.decode()  # created, then published
    data = _form_data(opened)
    services.update_article(
        article=live, by=adrian, content=_content(live, body_es="Lo que escribió Adrián")
    )
    response = client.post(f"/knowledge/{live.pk}/", {**data, "body_es": "Lo que escribió Marta"})
    live.refresh_from_db()
    assert live.body_es == "Lo que escribió Adrián"
    assert response.status_code == 400
    page = response.content.decode()
    assert "Someone else saved this article after you opened it" in page
    assert "Lo que escribió Marta" in page  # kept
    again = _form_data(response) | dict(response.context["form"].data.items())
    assert int(again["version"]) == services.latest_version(live)
    assert client.post(f"/knowledge/{live.pk}/", again).status_code == 302
    live.refresh_from_db()
    assert live.body_es == "Lo que escribió Marta"
    numbers = list(ArticleVersion.objects.filter(article=live).values_list("number", flat=True))
    assert sorted(numbers) == list(range(1, len(numbers) + 1))


def test_the_staff_api_refuses_a_patch_based_on_an_old_version(client, marta, adrian, live):
    client.force_login(marta)
    read = client.get(f"/api/v1/knowledge/articles/{live.pk}/").json()
    services.update_article(article=live, by=adrian, content=_content(live, body_es="Adrián"))
    url = f"/api/v1/knowledge/articles/{live.pk}/"
    stale = client.patch(
        url, {"body_es": "Marta", "version": read["version"]}, content_type="application/json"
    )
    assert stale.status_code == 409 and "version" in stale.json()["detail"]
    live.refresh_from_db()
    assert live.body_es == "Adrián"
    fresh = client.patch(
        url,
        {"body_es": "Marta", "version": read["version"] + 1},
        content_type="application/json",
    )
    assert fresh.status_code == 200 and fresh.json()["body_es"] == "Marta"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/help/images/%00/", 404),
        ("/help/suggested/%00/vivo/", 302),
        ("/help/suggest/?subject=envio+seguimiento&deflection_visit=%00", 200),
        ("/api/v1/help/articles/%00/", 404),
        ("/api/v1/help/articles/a%00b/", 404),
    ],
)
def test_a_nul_byte_never_reaches_a_query(client, live, url, expected):
    """PostgreSQL refuses a NUL in a string (a 500 there): such keys are nobody's."""
    from django.db import connection

    sent: list[object] = []

    def spy(execute, sql, params, many, context):
        sent.extend(params or ())
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        response = client.get(url)
    assert response.status_code == expected, (url, response.status_code)
    assert not any(isinstance(p, str) and "\x00" in p for p in sent), url


@pytest.mark.parametrize("value", ["²", "١٢", "9" * 40, "-1"])
def test_odd_digits_for_an_article_id_are_not_a_server_error(client, ana, ticket, live, value):
    client.force_login(ana)
    preview = client.post("/knowledge/preview/", {"article": value, "body_es": "*x*"})
    assert preview.status_code == 200 and "<em>x</em>" in preview.content.decode()  # rendered
    response = client.post(
        f"/knowledge/tickets/{ticket.pk}/articles/insert/", {"article": value, "kind": "text"}
    )
    assert response.status_code == 404 and not ArticleUse.objects.exists()


# --- deleting from the staff pages (docs/knowledge.md, "Who may do what") -------------------


def test_a_manager_deletes_an_article_after_confirming(client, marta, live):
    client.force_login(marta)
    page = client.get(f"/knowledge/{live.pk}/").content.decode()
    assert f"/knowledge/{live.pk}/delete/" in page
    confirm = client.get(f"/knowledge/{live.pk}/delete/")
    assert confirm.status_code == 200 and "Delete for good" in confirm.content.decode()
    assert Article.objects.filter(pk=live.pk).exists()  # asking deletes nothing
    response = client.post(f"/knowledge/{live.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/knowledge/"
    assert not Article.objects.filter(pk=live.pk).exists()
    assert client.get("/help/articles/vivo/").status_code == 404


def test_an_agent_deletes_only_their_own_draft(client, ana, section, live, write):
    others = write(slug="de-marta", title_es="De Marta", status=Status.DRAFT)
    own = services.create_article(
        by=ana, content=services.ArticleContent(section=section, slug="de-ana", title_es="De Ana")
    )
    client.force_login(ana)
    for article in (live, others):
        assert (
            f"/knowledge/{article.pk}/delete/"
            not in client.get(f"/knowledge/{article.pk}/").content.decode()
        )
        assert client.get(f"/knowledge/{article.pk}/delete/").status_code == 403
        assert client.post(f"/knowledge/{article.pk}/delete/").status_code == 403
        assert Article.objects.filter(pk=article.pk).exists()
    assert f"/knowledge/{own.pk}/delete/" in client.get(f"/knowledge/{own.pk}/").content.decode()
    assert client.post(f"/knowledge/{own.pk}/delete/").status_code == 302
    assert not Article.objects.filter(pk=own.pk).exists()


def test_deleting_needs_a_post_with_the_csrf_token(marta, live):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(marta)
    assert strict.post(f"/knowledge/{live.pk}/delete/").status_code == 403
    assert Article.objects.filter(pk=live.pk).exists()


def test_anonymous_and_roleless_people_cannot_delete(client, live):
    from tests.factories import UserFactory

    response = client.post(f"/knowledge/{live.pk}/delete/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(UserFactory(username="cliente"))
    assert client.post(f"/knowledge/{live.pk}/delete/").status_code == 403
    assert client.post("/knowledge/999999/delete/").status_code == 403  # refused before looked up
    assert Article.objects.filter(pk=live.pk).exists()


# --- self-service figures, agent tools -------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?from=0001-01-01&to=9999-12-31", "to"),
        ("?from=2026-13-45", "from"),
        ("?from=%00", "from"),
        ("?from=2026-05-01&to=2026-04-01", "to"),
        ("?from=" + "9" * 300, "from"),
    ],
)
def test_bad_periods_are_a_400_naming_the_field(client, marta, query, field):
    client.force_login(marta)
    api = client.get("/api/v1/knowledge/self-service/" + query)
    assert api.status_code == 400 and list(api.json()) == [field] and api.json()[field]
    page = client.get("/knowledge/self-service/" + query)
    assert page.status_code == 400
    html = page.content.decode()
    assert '<p class="text-danger small">' in html and "data-self-service" not in html


@pytest.mark.parametrize("period", ["%00", "90"])
def test_a_period_the_api_does_not_read_is_refused_by_it_as_by_the_page(client, marta, period):
    """The API reads `from`/`to` only: a `period`, even one the page offers, is a 400 naming it
    (as the metrics API answers), not the default 30 days passed off as the period asked for."""
    client.force_login(marta)
    api = client.get(f"/api/v1/knowledge/self-service/?period={period}")
    assert api.status_code == 400
    assert api.json() == {"period": ["Unknown parameter."]}
    misspelt = client.get("/api/v1/knowledge/self-service/?from=2026-01-01&too=2026-02-01")
    assert misspelt.status_code == 400 and misspelt.json() == {"too": ["Unknown parameter."]}
    if period == "%00":
        page = client.get(f"/knowledge/self-service/?period={period}")
        assert page.status_code == 400
        assert "Choose one of the offered periods." in page.content.decode()


def test_agents_do_not_see_the_self_service_figures(client, ana):
    client.force_login(ana)
    assert client.get("/knowledge/self-service/").status_code == 403
    assert client.get("/api/v1/knowledge/self-service/").status_code == 403


def test_an_uploaded_images_name_cannot_break_its_markdown(client, marta, live):
    client.force_login(marta)
    upload = io.BytesIO(PNG)
    upload.name = "x](javascript:alert(1)) [y.png"
    client.post(f"/knowledge/{live.pk}/images/", {"image": upload})
    image = live.images.get()
    assert not set("[]()") & set(image.filename)


def test_a_customer_account_cannot_use_the_agent_tools(client, ticket, live, customer):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="cliente2"))
    for method, url in [
        ("get", f"/knowledge/tickets/{ticket.pk}/articles/?q=envio"),
        ("post", f"/knowledge/tickets/{ticket.pk}/articles/insert/"),
        ("get", f"/knowledge/tickets/{ticket.pk}/new-article/"),
        ("get", f"/knowledge/{live.pk}/sent/"),
    ]:
        assert (
            getattr(client, method)(
                url, {"article": live.pk, "kind": "link"} if method == "post" else {}
            ).status_code
            == 403
        ), url
    assert not ArticleUse.objects.exists()  # the refused insert noted no use of the article


HUGE = "9" * 30


@pytest.mark.parametrize(
    ("method", "url", "expected"),
    [
        ("get", f"/knowledge/{HUGE}/", 404),
        ("get", f"/knowledge/{HUGE}/history/", 404),
        ("post", f"/knowledge/{HUGE}/status/", 404),
        ("post", "/knowledge/{pk}/history/" + HUGE + "/restore/", 404),
        ("post", "/knowledge/{pk}/history/0/restore/", 404),
        ("get", f"/knowledge/{HUGE}/sent/", 404),
        ("get", f"/knowledge/{HUGE}/delete/", 404),
        ("get", f"/knowledge/tickets/{HUGE}/articles/", 404),
        ("get", f"/api/v1/knowledge/articles/{HUGE}/", 404),
        ("get", f"/api/v1/knowledge/articles/{HUGE}/versions/", 404),
        ("post", "/api/v1/knowledge/articles/{pk}/versions/" + HUGE + "/restore/", 404),
        ("get", "/api/v1/knowledge/articles/?status=%00", 400),
        ("get", "/api/v1/knowledge/articles/?q=%00", 200),
        ("get", "/knowledge/?q=%00&status=%00&sort=%00", 200),
    ],
)
def test_huge_or_odd_ids_for_staff_are_a_404_or_400(client, marta, live, method, url, expected):
    client.force_login(marta)
    versions = live.versions.count()
    response = getattr(client, method)(url.format(pk=live.pk))
    assert response.status_code == expected, (url, response.status_code)
    if url.startswith("/api/") and expected >= 400:
        assert response.json()
    live.refresh_from_db()
    assert live.status == Status.PUBLISHED and live.versions.count() == versions  # untouched


def test_a_revalidated_page_never_keeps_a_related_article_that_is_no_longer_public(
    client, write, marta
):
    """A browser's cached page lists related articles: once one is made internal, the next
    revalidation gets a new page without it, not a 304 for the old one."""
    page = write(slug="uno", title_es="Seguimiento del paquete")
    other = write(slug="dos", title_es="Retrasos del paquete confidencial")
    client.get(f"/help/articles/{page.slug}/")  # the browser gets its CSRF cookie
    first = client.get(f"/help/articles/{page.slug}/")
    assert "Retrasos del paquete confidencial" in first.content.decode()
    services.set_article_status(article=other, by=marta, status=Status.INTERNAL)
    again = client.get(f"/help/articles/{page.slug}/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200
    assert "Retrasos del paquete confidencial" not in again.content.decode()
    unchanged = client.get(f"/help/articles/{page.slug}/", HTTP_IF_NONE_MATCH=again["ETag"])
    assert unchanged.status_code == 304


def test_an_image_that_appears_in_a_published_text_renews_its_cached_page(client, marta, write):
    article = write(slug="con-imagen", title_es="Con imagen", body_es="Antes")
    image_markdown = "![paso](/help/images/{token}/)"
    client.get("/help/articles/con-imagen/")
    etag = client.get("/help/articles/con-imagen/")["ETag"]
    image = services.upload_image(article=article, by=marta, file=_png_file())
    # the text names the upload only now: pasted by a manager
    services.update_article(
        article=article,
        by=marta,
        content=_content(article, body_es=image_markdown.format(token=image.token)),
    )
    again = client.get("/help/articles/con-imagen/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200 and image.token in again.content.decode()
    # pasted before the upload: the upload itself makes the image appear
    other = write(slug="pegada", title_es="Pegada", body_es="![x](/help/images/AAAAAAAAAAAAAAAA/)")
    stamp = other.updated_at
    other_image = services.upload_image(article=other, by=marta, file=_png_file())
    other_image.token = "AAAAAAAAAAAAAAAA"
    other_image.save()
    services.upload_image(article=other, by=marta, file=_png_file())  # re-renders the text
    other.refresh_from_db()
    assert "/help/images/AAAAAAAAAAAAAAAA/" in other.html_es and other.updated_at > stamp


# --- deflection as docs/kpis.md defines it ---------------------------------------------------


def test_a_deflection_is_placed_by_the_visits_start_not_its_opening(live, write):
    from datetime import datetime, timedelta

    from django.utils import timezone

    from knowledge import deflection
    from knowledge.kpis import self_service

    zone = timezone.get_current_timezone()
    start = timezone.make_aware(datetime(2026, 3, 10, 23, 50), zone)
    visit = deflection.record_shown(token="", articles=[live], language="es", now=start)
    deflection.record_open(token=visit.token, article=live, now=start + timedelta(minutes=20))
    later = start + timedelta(days=2)
    day = start.date()
    on_start = self_service(day, day + timedelta(days=1), now=later)
    on_opening = self_service(day + timedelta(days=1), day + timedelta(days=2), now=later)
    assert (on_start["visits_shown"], on_start["deflected"]) == (1, 1)
    assert (on_opening["visits_shown"], on_opening["deflected"]) == (0, 0)


def test_no_deflection_without_opening_a_shown_suggestion_or_after_submitting_first(live, write):
    from datetime import timedelta

    from django.utils import timezone

    from knowledge import deflection
    from knowledge.kpis import self_service

    never_shown = write(slug="otro", title_es="Otro artículo")
    now = timezone.now() - timedelta(hours=3)
    a = deflection.record_shown(token="", articles=[live], language="es", now=now)
    assert not deflection.record_open(token=a.token, article=never_shown, now=now)
    b = deflection.record_shown(token="", articles=[live], language="es", now=now)
    deflection.record_submission(token=b.token, now=now + timedelta(minutes=1))
    deflection.record_open(token=b.token, article=live, now=now + timedelta(minutes=2))
    today = timezone.localdate(now)
    figures = self_service(today - timedelta(days=1), today + timedelta(days=1))
    assert (figures["visits_shown"], figures["deflected"], figures["undecided"]) == (2, 0, 0)
    assert figures["deflection_rate"] == 0.0


def test_overlapping_suggestion_requests_of_one_visit_do_not_fail(live):
    """Two requests of the same visit that both find an article not yet noted (here: the
    same article twice in one call) note it once, without an error."""
    from knowledge import deflection
    from knowledge.models import DeflectionShown

    visit = deflection.record_shown(token="", articles=[live], language="es")
    DeflectionShown.objects.filter(visit=visit).delete()
    again = deflection.record_shown(token=visit.token, articles=[live, live], language="es")
    assert again == visit and DeflectionShown.objects.filter(visit=visit).count() == 1


@pytest.mark.parametrize("how", ["update", "restore"])
def test_a_slug_taken_at_the_same_moment_is_a_400_not_a_500(monkeypatch, marta, write, how):
    """Another writer takes the slug between the check and the save (the check is bypassed
    here as the race would): the editor is told, nothing is written."""
    write(slug="tomado", title_es="Ya tiene el slug")
    article = write(slug="libre", title_es="Libre")
    if how == "restore":
        services.update_article(article=article, by=marta, content=_content(article, slug="otro"))
        article.refresh_from_db()
    real_check = services._check
    monkeypatch.setattr(
        services,
        "_check",
        lambda content, *, article: real_check(content, article=article).__class__(
            **{**real_check(content, article=article).__dict__, "slug": "tomado"}
        ),
    )
    with pytest.raises(services.ValidationError) as refused:
        if how == "update":
            services.update_article(
                article=article, by=marta, content=_content(article, title_es="Nuevo")
            )
        else:
            services.restore_version(
                article=article, version=article.versions.get(number=1), by=marta
            )
    assert refused.value.field == "slug"
    article.refresh_from_db()
    assert article.slug != "tomado"


@pytest.mark.parametrize(
    ("typed", "logged"),
    [
        ("mi pedido 4512 3344 9981 no llega", "mi pedido no llega …"),
        ("juan.perez@example.com factura", "factura …"),
        ("llamar al +34 600 12 34 56", "llamar al …"),
        ("error 404 windows 10 11", "error 404 windows 10 11"),
        ("envío 2024", "envio 2024"),
        ("ana@example.com", "…"),
    ],
)
def test_the_search_log_keeps_no_email_addresses_or_long_numbers(client, live, typed, logged):
    from knowledge.models import SearchLog

    client.get("/help/search/", {"q": typed})
    assert SearchLog.objects.get().query == logged


def test_a_deleted_articles_image_files_go_only_once_the_delete_is_committed(
    marta, live, django_capture_on_commit_callbacks
):
    image = services.upload_image(article=live, by=marta, file=_png_file())
    storage, name = image.file.storage, image.file.name
    with django_capture_on_commit_callbacks(execute=False) as pending:
        services.delete_article(article=live, by=marta)
    assert storage.exists(name) and pending  # not yet: the transaction might roll back
    for callback in pending:
        callback()
    assert not storage.exists(name)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        ("title_es=x", "application/x-www-form-urlencoded"),
        ("[]", "application/json"),
        ('"x"', "application/json"),
        ("null", "application/json"),
    ],
)
def test_a_malformed_body_to_the_staff_api_is_a_4xx_with_json(
    client, marta, live, body, content_type
):
    client.force_login(marta)
    before = (live.title_es, live.status, live.versions.count())
    for method, url in [
        ("post", "/api/v1/knowledge/articles/"),
        ("patch", f"/api/v1/knowledge/articles/{live.pk}/"),
        ("post", f"/api/v1/knowledge/articles/{live.pk}/status/"),
    ]:
        response = getattr(client, method)(url, body, content_type=content_type)
        assert 400 <= response.status_code < 500, (url, body, response.status_code)
        assert response.json(), url
    live.refresh_from_db()
    assert (live.title_es, live.status, live.versions.count()) == before  # nothing changed
    assert list(Article.objects.all()) == [live]  # nothing created
