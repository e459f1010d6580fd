"""Themes: what customers talk about, found in survey comments and ticket descriptions — each
planted topic comes back as a theme with its own words, the themes that drag satisfaction down
rank first with the figures worked out by hand, a manager's names survive retraining, and an
empty desk says there is nothing yet."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from cases.models import Ticket
from insights.models import ModelKind, ModelStatus, Theme, ThemeMention, TrainedModel
from insights.selectors_themes import themes_report
from insights.services.training import train_model
from insights.training import themes as themes_training
from metrics.forms import preset_range
from metrics.kpis import Period
from quality.models_problems import Problem, ProblemTicket
from surveys.models import SurveyResponse
from tests.api.helpers import token_client

from .theme_desk import COMMENT_TOPICS, TICKET_TOPICS, theme_desk

XSS = "<script>alert('x')</script> esperando semanas, tardaron"


def last_30_days() -> Period:
    from django.utils import timezone

    return Period.of(*preset_range("30", timezone.localdate()))


def theme_with(word: str, training: TrainedModel | None = None) -> Theme:
    """The theme of the model in use (or of `training`) whose top words include `word`."""
    training = training or TrainedModel.objects.filter(
        kind=ModelKind.THEMES, status=ModelStatus.READY
    ).latest("trained_at", "pk")
    found = [t for t in Theme.objects.filter(training=training) if word in t.words]
    assert len(found) == 1, (word, [t.words for t in Theme.objects.filter(training=training)])
    return found[0]


@pytest.fixture
def desk(db):
    made = theme_desk()
    # The newest "waiting" comment carries markup: it must be shown as text everywhere.
    newest = max(made.responses["waiting"], key=lambda r: r.answered_at)
    SurveyResponse.objects.filter(pk=newest.pk).update(comment=XSS)
    return made


@pytest.fixture
def trained(desk):
    record = train_model(kind=ModelKind.THEMES)
    assert record.status == ModelStatus.READY, record.message
    return desk


# --- what the training finds ------------------------------------------------------------------


def test_each_planted_topic_comes_back_as_a_theme_with_its_own_words(trained):
    record = TrainedModel.objects.get(kind=ModelKind.THEMES)
    themes = list(Theme.objects.filter(training=record))
    for topic, planted in {**COMMENT_TOPICS, **TICKET_TOPICS}.items():
        planted_words = {w.lower() for phrase in planted for w in phrase.split()}
        best = max(themes, key=lambda t: len(planted_words & set(t.words[:6])))
        assert len(planted_words & set(best.words[:6])) >= 4, (topic, [t.words for t in themes])
    assert record.quality["themes"] == len(themes) == 8
    assert record.quality["coverage"] == 1.0
    assert record.documents == 400 + 160


def test_top_words_are_the_words_the_desk_writes_not_their_stems(trained):
    invoice = theme_with("factura")
    assert {"factura", "importe", "recibo", "cargo"} <= set(invoice.words)
    assert "factur" in [term["term"] for term in invoice.top_terms]
    assert "impresora" in theme_with("impresora").words


def test_every_planted_comment_mentions_its_own_theme_and_no_other(trained):
    for topic, planted in COMMENT_TOPICS.items():
        theme = theme_with(planted[0])
        mentioned = set(
            ThemeMention.objects.filter(theme=theme, source="comment").values_list(
                "response_id", flat=True
            )
        )
        assert mentioned == {r.pk for r in trained.responses[topic]}, topic
        assert theme.texts == 40
    assert not ThemeMention.objects.filter(source="comment", response__comment="").exists()


def test_examples_are_customers_comments_first(trained):
    theme = theme_with("amable")
    assert len(theme.examples) == 5
    assert all(example["source"] == "comment" for example in theme.examples)
    assert any("amable" in example["text"].lower() for example in theme.examples)


def test_comments_and_ticket_texts_make_themes_of_their_own(trained, client, adrian):
    """A comment's words never make a theme of case descriptions: each theme is mentioned by
    one kind of text, and the models page says how many themes each kind has."""
    training = theme_with("amable").training
    assert training.quality["sources"]["comment"]["themes"] == 4
    assert training.quality["sources"]["description"]["themes"] == 4
    for theme in Theme.objects.filter(training=training):
        sources = set(ThemeMention.objects.filter(theme=theme).values_list("source", flat=True))
        assert len(sources) == 1, (theme.words, sources)
    client.force_login(adrian)
    html = client.get(reverse("insights:models")).content.decode()
    by_source = re.search(r'themes-by-source">(.*?)</span>', html, re.S)[1]
    assert "Survey comments: 4 themes, coherence" in by_source
    assert "Ticket texts: 4 themes, coherence" in by_source


def test_top_words_name_subjects_not_how_customers_feel_or_ask(trained):
    """`no`, `sin`, `bien`, `gracias`, `hola`, `please` … matter to sentiment and triage; a
    theme called by them says nothing to a manager."""
    training = theme_with("amable").training
    for theme in Theme.objects.filter(training=training):
        stems = {term["term"] for term in theme.top_terms}
        assert not stems & themes_training._NO_SUBJECT, theme.words


def test_the_themes_reading_drops_how_customers_feel_or_ask_and_keeps_the_subject():
    reading = themes_training.read(
        ["Hola, la impresora no funciona bien, por favor ayúdenme. Gracias.",
         "Hello, the printer still does not work, please help. Thanks."]
    )  # fmt: skip
    assert [sorted(terms) for terms in reading.terms] == [
        ["funcion", "impresor"],
        ["printer", "work"],
    ]


def test_every_example_is_a_text_mostly_about_its_theme(trained):
    """A comment that only touches a theme is not shown as its example ahead of a text all
    about it: each example is one of the theme's own mentions."""
    for theme in Theme.objects.filter(training=theme_with("amable").training):
        mentioned = {
            (m.source, m.ticket_id, m.response_id) for m in ThemeMention.objects.filter(theme=theme)
        }
        for example in theme.examples:
            key = (example["source"], example["ticket"], example["response"])
            assert key in mentioned, (theme.words, example["text"])


