"""Trainings on desks too small or too uniform to learn from, and models on disk that went
missing or bad: a state the pages can word ("too little history", "no model"), never a failed
training, a half-written record or a 500."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from cases.models import Ticket
from insights import store
from insights.models import ModelKind, ModelStatus, TrainedModel
from insights.services.training import train_all, train_model
from insights.training import TRAINERS
from tests.insights.histories import planted_desk
from tests.insights.test_sentiment import answered_comments

KINDS = [ModelKind.TRIAGE, ModelKind.SIMILAR, ModelKind.THEMES, ModelKind.SENTIMENT]


@pytest.mark.django_db
@pytest.mark.parametrize("count", [0, 1, 2, 3, 4, 5])
def test_a_tiny_desk_gets_too_little_history_from_every_kind_whatever_the_minimum(
    settings, model_dir, count
):
    settings.INSIGHTS_MIN_TICKETS = 1
    settings.INSIGHTS_MIN_COMMENTS = 1
    if count:
        planted_desk(count)
    records = train_all()
    statuses = {record.kind: record.status for record in records}
    assert ModelStatus.FAILED not in statuses.values(), {
        record.kind: record.message for record in records
    }
    assert set(statuses) == set(TRAINERS)
    # A model that was kept is one that can be loaded; nothing else left a file behind.
    kept = {r.artifact for r in TrainedModel.objects.exclude(artifact="")}
    assert {p.name for p in model_dir.glob("*")} == kept


@pytest.mark.django_db
@pytest.mark.parametrize("count", [3, 5, 8])
def test_a_handful_of_comments_gets_too_little_history_not_a_failed_mood_model(settings, count):
    settings.INSIGHTS_MIN_COMMENTS = 1
    answered_comments(count)
    record = train_model(kind=ModelKind.SENTIMENT)
    assert record.status in (ModelStatus.TOO_LITTLE_DATA, ModelStatus.READY), record.message


@pytest.mark.django_db
def test_a_desk_with_one_category_one_team_and_one_priority_gets_too_little_history():
    desk = planted_desk(150)
    only = desk.categories["Billing"]
    Ticket.objects.update(category=only, team=only.default_team, priority="normal")
    record = train_model(kind=ModelKind.TRIAGE)
    assert record.status == ModelStatus.TOO_LITTLE_DATA
    assert record.artifact == ""


@pytest.mark.django_db
def test_a_lowered_minimum_trains_a_desk_that_had_too_little_history(settings):
    planted_desk(150)
    settings.INSIGHTS_MIN_TICKETS = 200
    short = train_model(kind=ModelKind.TRIAGE)
    assert short.status == ModelStatus.TOO_LITTLE_DATA
    settings.INSIGHTS_MIN_TICKETS = 100  # the admin lowers it: the same tickets are enough now
    record = train_model(kind=ModelKind.TRIAGE)
    assert record.pk != short.pk and record.status == ModelStatus.READY


@pytest.mark.django_db
def test_a_figure_that_is_not_a_number_is_stored_as_missing(monkeypatch, model_dir):
    planted_desk(150)
    trainer = TRAINERS[ModelKind.TRIAGE]

    def broken() -> object:
        made = trainer()
        train = made.train

        def with_nan():
            trained = train()
            trained.quality["odd"] = float("nan")
            return trained

        made.train = with_nan
        return made

    monkeypatch.setitem(TRAINERS, ModelKind.TRIAGE, broken)
    record = train_model(kind=ModelKind.TRIAGE)
    assert record.status == ModelStatus.READY
    assert record.quality["odd"] is None  # stored as "no figure", not an invalid JSON number
    assert {p.name for p in model_dir.iterdir()} == {record.artifact}


@pytest.mark.django_db
def test_a_training_that_cannot_be_recorded_is_a_failure_and_leaves_no_file(monkeypatch, model_dir):
    planted_desk(150)
    in_use = train_model(kind=ModelKind.TRIAGE)
    trainer = TRAINERS[ModelKind.TRIAGE]

    def refusing() -> object:
        made = trainer()

        def save_rows(record: TrainedModel) -> None:
            raise RuntimeError("the database said no")

        made.save_rows = save_rows
        return made

    monkeypatch.setitem(TRAINERS, ModelKind.TRIAGE, refusing)
    record = train_model(kind=ModelKind.TRIAGE, force=True)
    assert record.status == ModelStatus.FAILED
    assert "the database said no" in record.message
    assert {p.name for p in model_dir.glob("*")} == {in_use.artifact}
    assert store.latest(ModelKind.TRIAGE).pk == in_use.pk


# --- models on disk ---------------------------------------------------------------------------


@pytest.fixture
def triage_model(db):
    planted_desk(200)
    record = train_model(kind=ModelKind.TRIAGE)
    assert record.status == ModelStatus.READY
    return record


@pytest.mark.parametrize("damage", ["missing", "truncated", "garbage"])
def test_a_model_file_gone_bad_means_no_model_and_a_log_line_not_a_500(
    triage_model, model_dir, client, ana, team_n1, damage, caplog
):
    path = model_dir / triage_model.artifact
    if damage == "missing":
        path.unlink()
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:200])
    else:
        path.write_bytes(b"\x00not a model at all" * 50)
    store.forget()
    ticket = Ticket.objects.filter(team__isnull=False).first()
    ticket.team = team_n1
    ticket.save(update_fields=["team"])
    client.force_login(ana)
    with caplog.at_level(logging.ERROR, logger="insights.store"):
        response = client.get(reverse("insights:ticket_triage", args=[ticket.pk]))
        assert store.load(ModelKind.TRIAGE) is None
    assert response.status_code == 200
    assert any(triage_model.artifact in r.getMessage() for r in caplog.records)


def test_a_bad_file_is_read_once_per_process_not_on_every_request(
    triage_model, model_dir, monkeypatch
):
    (model_dir / triage_model.artifact).write_bytes(b"garbage")
    store.forget()
    reads = []
    real = store.joblib.load
    monkeypatch.setattr(store.joblib, "load", lambda *a, **k: reads.append(a) or real(*a, **k))
    for _ in range(3):
        assert store.load(ModelKind.TRIAGE) is None
    assert len(reads) <= 1


def test_a_process_picks_up_a_newer_training(triage_model, settings):
    settings.INSIGHTS_RELOAD_SECONDS = 0
    assert store.load(ModelKind.TRIAGE)[0].pk == triage_model.pk
    newer = train_model(kind=ModelKind.TRIAGE, force=True)
    assert store.load(ModelKind.TRIAGE)[0].pk == newer.pk
