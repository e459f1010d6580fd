"""Training triage on generated desks where the right answers are known."""

import pytest
from django.core.management import call_command

from cases.services import classify_ticket
from insights import store
from insights.models import ModelKind, ModelStatus, TrainedModel
from insights.services.training import kinds_due, train_model
from tests.insights.histories import planted_desk


@pytest.mark.django_db
def test_an_empty_desk_gets_no_model_and_says_how_much_it_needs():
    record = train_model(kind=ModelKind.TRIAGE)
    assert record.status == ModelStatus.TOO_LITTLE_DATA
    assert record.quality == {"needed": 100, "have": 0}
    assert record.artifact == ""
    assert store.load(ModelKind.TRIAGE) is None


@pytest.mark.django_db
def test_planted_words_beat_the_baseline_on_the_newest_fifth():
    planted_desk(600)
    record = train_model(kind=ModelKind.TRIAGE)
    assert record.status == ModelStatus.READY
    assert record.documents == 600
    for field in ("category", "team", "priority"):
        figures = record.quality["fields"][field]
        assert figures["tested_on"] == 120 and figures["trained_on"] == 480
        assert figures["accuracy"] > figures["baseline_accuracy"] + 0.1, field
        assert figures["macro_f1"] > figures["baseline_macro_f1"] + 0.3, field
    # 15 % of the tickets are misfiled on purpose: the model can't be right about those.
    assert record.quality["fields"]["category"]["accuracy"] >= 0.8


@pytest.mark.django_db
def test_retraining_unchanged_data_writes_nothing_and_new_data_trains_again(model_dir, marta):
    desk = planted_desk(300)
    first = train_model(kind=ModelKind.TRIAGE)
    files = sorted(p.name for p in model_dir.iterdir())
    again = train_model(kind=ModelKind.TRIAGE)
    assert again.pk == first.pk and TrainedModel.objects.count() == 1
    assert sorted(p.name for p in model_dir.iterdir()) == files
    refiled = desk.tickets[0]
    classify_ticket(ticket=refiled, by=marta, category=desk.categories["Returns"])
    newer = train_model(kind=ModelKind.TRIAGE)
    assert newer.pk != first.pk and TrainedModel.objects.count() == 2
    assert store.load(ModelKind.TRIAGE)[0].pk == newer.pk


@pytest.mark.django_db
def test_only_the_newest_files_are_kept(model_dir):
    planted_desk(200)
    for _ in range(5):
        train_model(kind=ModelKind.TRIAGE, force=True)
    assert len(list(model_dir.iterdir())) == store.KEEP_FILES
    assert TrainedModel.objects.exclude(artifact="").count() == store.KEEP_FILES


@pytest.mark.django_db
def test_a_failed_training_keeps_the_model_in_use(monkeypatch):
    planted_desk(200)
    good = train_model(kind=ModelKind.TRIAGE)
    from insights.training import triage

    def broken(self):
        raise MemoryError("no room")

    monkeypatch.setattr(triage.TriageTrainer, "train", broken)
    failed = train_model(kind=ModelKind.TRIAGE, force=True)
    assert failed.status == ModelStatus.FAILED and "MemoryError" in failed.message
    assert store.load(ModelKind.TRIAGE)[0].pk == good.pk


@pytest.mark.django_db
def test_the_command_trains_and_reports(capsys):
    planted_desk(200)
    call_command("train_models")
    out = capsys.readouterr().out
    assert "triage: ready, 200 texts" in out
    assert ModelKind.TRIAGE not in kinds_due()
