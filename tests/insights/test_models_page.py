"""The admins' models page: each model's measured quality, the trainings, "Train now" and
the auto-apply rules."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from insights import views_models
from insights.models import (
    AppliedSuggestion,
    AutoApplyRule,
    ModelKind,
    ModelStatus,
    SuggestionOutcome,
    TrainedModel,
)
from tests.factories import make_ticket
from tests.insights.histories import planted_desk

PAGE = reverse("insights:models")
TRAIN = reverse("insights:train_now")
RULES = reverse("insights:save_rules")

QUALITY = {
    "fields": {
        "category": {
            "accuracy": 0.8125,
            "macro_f1": 0.7431,
            "baseline_accuracy": 0.3125,
            "baseline_macro_f1": 0.119,
            "tested_on": 32,
            "trained_on": 128,
            "values": 4,
        },
        # No better than always answering the commonest value.
        "priority": {
            "accuracy": 0.75,
            "macro_f1": 0.4286,
            "baseline_accuracy": 0.75,
            "baseline_macro_f1": 0.4286,
            "tested_on": 32,
            "trained_on": 1,
            "values": 2,
        },
    }
}


@pytest.fixture(autouse=True)
def no_train_lock():
    cache.delete(views_models.TRAIN_LOCK_KEY)
    yield
    cache.delete(views_models.TRAIN_LOCK_KEY)


def _triage(**fields):
    values = {
        "kind": ModelKind.TRIAGE,
        "status": ModelStatus.READY,
        "documents": 160,
        "seconds": 2.25,
        "quality": QUALITY,
        "artifact": "triage-x.joblib",
    }
    return TrainedModel.objects.create(**(values | fields))


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _row(html: str, css: str) -> str:
    found = re.search(rf'<tr class="{css}"[^>]*>(.*?)</tr>', html, re.S)
    assert found, css
    return _text(found.group(1))


def _rules_post(**overrides):
    data = {
        "category_threshold": "0.90",
        "team_threshold": "0.90",
        "priority_threshold": "0.90",
    }
    data.update(overrides)
    return data


# --- who may open it ------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_is_sent_to_the_login_page(client):
    for url in (PAGE, TRAIN, RULES):
        response = client.post(url) if url != PAGE else client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["marta", "ana"])
def test_managers_and_agents_get_403_and_change_nothing(client, who, request):
    client.force_login(request.getfixturevalue(who))
    assert client.get(PAGE).status_code == 403
    assert client.post(TRAIN).status_code == 403
    response = client.post(RULES, _rules_post(category_enabled="on", category_threshold="0.60"))
    assert response.status_code == 403
    assert not AutoApplyRule.objects.exists()
    assert not TrainedModel.objects.exists()
    assert cache.get(views_models.TRAIN_LOCK_KEY) is None


@pytest.mark.django_db
def test_only_the_admin_has_the_menu_entry(client, adrian, marta):
    client.force_login(adrian)
    assert PAGE in client.get(reverse("cases:queue")).content.decode()
    client.force_login(marta)
    assert PAGE not in client.get(reverse("cases:queue")).content.decode()


# --- what it shows --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_sees_the_model_in_use_and_its_measured_quality(client, adrian):
    _triage()
    client.force_login(adrian)
    response = client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert _text(re.search(r'<dd class="col-sm-9 model-documents">(.*?)</dd>', html).group(1)) == (
        "160"
    )
    assert "2.2 s" in html or "2.3 s" in html  # floatformat rounds 2.25 half to even or up
    assert _row(html, "quality-category") == (
        "Category 81.3 % 31.3 % 74.3 % 11.9 % 32 tickets 128 tickets "
        "Beats the baseline: suggested to agents."
    )
    assert _row(html, "quality-priority") == (
        "Priority 75.0 % 75.0 % 42.9 % 42.9 % 32 tickets 1 ticket "
        "Does not beat the baseline: not suggested."
    )
    assert 'class="quality-team"' not in html  # not measured, not shown


@pytest.mark.django_db
def test_too_little_history_says_how_much_is_needed(client, adrian):
    TrainedModel.objects.create(
        kind=ModelKind.TRIAGE,
        status=ModelStatus.TOO_LITTLE_DATA,
        documents=37,
        quality={"needed": 100, "have": 37},
    )
    client.force_login(adrian)
    html = client.get(PAGE).content.decode()
    assert (
        "Too little history to learn from yet: it needs at least 100 labelled tickets, "
        "and the desk has 37."
    ) in _text(html)
    assert "No model in use yet" in html
    assert "triage-quality" not in html


@pytest.mark.django_db
def test_a_failed_training_shows_its_message_and_the_model_in_use_stays(client, adrian):
    in_use = _triage(trained_at=timezone.now() - timedelta(days=1))
    TrainedModel.objects.create(
        kind=ModelKind.TRIAGE, status=ModelStatus.FAILED, message="MemoryError: out of memory"
    )
    client.force_login(adrian)
    html = client.get(PAGE).content.decode()
    assert "MemoryError: out of memory" in html
    assert "The model in use stays until a training succeeds." in html
    assert _row(html, "quality-category").startswith("Category 81.3 %")
    history = re.findall(r'<tr class="training-row[^"]*">(.*?)</tr>', html, re.S)
    assert len(history) == 2
    assert "Training failed" in history[0] and "Ready · in use" in _text(history[1])
    assert in_use.documents == 160


@pytest.mark.django_db
def test_another_kinds_figures_are_shown_as_they_are(client, adrian, monkeypatch):
    monkeypatch.setattr(views_models, "_own_template", lambda kind: "")
    TrainedModel.objects.create(
        kind=ModelKind.SIMILAR,
        status=ModelStatus.READY,
        documents=500,
        quality={"hit_rate": 0.6125, "random": {"hit_rate": 0.25}, "tested_on": 100},
    )
    client.force_login(adrian)
    html = client.get(PAGE).content.decode()
    section = re.search(r'id="model-similar".*?</section>', html, re.S).group(0)
    assert "hit_rate 0.6125 random.hit_rate 0.2500 tested_on 100" in _text(section)


# --- Train now ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_train_now_queues_a_training_once_in_a_while(client, adrian):
    planted_desk(150, noise=0.05)
    client.force_login(adrian)
    response = client.post(TRAIN, follow=True)
    assert response.redirect_chain == [(PAGE, 302)]
    assert "Training queued." in response.content.decode()
    # CELERY_TASK_ALWAYS_EAGER: the training already ran.
    trained = TrainedModel.objects.filter(kind=ModelKind.TRIAGE)
    assert [m.status for m in trained] == [ModelStatus.READY]
    assert "triage-quality" in response.content.decode()

    again = client.post(TRAIN, follow=True)
    assert "A training was queued a moment ago." in again.content.decode()
    assert TrainedModel.objects.filter(kind=ModelKind.TRIAGE).count() == 1

    cache.delete(views_models.TRAIN_LOCK_KEY)  # the lock ran out: the same data, learnt again
    client.post(TRAIN)
    assert TrainedModel.objects.filter(kind=ModelKind.TRIAGE).count() == 2


@pytest.mark.django_db
def test_train_now_without_the_cache_still_queues(client, adrian, monkeypatch):
    """Redis away (docs/reliability.md): the guard against double clicks is skipped, not a 500."""
    planted_desk(150, noise=0.05)
    client.force_login(adrian)

    def down(*args, **kwargs):
        raise ConnectionError("cache unavailable")

    monkeypatch.setattr(views_models.cache, "add", down)
    response = client.post(TRAIN, follow=True)
    assert response.status_code == 200
    assert "Training queued." in response.content.decode()
    assert TrainedModel.objects.filter(kind=ModelKind.TRIAGE, status=ModelStatus.READY).exists()


@pytest.mark.django_db
def test_train_now_is_post_only(client, adrian):
    client.force_login(adrian)
    assert client.get(TRAIN).status_code == 405
    assert not TrainedModel.objects.exists()


# --- auto-apply rules -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_switches_a_rule_on(client, adrian):
    client.force_login(adrian)
    response = client.post(
        RULES, _rules_post(category_enabled="on", category_threshold="0.75"), follow=True
    )
    assert response.redirect_chain == [(PAGE, 302)]
    assert "The auto-apply rules were saved." in response.content.decode()
    category = AutoApplyRule.objects.get(field="category")
    assert (category.enabled, category.threshold, category.updated_by) == (
        True,
        Decimal("0.75"),
        adrian,
    )
    # The two left off as they always were: nobody changed them, no row says so.
    assert not AutoApplyRule.objects.filter(field__in=["team", "priority"]).exists()
    html = response.content.decode()
    assert re.search(r'name="category_enabled"[^>]*checked', html)
    assert re.search(r'name="category_threshold"[^>]*value="0.75"', html)
    assert "Adrián Soto" in _row(html, "counts-category")
    assert "Adrián Soto" not in _row(html, "counts-team")


@pytest.mark.django_db
def test_a_threshold_out_of_range_is_shown_kept_and_not_saved(client, adrian):
    client.force_login(adrian)
    response = client.post(RULES, _rules_post(category_enabled="on", category_threshold="0.3"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Ensure this value is greater than or equal to 0.50." in html
    assert re.search(r'name="category_threshold"[^>]*value="0.3"', html)
    assert re.search(r'name="category_enabled"[^>]*checked', html)
    assert not AutoApplyRule.objects.exists()


@pytest.mark.django_db
def test_the_last_30_days_counts_per_field(client, adrian, ana, ticket):
    model = _triage()
    second = make_ticket(by=ana)
    third = make_ticket(by=ana)
    old = make_ticket(by=ana)

    def applied(on, field, outcome, by=None, days=1):
        AppliedSuggestion.objects.create(
            ticket=on,
            field=field,
            value="1",
            label="x",
            confidence=0.9,
            model=model,
            outcome=outcome,
            by=by,
            at=timezone.now() - timedelta(days=days),
        )

    applied(ticket, "category", SuggestionOutcome.AUTOMATIC)
    applied(second, "category", SuggestionOutcome.AUTOMATIC)
    applied(third, "category", SuggestionOutcome.ACCEPTED, by=ana)
    applied(third, "priority", SuggestionOutcome.ACCEPTED, by=ana)
    applied(old, "category", SuggestionOutcome.AUTOMATIC, days=31)
    client.force_login(adrian)
    html = client.get(PAGE).content.decode()
    assert _row(html, "counts-category").startswith("Category 2 1")
    assert _row(html, "counts-team").startswith("Team 0 0")
    assert _row(html, "counts-priority").startswith("Priority 0 1")


# --- the API --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_lists_the_trainings_with_their_quality_for_admins(adrian, marta):
    from tests.api.helpers import token_client

    in_use = _triage(trained_at=timezone.now() - timedelta(days=1))
    failed = TrainedModel.objects.create(
        kind=ModelKind.TRIAGE, status=ModelStatus.FAILED, message="MemoryError: out of memory"
    )
    AutoApplyRule.objects.create(field="team", enabled=True, threshold=Decimal("0.85"))
    url = reverse("insights-api:insights-models")
    assert token_client(marta).get(url).status_code == 403
    response = token_client(adrian).get(url)
    assert response.status_code == 200
    body = response.json()
    assert [(t["id"], t["status"], t["in_use"]) for t in body["trainings"]] == [
        (failed.pk, "failed", False),
        (in_use.pk, "ready", True),
    ]
    assert body["trainings"][1]["quality"] == QUALITY
    assert body["trainings"][1]["documents"] == 160
    assert body["trainings"][0]["message"] == "MemoryError: out of memory"
    assert [(r["field"], r["enabled"], r["threshold"]) for r in body["auto_apply"]] == [
        ("category", False, "0.90"),
        ("team", True, "0.85"),
        ("priority", False, "0.90"),
    ]
    assert body["auto_apply"][0]["updated_at"] is None


SENTIMENT_QUALITY = {
    "accuracy": 0.9,
    "macro_f1": 0.88,
    "baseline_accuracy": 0.7,
    "baseline_macro_f1": 0.41,
    "tested_on": 40,
    "trained_on": 160,
    "unhappy_share": 0.3,
    "messages": {"read": 30, "unhappy": 10, "warned": 5, "warned_right": 4},
    "beats_baseline": True,
}


@pytest.mark.django_db
def test_the_sentiment_figures_say_how_it_read_the_customers_messages(client, adrian):
    TrainedModel.objects.create(
        kind=ModelKind.SENTIMENT, status=ModelStatus.READY, documents=200, quality=SENTIMENT_QUALITY
    )
    client.force_login(adrian)
    html = client.get(PAGE).content.decode()
    section = re.search(r'id="model-sentiment".*?</section>', html, re.S).group(0)
    assert "Beats the baseline: customers' moods are read." in _text(section)
    said = _text(re.search(r'class="[^"]*sentiment-on-messages[^"]*">(.*?)</p>', html, re.S)[1])
    assert said == (
        "Read as the ticket page reads them, on what the newest answers' customers wrote on "
        "their ticket before answering (30 customers, 10 of them then unhappy): it warned "
        "about 5 of them, 4 rightly. A warning at random would be right 33 % of the time. "
        "Most unhappy customers say so only in the survey: a warning is a sign to read the "
        "ticket, its absence no all-clear."
    )


@pytest.mark.django_db
def test_a_sentiment_model_whose_customers_wrote_nothing_known_says_so(client, adrian):
    quality = SENTIMENT_QUALITY | {
        "messages": {"read": 0, "unhappy": 0, "warned": 0, "warned_right": 0},
        "beats_baseline": False,
    }
    TrainedModel.objects.create(
        kind=ModelKind.SENTIMENT, status=ModelStatus.READY, documents=200, quality=quality
    )
    client.force_login(adrian)
    html = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    said = _text(re.search(r'class="[^"]*sentiment-on-messages[^"]*">(.*?)</p>', html, re.S)[1])
    section = re.search(r'id="model-sentiment".*?</section>', html, re.S).group(0)
    assert "No supera la referencia: no se lee el ánimo." in _text(section)
    assert said == (
        "Sin medir en los mensajes de los clientes: ninguno de los clientes de las respuestas "
        "más recientes escribió palabras que el modelo conozca."
    )