# --- figures ----------------------------------------------------------------------------------


def test_waiting_and_refunds_pull_csat_down_most_with_their_hand_computed_figures(trained):
    report = themes_report(last_30_days())
    # All 200 answers: CSAT 12+16+36+28+32 = 124 of 200 satisfied; NPS promoters
    # 6+8+30+16+20 = 80, detractors 24+20+2+12+8 = 66 → 40 − 33 = 7.0.
    assert (report.overall.csat, report.overall.csat_n) == (62.0, 200)
    assert (report.overall.nps, report.overall.nps_n) == (7.0, 200)
    first, second = report.rows[:2]
    assert first.theme == theme_with("esperando")
    assert (first.now.csat, first.now.csat_n) == (30.0, 40)
    assert (first.now.nps, first.now.detractor_share) == (-45.0, 60.0)
    # (30 − 62) × 40 / 200 and (−45 − 7) × 40 / 200
    assert (first.csat_gap, first.csat_pull) == (-32.0, -6.4)
    assert (first.nps_gap, first.nps_pull) == (-52.0, -10.4)
    assert first.mentions == 40
    assert second.theme == theme_with("reembolso")
    assert (second.now.csat, second.now.nps, second.now.detractor_share) == (40.0, -30.0, 50.0)
    assert (second.csat_pull, second.nps_pull) == (-4.4, -7.4)
    kind = next(row for row in report.rows if row.theme == theme_with("amable"))
    assert (kind.now.csat, kind.now.nps, kind.csat_pull) == (90.0, 70.0, 5.6)


def test_a_ticket_theme_counts_the_answers_on_its_tickets(trained):
    report = themes_report(last_30_days())
    printer = next(row for row in report.rows if row.theme == theme_with("impresora"))
    tickets = set(ThemeMention.objects.filter(theme=printer.theme).values_list("ticket", flat=True))
    answers = SurveyResponse.objects.filter(ticket__in=tickets)
    assert printer.now.csat_n == answers.count() == 50
    assert printer.now.satisfied == answers.filter(csat__gte=4).count()
    assert printer.mentions == 100


def test_small_samples_are_flagged_and_the_previous_period_is_empty(trained, settings):
    settings.KPI_MIN_SAMPLE = 41
    row = themes_report(last_30_days()).rows[0]
    assert row.now.csat_low_sample and row.now.nps_low_sample
    assert (row.before.csat, row.before.csat_n, row.previous_mentions) == (None, 0, 0)
    assert row.csat_change is None and row.mentions_change == 40


