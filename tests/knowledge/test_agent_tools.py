"""Articles in the agents' hands (docs/knowledge.md, "For agents"): the reply box's finder,
the insertion it records, the "sent" rule, each article's tickets and CSAT %, and "Turn this
answer into an article"."""

import json

import pytest
from django.conf import settings

from cases import services as cases_services
from cases.errors import PermissionDenied, ValidationError
from cases.models import Reply, Ticket
from knowledge import agent_tools, services
from knowledge.models import Article, ArticleSource, ArticleUse, Status, UseKind
from surveys.models import SurveyInvitation
from surveys.services import answer_survey
from tests.factories import CustomerFactory, UserFactory, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(write):
    return write(
        slug="seguir-envio",
        title_es="Cómo seguir tu envío",
        body_es="Abre **Mis pedidos** y pulsa *Seguir*.\n\n![mapa](/help/images/abc/)",
        title_en="How to track your parcel",
        body_en="Open **My orders** and click *Track*.",
    )


@pytest.fixture
def internal(write):
    return write(
        slug="envio-interno",
        title_es="Envío: reembolso manual",
        body_es="Solo para agentes: reembolsa en el panel.",
        status=Status.INTERNAL,
    )


@pytest.fixture
def draft(write):
    return write(slug="envio-borrador", title_es="Envío en borrador", status=Status.DRAFT)


@pytest.fixture
def english_customer(db):
    return CustomerFactory(name="John Smith", email="john@example.com", language="en")


def insert(client, ticket, article, kind):
    return client.post(
        f"/knowledge/tickets/{ticket.pk}/articles/insert/", {"article": article.pk, "kind": kind}
    )


def public_reply(ticket, by, body="Aquí tienes la respuesta."):
    return cases_services.add_reply(ticket=ticket, by=by, body=body, public=True)


# --- the finder ---------------------------------------------------------------------------


