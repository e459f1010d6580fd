"""What a walk through the insights pages in a browser showed: each model's quality reads as
labelled figures next to its baseline, a refused form says so where the reader is looking, and
a figure never breaks between its number and its unit."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from insights.models import AutoApplyRule, ModelKind, ModelStatus, Theme, TrainedModel

PAGE = reverse("insights:models")
RULES = reverse("insights:save_rules")

SIMILAR = {
    "baseline": "five random indexed tickets",
    "trained_on": 252,
    "tested_on": 63,
    "hit_rate_at_5": 1.0,
    "baseline_hit_rate_at_5": 0.4853,
    "share_at_5": 0.9175,
    "baseline_share_at_5": 0.1248,
    "index_megabytes": 0.04,
    "terms": 375,
}
THEMES = {
    "themes": 11,
    "coverage": 1.0,
    "texts": 473,
    "comments": 73,
    "descriptions": 400,
    "coherence": 0.462,
    "coherence_by_k": {"6": 0.3299, "11": 0.462, "12": 0.4635},
    "reconstruction_error": 0.8342,
}
SENTIMENT = {
    "accuracy": 0.8462,
    "macro_f1": 0.8194,
    "baseline_accuracy": 0.6923,
    "baseline_macro_f1": 0.4091,
    "tested_on": 13,
    "trained_on": 50,
    "unhappy_share": 0.4444,
}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def _section(html: str, kind: str) -> str:
    found = re.search(rf'id="model-{kind}".*?</section>', html, re.S)
    assert found, kind
    return found.group(0)


def _ready(kind: str, quality: dict) -> TrainedModel:
    return TrainedModel.objects.create(
        kind=kind,
        status=ModelStatus.READY,
        documents=100,
        seconds=0.1,
        quality=quality,
        artifact=f"{kind}-x.joblib",
    )


@pytest.mark.django_db
def test_every_kind_shows_its_figures_by_name_against_its_baseline(client, adrian):
    _ready(ModelKind.SIMILAR, SIMILAR)
    _ready(ModelKind.THEMES, THEMES)
    _ready(ModelKind.SENTIMENT, SENTIMENT)
    client.force_login(adrian)
    html = client.get(PAGE).content.decode()

    similar = _text(_section(html, "similar"))
    assert "Tickets with a case of their own category among the five shown 100 % 49 %" in similar
    assert "Cases of the same category among the five shown 92 % 12 %" in similar
    assert "Looked up for 63 of the newest solved tickets among the 252 older ones." in similar

    sentiment = _text(_section(html, "sentiment"))
    assert "Baseline: always the commonest mood" in sentiment
    assert "Accuracy 85 % 69 %" in sentiment
    assert "Macro-F1 82 % 41 %" in sentiment
    assert "Tested on the newest 13 survey comments, learned from the 50 older ones." in sentiment
    assert "44 % of the comments are unhappy ones." in sentiment

    themes = _text(_section(html, "themes"))
    assert "Themes found 11" in themes
    assert "Texts read 473 (73 survey comments, 400 ticket descriptions)" in themes
    assert "Texts that mention a theme 100 %" in themes
    assert "0.46 (tried: 6 themes: 0.33, 11 themes: 0.46, 12 themes: 0.46)" in themes
    assert "Reconstruction error 0.83" in themes

    # None of the stored figures' raw keys reaches the admin.
    for key in ("hit_rate_at_5", "baseline_accuracy", "coherence_by_k", "five random indexed"):
        assert key not in html


@pytest.mark.django_db
def test_refused_rules_say_so_at_the_top_of_the_page_and_change_nothing(client, adrian):
    client.force_login(adrian)
    response = client.post(
        RULES,
        {
            "category_enabled": "on",
            "category_threshold": "1.5",
            "team_threshold": "0.90",
            "priority_threshold": "0.90",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    alert = re.search(r'<div class="alert alert-danger rules-not-saved"[^>]*>(.*?)</div>', html)
    assert alert, "no alert at the top"
    assert _text(alert.group(1)) == "The auto-apply rules were not saved. See what to correct"
    assert 'href="#auto-apply"' in alert.group(1)
    # where the page opens: before the models' panels and the rules form
    assert html.index("rules-not-saved") < html.index('id="auto-apply"')
    assert not AutoApplyRule.objects.exists()


@pytest.mark.django_db
def test_saved_rules_show_no_alert(client, adrian):
    client.force_login(adrian)
    html = client.get(PAGE).content.decode()
    assert "rules-not-saved" not in html


@pytest.mark.django_db
def test_a_refused_theme_name_takes_the_focus_so_the_reader_sees_why(client, marta):
    training = _ready(ModelKind.THEMES, THEMES)
    theme = Theme.objects.create(
        training=training,
        number=1,
        top_terms=[{"term": "factur", "word": "factura", "weight": 1.0}],
    )
    other = Theme.objects.create(
        training=training,
        number=2,
        top_terms=[{"term": "entreg", "word": "entrega", "weight": 1.0}],
    )
    client.force_login(marta)
    response = client.post(reverse("insights:theme_rename", args=[theme.pk]), {"name": "   "})
    assert response.status_code == 400
    html = response.content.decode()
    refused = re.search(rf'<input[^>]*id="theme-name-{theme.pk}"[^>]*>', html).group(0)
    untouched = re.search(rf'<input[^>]*id="theme-name-{other.pk}"[^>]*>', html).group(0)
    assert "autofocus" in refused
    assert "autofocus" not in untouched
    assert html.count("autofocus") == 1


def test_a_figure_and_its_unit_stay_on_one_line():
    html = render_to_string(
        "insights/_theme_figure.html",
        {"name": "csat", "value": 100.0, "n": 3, "low": True, "unit": "percent"},
    )
    kept = re.search(r'<span class="text-nowrap">(.*?)</span>(?=<span class="visually)', html)
    assert kept, html
    assert kept.group(1) == '100.0 %<span aria-hidden="true">*</span>'
    assert "(few in the sample)" in html