# --- an empty desk, retraining ----------------------------------------------------------------


def test_an_empty_desk_gets_no_themes_and_its_pages_say_so(db, client, marta):
    record = train_model(kind=ModelKind.THEMES)
    assert record.status == ModelStatus.TOO_LITTLE_DATA
    assert record.quality == {"needed": 100, "have": 0}
    assert not Theme.objects.exists()
    client.force_login(marta)
    for name in ("insights:themes", "insights:themes_dashboard"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert "There are no themes yet" in response.content.decode()
    body = token_client(marta).get(reverse("insights-api:insights-themes")).json()
    assert (body["state"], body["themes"], body["needed"], body["have"]) == (
        "too_little_data",
        [],
        100,
        0,
    )


def test_a_desk_never_trained_shows_nothing_yet_without_error(db, client, marta):
    client.force_login(marta)
    response = client.get(reverse("insights:themes"))
    assert response.status_code == 200
    assert "There are no themes yet" in response.content.decode()


def test_retraining_unchanged_data_writes_nothing(trained):
    first = TrainedModel.objects.get(kind=ModelKind.THEMES)
    mentions = ThemeMention.objects.count()
    again = train_model(kind=ModelKind.THEMES)
    assert again == first
    assert TrainedModel.objects.filter(kind=ModelKind.THEMES).count() == 1
    assert Theme.objects.count() == 8 and ThemeMention.objects.count() == mentions


def test_a_new_training_finds_the_same_themes_and_keeps_the_managers_names(trained, client, marta):
    old = theme_with("esperando")
    client.force_login(marta)
    client.post(reverse("insights:theme_rename", args=[old.pk]), {"name": "Esperas"})
    mentions = ThemeMention.objects.count()
    new_record = train_model(kind=ModelKind.THEMES, force=True)
    renamed = theme_with("esperando", new_record)
    assert renamed.pk != old.pk
    assert (renamed.name, renamed.name_edited_by) == ("Esperas", marta)
    assert [t.top_terms for t in Theme.objects.filter(training=new_record)] == [
        t.top_terms for t in Theme.objects.filter(training=old.training)
    ]
    assert Theme.objects.filter(training=new_record).exclude(name="").count() == 1
    # only the model in use keeps its mentions
    assert ThemeMention.objects.count() == mentions
    assert not ThemeMention.objects.filter(theme__training=old.training).exists()


# --- pages ------------------------------------------------------------------------------------


def test_the_managers_page_lists_the_themes_worst_first(trained, client, marta):
    client.force_login(marta)
    response = client.get(reverse("insights:themes"), {"period": "30"})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("esperando") < page.index("reembolso") < page.index("amable")
    assert "30,0 %" in page or "30.0 %" in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_a_comments_markup_is_shown_as_text(trained, client, marta):
    client.force_login(marta)
    theme = theme_with("esperando")
    detail = client.get(reverse("insights:theme", args=[theme.pk]), {"period": "30"})
    listing = client.get(reverse("insights:themes"))
    for response in (detail, listing):
        page = response.content.decode()
        assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in detail.content.decode()


def test_the_theme_page_lists_only_the_tickets_the_reader_may_see(trained, client, marta):
    theme = theme_with("esperando")
    client.force_login(marta)
    page = client.get(reverse("insights:theme", args=[theme.pk])).content.decode()
    for response in trained.responses["waiting"]:
        assert f'data-ticket="{response.ticket_id}"' in page
    assert page.count('data-ticket="') == 40
    assert "theme-mentions-cut" not in page  # all 40 are listed


def test_a_long_list_of_mentions_says_it_is_cut(trained, client, marta, monkeypatch):
    monkeypatch.setattr("insights.views_themes.MENTIONS_LISTED", 25)
    theme = theme_with("esperando")
    client.force_login(marta)
    page = client.get(reverse("insights:theme", args=[theme.pk])).content.decode()
    assert page.count('data-ticket="') == 25
    assert (
        "Only the 25 newest mentions on tickets you can see are listed; the figures above "
        "count them all."
    ) in page


def test_a_manager_names_a_theme(trained, client, marta):
    theme = theme_with("aplicación")
    client.force_login(marta)
    response = client.post(
        reverse("insights:theme_rename", args=[theme.pk]) + "?period=7",
        {"name": "  App  y acceso "},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('insights:themes')}?period=7#theme-{theme.pk}"
    theme.refresh_from_db()
    assert (theme.name, theme.name_edited_by, theme.label) == (
        "App y acceso",
        marta,
        "App y acceso",
    )
    assert "Theme renamed: “App y acceso”." in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("typed", "error"),
    [("   ", "This field is required."), ("x" * 81, "at most 80 characters")],
)
def test_a_refused_name_comes_back_as_typed_with_why(trained, client, marta, typed, error):
    theme = theme_with("aplicación")
    client.force_login(marta)
    response = client.post(reverse("insights:theme_rename", args=[theme.pk]), {"name": typed})
    assert response.status_code == 400
    page = response.content.decode()
    assert error in page
    if typed.strip():
        assert f'value="{typed}"' in page
    theme.refresh_from_db()
    assert theme.name == "" and theme.name_edited_by is None