def test_the_finder_offers_published_and_internal_articles_but_never_drafts(
    client, ana, ticket, live, internal, draft
):
    client.force_login(ana)
    response = client.get(f"/knowledge/tickets/{ticket.pk}/articles/", {"q": "envio"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Cómo seguir tu envío" in html
    assert "Envío: reembolso manual" in html
    assert "Envío en borrador" not in html
    # The internal article is offered as text only: one link button, for the published one.
    assert html.count('data-kind="link"') == 1
    assert f'data-article="{internal.pk}" data-kind="link"' not in html
    assert f'data-article="{internal.pk}" data-kind="text"' in html


def test_the_internal_hint_shows_only_when_an_internal_article_is_listed(
    client, ana, ticket, live, internal
):
    client.force_login(ana)
    url = f"/knowledge/tickets/{ticket.pk}/articles/"
    hint = "Internal articles can only be inserted as text"
    assert hint in client.get(url, {"q": "reembolso"}).content.decode()
    only_public = client.get(url, {"q": "seguir"}).content.decode()
    assert "Cómo seguir tu envío" in only_public and hint not in only_public


def test_the_finder_box_is_served_to_the_ticket_page(client, ana, ticket):
    client.force_login(ana)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert f'hx-get="/knowledge/tickets/{ticket.pk}/articles/"' in page
    assert "js/article_finder" in page
    box = client.get(f"/knowledge/tickets/{ticket.pk}/articles/")
    assert 'id="article-search"' in box.content.decode()


def test_customers_and_anonymous_visitors_get_nothing(client, ticket, live):
    urls = [
        ("get", f"/knowledge/tickets/{ticket.pk}/articles/?q=envio"),
        ("post", f"/knowledge/tickets/{ticket.pk}/articles/insert/"),
        ("get", f"/knowledge/tickets/{ticket.pk}/new-article/"),
        ("get", f"/knowledge/{live.pk}/sent/"),
    ]
    for method, url in urls:
        response = getattr(client, method)(url, {"article": live.pk, "kind": "link"})
        assert response.status_code == 302 and "/login" in response["Location"], url
    client.force_login(UserFactory(username="cliente"))
    for method, url in urls:
        response = getattr(client, method)(url, {"article": live.pk, "kind": "link"})
        assert response.status_code == 403, url
    assert not ArticleUse.objects.exists()


def test_an_agent_cannot_use_the_finder_on_a_ticket_they_cannot_see(client, carla, ticket, live):
    client.force_login(carla)  # Soporte N2; the ticket is Soporte N1's
    assert client.get(f"/knowledge/tickets/{ticket.pk}/articles/?q=envio").status_code == 404
    assert insert(client, ticket, live, "link").status_code == 404
    with pytest.raises(PermissionDenied):
        agent_tools.record_use(article=live, ticket=ticket, by=carla, kind=UseKind.LINK)
    assert not ArticleUse.objects.exists()


# --- inserting and recording ----------------------------------------------------------------


def test_inserting_a_link_records_the_use_and_answers_the_public_address(client, ana, ticket, live):
    client.force_login(ana)
    response = insert(client, ticket, live, "link")
    assert response.status_code == 200
    data = json.loads(response.content)
    assert data == {
        "text": f"Cómo seguir tu envío: {settings.SITE_URL}/help/articles/seguir-envio/",
        "kind": "link",
        "language": "es",
    }
    use = ArticleUse.objects.get()
    assert (use.article, use.ticket, use.agent, use.kind, use.language) == (
        live,
        ticket,
        ana,
        "link",
        "es",
    )


def test_the_link_is_in_the_customers_language(client, ana, team_n1, english_customer, live):
    ticket = make_ticket(by=ana, customer=english_customer, team=team_n1)
    client.force_login(ana)
    data = json.loads(insert(client, ticket, live, "link").content)
    assert data["text"].startswith("How to track your parcel: ")
    assert data["language"] == "en"
    finder = client.get(f"/knowledge/tickets/{ticket.pk}/articles/", {"q": "track"})
    assert "How to track your parcel" in finder.content.decode()
    assert "Insert link (English)" in finder.content.decode()


def test_inserting_the_text_gives_the_markdown_with_absolute_help_addresses(
    client, ana, ticket, live
):
    client.force_login(ana)
    data = json.loads(insert(client, ticket, live, "text").content)
    assert data["text"] == (
        "Cómo seguir tu envío\n\nAbre **Mis pedidos** y pulsa *Seguir*.\n\n"
        f"![mapa]({settings.SITE_URL}/help/images/abc/)"
    )
    assert ArticleUse.objects.get().kind == "text"


def test_an_internal_article_is_never_offered_as_a_public_link(client, ana, ticket, internal):
    client.force_login(ana)
    response = insert(client, ticket, internal, "link")
    assert response.status_code == 400
    assert "text" not in json.loads(response.content)
    assert not ArticleUse.objects.exists()
    data = json.loads(insert(client, ticket, internal, "text").content)
    assert data["text"].startswith("Envío: reembolso manual\n\nSolo para agentes")
    assert "/help/" not in data["text"]
    assert ArticleUse.objects.get().kind == "text"


def test_a_draft_cannot_be_inserted(client, ana, ticket, draft):
    client.force_login(ana)
    for kind in ("link", "text"):
        assert insert(client, ticket, draft, kind).status_code == 400
    assert insert(client, ticket, draft, "other").status_code == 400
    assert not ArticleUse.objects.exists()


# --- the "sent" rule ----------------------------------------------------------------------------


def test_a_use_counts_as_sent_only_once_a_public_agent_reply_follows(ana, ticket, live):
    public_reply(ticket, ana, "Primera respuesta, antes del artículo.")
    agent_tools.record_use(article=live, ticket=ticket, by=ana, kind=UseKind.LINK)
    assert not agent_tools.sent_uses(live).exists()  # a reply before the use does not count

    cases_services.add_reply(ticket=ticket, by=ana, body="Nota interna.", public=False)
    assert not agent_tools.sent_uses(live).exists()  # an internal note is not sent

    Reply.objects.create(ticket=ticket, body="Gracias, lo miro.", public=True)  # the customer
    assert not agent_tools.sent_uses(live).exists()

    public_reply(ticket, ana)
    assert list(agent_tools.sent_uses(live)) == list(ArticleUse.objects.all())


# --- per article: the tickets where it was sent and their CSAT % ---------------------------------


def resolved_with_answer(ana, team_n1, article, csat, *, send=True, kind=UseKind.LINK):
    customer = CustomerFactory(email=f"c{csat}-{send}@example.com")
    ticket = make_ticket(by=ana, customer=customer, team=team_n1)
    if send:  # inserted, then a public reply
        agent_tools.record_use(article=article, ticket=ticket, by=ana, kind=kind)
        public_reply(ticket, ana)
    else:  # a public reply, then inserted and only an internal note after it
        public_reply(ticket, ana)
        agent_tools.record_use(article=article, ticket=ticket, by=ana, kind=UseKind.TEXT)
        cases_services.add_reply(ticket=ticket, by=ana, body="Nota.", public=False)
    ticket = cases_services.resolve_ticket(ticket=ticket, by=ana, resolution="Resuelto.")
    if csat is not None:
        answer_survey(invitation=SurveyInvitation.objects.get(ticket=ticket), csat=csat)
    return ticket


def test_an_articles_csat_is_that_of_the_tickets_it_was_sent_on(client, ana, carla, team_n1, live):
    satisfied = resolved_with_answer(ana, team_n1, live, 5)
    unhappy = resolved_with_answer(ana, team_n1, live, 3)
    unanswered = resolved_with_answer(ana, team_n1, live, None)
    resolved_with_answer(ana, team_n1, live, 5, send=False)  # inserted, never sent: not counted
    resolved_with_answer(ana, team_n1, live, 4, send=False)

    outcome = agent_tools.article_outcome(live, ana)
    # By hand: answers 5 and 3 → one of two is 4 or more → 50.0 %, sample 2.
    assert (outcome.csat_percent, outcome.csat_answers, outcome.csat_satisfied) == (50.0, 2, 1)
    assert outcome.low_sample is True
    assert [row.ticket for row in outcome.tickets] == [satisfied, unhappy, unanswered]
    assert [row.csat for row in outcome.tickets] == [[5], [3], []]

    # Carla (Soporte N2) sees the same figure, without the tickets she may not open.
    hidden = agent_tools.article_outcome(live, carla)
    assert (hidden.csat_percent, hidden.tickets, hidden.hidden) == (50.0, [], 3)

    client.force_login(ana)
    panel = client.get(f"/knowledge/{live.pk}/sent/").content.decode()
    assert "Sent on 3 tickets." in panel
    assert "CSAT 50.0 % (2 answers)." in panel
    for ticket in (satisfied, unhappy, unanswered):
        assert f'data-ticket="{ticket.pk}"' in panel
    assert (
        f'hx-get="/knowledge/{live.pk}/sent/"'
        in client.get(f"/knowledge/{live.pk}/").content.decode()
    )

    api = client.get(f"/api/v1/knowledge/articles/{live.pk}/")
    sent = api.json()["sent"]
    assert sent["tickets_count"] == 3
    assert (sent["csat_percent"], sent["csat_answers"], sent["low_sample"]) == (50.0, 2, True)
    assert [row["id"] for row in sent["tickets"]] == [satisfied.pk, unhappy.pk, unanswered.pk]
    assert sent["tickets"][0]["kinds"] == ["link"]


def test_a_much_used_article_lists_its_first_tickets_and_counts_the_rest(
    monkeypatch, ana, team_n1, live
):
    first, second, third = (resolved_with_answer(ana, team_n1, live, n) for n in (5, 4, 1))
    monkeypatch.setattr(agent_tools, "LIST_LIMIT", 2)
    outcome = agent_tools.article_outcome(live, ana)
    assert [row.ticket for row in outcome.tickets] == [first, second]
    assert (outcome.more, outcome.hidden) == (1, 0)
    # The figure covers every ticket: 5 and 4 satisfied, 1 not → 66.7 % of 3.
    assert (outcome.csat_percent, outcome.csat_answers) == (66.7, 3)


def test_the_staff_list_counts_each_articles_tickets_and_csat_as_its_page(
    client, ana, team_n1, live, internal
):
    resolved_with_answer(ana, team_n1, live, 5)
    resolved_with_answer(ana, team_n1, live, 2)
    resolved_with_answer(ana, team_n1, live, 4, send=False)
    resolved_with_answer(ana, team_n1, internal, None, kind=UseKind.TEXT)
    figures = {
        a.pk: (a.sent_tickets, a.sent_csat_answers, a.sent_csat_satisfied)
        for a in agent_tools.with_sent_figures(Article.objects.all())
    }
    assert figures == {live.pk: (2, 2, 1), internal.pk: (1, 0, 0)}
    client.force_login(ana)
    page = client.get("/knowledge/", {"sort": "sent"}).content.decode()
    # Most sent first; each title in the reader's language (English), else the Spanish one.
    assert page.index("Envío: reembolso manual") > page.index("How to track your parcel")
    assert "50.0 %" in page


def test_an_article_never_sent_has_no_csat(ana, live):
    outcome = agent_tools.article_outcome(live, ana)
    assert (outcome.csat_percent, outcome.csat_answers, outcome.tickets) == (None, 0, [])


# --- "Turn this answer into an article" -------------------------------------------------------


def resolved(ticket, ana):
    public_reply(ticket, ana, "Hola Lucía: cambia el tóner y reinicia la impresora.")
    return cases_services.resolve_ticket(
        ticket=ticket, by=ana, resolution="Se cambió el tóner y se reinició la impresora."
    )


def test_the_draft_is_prefilled_in_spanish_for_a_spanish_customer(client, ana, ticket, section):
    ticket = resolved(ticket, ana)
    assert agent_tools.draft_from_ticket(ticket) == {
        "language": "es",
        "title_es": "The printer does not print",
        "body_es": "Se cambió el tóner y se reinició la impresora.",
    }
    client.force_login(ana)
    page = client.get(f"/knowledge/tickets/{ticket.pk}/new-article/").content.decode()
    assert 'value="The printer does not print"' in page
    assert "Se cambió el tóner" in page


def test_without_a_resolution_the_draft_is_the_last_reply_without_its_greeting(ana, ticket):
    public_reply(ticket, ana, "Hola Mónica,\n\nPrimero mira el cable.")
    public_reply(ticket, ana, "Hola Mónica,\n\nCambia el tóner y reinicia la impresora.")
    ticket = cases_services.resolve_ticket(ticket=ticket, by=ana, resolution="x")
    Ticket.objects.filter(pk=ticket.pk).update(resolution="")
    ticket.refresh_from_db()
    draft = agent_tools.draft_from_ticket(ticket)
    assert draft["body_es"] == "Cambia el tóner y reinicia la impresora."


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Hi James,\nRestart the router.", "Restart the router."),
        ("Buenos días Ana:\n\nReinicia el router.", "Reinicia el router."),
        ("Hola, reinicia el router.\nY espera.", "Hola, reinicia el router.\nY espera."),
        ("Hicimos el cambio.", "Hicimos el cambio."),
    ],
)
def test_only_a_line_that_just_greets_is_taken_out(text, kept):
    assert agent_tools.without_greeting(text) == kept


