"""Two trainings of one kind never run at once (the beat and an admin's "Train now", two
workers): the second leaves it to the first."""

from datetime import timedelta

import pytest
from django.utils import timezone

from insights.models import ModelKind, ModelStatus, TrainedModel, TrainingLease
from insights.services.training import TrainingInProgress, train_all, train_model
from tests.insights.histories import planted_desk


def held_elsewhere(kind: str, minutes: int = 10) -> None:
    TrainingLease.objects.update_or_create(
        kind=kind,
        defaults={"holder": "another-worker", "until": timezone.now() + timedelta(minutes=minutes)},
    )


@pytest.mark.django_db
def test_while_another_process_trains_the_model_in_use_is_answered_and_nothing_written():
    planted_desk(150)
    first = train_model(kind=ModelKind.TRIAGE)
    held_elsewhere(ModelKind.TRIAGE)
    assert train_model(kind=ModelKind.TRIAGE, force=True).pk == first.pk
    assert TrainedModel.objects.filter(kind=ModelKind.TRIAGE).count() == 1


@pytest.mark.django_db
def test_a_first_training_under_way_elsewhere_is_left_to_it():
    planted_desk(150)
    held_elsewhere(ModelKind.TRIAGE)
    with pytest.raises(TrainingInProgress):
        train_model(kind=ModelKind.TRIAGE)
    kinds = {record.kind for record in train_all()}
    assert ModelKind.TRIAGE not in kinds and not TrainedModel.objects.filter(kind="triage")


@pytest.mark.django_db
def test_a_lease_left_by_a_dead_worker_expires():
    planted_desk(150)
    held_elsewhere(ModelKind.TRIAGE, minutes=-1)
    assert train_model(kind=ModelKind.TRIAGE).status == ModelStatus.READY


@pytest.mark.django_db
def test_the_lease_is_given_back_after_a_training_even_a_failed_one(monkeypatch):
    planted_desk(150)
    train_model(kind=ModelKind.TRIAGE)
    assert TrainingLease.objects.get(kind="triage").until <= timezone.now()
    from insights.training import triage

    monkeypatch.setattr(triage.TriageTrainer, "train", lambda self: 1 / 0)
    assert train_model(kind=ModelKind.TRIAGE, force=True).status == ModelStatus.FAILED
    assert TrainingLease.objects.get(kind="triage").until <= timezone.now()