def test_a_problem_opened_from_a_theme_links_its_tickets(trained, client, marta):
    theme = theme_with("reembolso")
    client.force_login(marta)
    response = client.post(reverse("insights:theme_problem", args=[theme.pk]), {})
    problem = Problem.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("quality:problem_detail", args=[problem.pk])
    linked = set(ProblemTicket.objects.filter(problem=problem).values_list("ticket", flat=True))
    assert linked == {r.ticket_id for r in trained.responses["refund"]}
    assert problem.origin["kind"] == "theme" and problem.origin["theme"] == theme.pk
    assert problem.title.startswith(f"Theme: {theme.label}, ")
    page = client.get(response["Location"]).content.decode()
    assert f"Opened from what customers talk about: the theme “{theme.label}”" in page
    # A second click on the same theme and period leads to the same problem.
    again = client.post(reverse("insights:theme_problem", args=[theme.pk]), {})
    assert again["Location"] == response["Location"] and Problem.objects.count() == 1


def test_the_dashboard_loads_the_section_with_its_query_string(trained, client, marta):
    client.force_login(marta)
    page = client.get(reverse("metrics:dashboard"), {"period": "7"}).content.decode()
    assert f'hx-get="{reverse("insights:themes_dashboard")}?period=7"' in page
    section = client.get(reverse("insights:themes_dashboard"), {"period": "30"})
    assert section.status_code == 200
    text = section.content.decode()
    assert "What customers talk about" in text
    assert text.index("esperando") < text.index("reembolso")


def test_a_bad_period_is_a_400_that_says_why(trained, client, marta):
    client.force_login(marta)
    for name in ("insights:themes", "insights:themes_dashboard"):
        response = client.get(reverse(name), {"period": "\x00"})
        assert response.status_code == 400
        assert "Select a valid choice" in response.content.decode()
    response = client.get(
        reverse("insights:themes"), {"period": "custom", "from": "2026-02-30", "to": "2026-13-01"}
    )
    assert response.status_code == 400
    alert = re.search(r'themes-invalid" role="alert">(.*?)</div>', response.content.decode())
    assert alert[1] == "From: Enter a valid date. Before: Enter a valid date."


def test_agents_are_refused_every_themes_page(trained, client, ana):
    theme = theme_with("reembolso")
    client.force_login(ana)
    for method, name, args in [
        ("get", "insights:themes", []),
        ("get", "insights:themes_dashboard", []),
        ("get", "insights:theme", [theme.pk]),
        ("post", "insights:theme_rename", [theme.pk]),
        ("post", "insights:theme_problem", [theme.pk]),
    ]:
        response = getattr(client, method)(reverse(name, args=args), {"name": "Mío"})
        assert response.status_code == 403, name
    theme.refresh_from_db()
    assert theme.name == "" and not Problem.objects.exists()


def test_a_link_from_before_a_retraining_leads_to_the_theme_as_it_is_now(trained, client, marta):
    """A retraining numbers the themes anew: the page a manager kept open, or a problem's
    link to its theme, follows the theme to the new training."""
    old = theme_with("reembolso")
    train_model(kind=ModelKind.THEMES, force=True)
    now = theme_with("reembolso")
    assert now.pk != old.pk
    client.force_login(marta)
    response = client.get(reverse("insights:theme", args=[old.pk]), {"period": "30"})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('insights:theme', args=[now.pk])}?period=30"
    assert client.get(response["Location"]).status_code == 200