def test_the_draft_is_prefilled_in_english_for_an_english_customer(
    client, ana, team_n1, english_customer, section
):
    ticket = make_ticket(by=ana, customer=english_customer, team=team_n1, subject="Refund")
    cases_services.add_reply(ticket=ticket, by=ana, body="Refunded today.", public=True)
    ticket = cases_services.resolve_ticket(ticket=ticket, by=ana, resolution="Refunded today.")
    assert agent_tools.draft_from_ticket(ticket) == {
        "language": "en",
        "title_en": "Refund",
        "body_en": "Refunded today.",
    }
    client.force_login(ana)
    response = client.post(
        f"/knowledge/tickets/{ticket.pk}/new-article/",
        {"section": section.pk, "title_en": "Refund", "body_en": "Refunded today."},
    )
    article = Article.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/knowledge/{article.pk}/"
    assert (article.status, article.author, article.title_en, article.title_es) == (
        Status.DRAFT,
        ana,
        "Refund",
        "",
    )
    source = ArticleSource.objects.get()
    assert (source.article, source.ticket, source.created_by) == (article, ticket, ana)


def test_the_ticket_page_offers_the_draft_only_once_resolved(client, ana, ticket):
    client.force_login(ana)
    url = f"/knowledge/tickets/{ticket.pk}/new-article/"
    assert url not in client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert client.get(url).status_code == 403
    resolved(ticket, ana)
    assert url in client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert client.get(url).status_code == 200


def test_an_agent_cannot_turn_a_ticket_they_cannot_see_into_an_article(
    client, ana, carla, ticket, section
):
    ticket = resolved(ticket, ana)
    client.force_login(carla)
    url = f"/knowledge/tickets/{ticket.pk}/new-article/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"section": section.pk, "title_es": "Robado"}).status_code == 404
    content = services.ArticleContent(section=section, slug="", title_es="Robado")
    with pytest.raises(PermissionDenied):
        services.create_article_from_ticket(ticket=ticket, by=carla, content=content)
    assert not Article.objects.exists()


def test_an_open_ticket_cannot_become_an_article(ana, ticket, section):
    content = services.ArticleContent(section=section, slug="", title_es="Pronto")
    with pytest.raises(ValidationError):
        services.create_article_from_ticket(ticket=ticket, by=ana, content=content)
    assert not Article.objects.exists()