def test_a_change_asked_of_a_theme_from_before_a_retraining_is_not_made(trained, client, marta):
    old = theme_with("reembolso")
    train_model(kind=ModelKind.THEMES, force=True)
    now = theme_with("reembolso")
    client.force_login(marta)
    for name, data in [
        ("insights:theme_rename", {"name": "Devoluciones"}),
        ("insights:theme_problem", {}),
    ]:
        response = client.post(f"{reverse(name, args=[old.pk])}?period=30", data, follow=True)
        assert response.redirect_chain == [
            (f"{reverse('insights:theme', args=[now.pk])}?period=30", 303)
        ]
        assert "so nothing was changed" in response.content.decode()
    old.refresh_from_db()
    now.refresh_from_db()
    assert old.name == "" and now.name == "" and not Problem.objects.exists()


def test_a_theme_not_found_again_is_gone(trained, client, marta):
    old = theme_with("reembolso")
    train_model(kind=ModelKind.THEMES, force=True)
    Theme.objects.filter(pk=old.pk).update(
        top_terms=[{"term": "zzz", "word": "zzz", "weight": 1.0}]
    )
    client.force_login(marta)
    assert client.get(reverse("insights:theme", args=[old.pk])).status_code == 404
    assert client.get(reverse("insights:theme", args=[999_999])).status_code == 404


# --- API --------------------------------------------------------------------------------------


def test_the_api_gives_each_themes_figures_with_samples(trained, marta):
    body = token_client(marta).get(reverse("insights-api:insights-themes"), {"period": "30"}).json()
    assert body["state"] == "ready"
    assert body["overall"]["csat"] == {"percent": 62.0, "responses": 200, "low_sample": False}
    waiting = body["themes"][0]
    assert "esperando" in waiting["top_terms"]
    assert waiting["figures"]["csat"] == {"percent": 30.0, "responses": 40, "low_sample": False}
    assert waiting["figures"]["nps"]["score"] == -45.0
    assert waiting["figures"]["detractors"]["percent"] == 60.0
    assert (waiting["csat_pull"], waiting["nps_pull"], waiting["mentions"]) == (-6.4, -10.4, 40)
    assert waiting["previous"]["csat"]["percent"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"period": "\x00"}, "period"),
        ({"period": "365"}, "period"),
        ({"period": "7", "from": "2026-01-01"}, "period"),
        ({"period": "custom", "from": "2026-13-01"}, "from"),
        ({"perido": "7"}, "perido"),
    ],
)
def test_the_api_refuses_a_bad_period_with_a_400_saying_why(trained, marta, query, field):
    response = token_client(marta).get(reverse("insights-api:insights-themes"), query)
    assert response.status_code == 400
    assert field in response.json()


def test_the_api_renames_a_theme(trained, marta):
    theme = theme_with("amable")
    client = token_client(marta)
    url = reverse("insights-api:insights-theme", args=[theme.pk])
    response = client.patch(url, {"name": "Trato amable"}, format="json")
    assert response.status_code == 200
    assert response.json()["name"] == "Trato amable"
    refused = client.patch(url, {"name": " "}, format="json")
    assert refused.status_code == 400
    assert client.patch(url, {"name": "x", "number": 3}, format="json").status_code == 400
    theme.refresh_from_db()
    assert theme.name == "Trato amable"


def test_agents_get_a_403_from_the_api(trained, ana):
    theme = theme_with("amable")
    client = token_client(ana)
    assert client.get(reverse("insights-api:insights-themes")).status_code == 403
    url = reverse("insights-api:insights-theme", args=[theme.pk])
    assert client.patch(url, {"name": "Mío"}, format="json").status_code == 403
    theme.refresh_from_db()
    assert theme.name == ""
    assert Ticket.objects.count() == 400


def test_texts_that_all_say_the_same_give_too_little_data_not_a_failure(db):
    theme_desk(tickets=200)
    Ticket.objects.update(subject="Impresora", description="La impresora.")
    SurveyResponse.objects.exclude(comment="").update(comment="Impresora, impresora.")
    record = train_model(kind=ModelKind.THEMES)
    assert record.status == ModelStatus.TOO_LITTLE_DATA
    assert record.quality == {"needed": 100, "have": 0}
    assert not Theme.objects.exists()
