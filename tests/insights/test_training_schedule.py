"""When the beat trains: nightly at INSIGHTS_TRAIN_HOUR, at once without a model, after a
missed night — never twice in a night."""

from datetime import datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from insights.models import ModelKind, ModelStatus, TrainedModel
from insights.services.training import kinds_due
from insights.tasks import train_models_when_due
from tests.insights.histories import planted_desk


def local(hour: int, day: int = 10) -> datetime:
    return timezone.make_aware(datetime(2026, 11, day, hour, 5))


def trained(at: datetime) -> TrainedModel:
    return TrainedModel.objects.create(
        kind=ModelKind.TRIAGE, status=ModelStatus.READY, trained_at=at, artifact="x.joblib"
    )


@pytest.mark.django_db
def test_a_kind_never_trained_is_due_at_any_hour():
    assert ModelKind.TRIAGE in kinds_due(local(15))


@pytest.mark.django_db
def test_trained_last_night_is_due_again_only_at_the_training_hour(settings):
    settings.INSIGHTS_TRAIN_HOUR = 3
    trained(local(3, day=9))
    assert ModelKind.TRIAGE not in kinds_due(local(15, day=9))
    assert ModelKind.TRIAGE not in kinds_due(local(2, day=10))
    assert ModelKind.TRIAGE in kinds_due(local(3, day=10))


@pytest.mark.django_db
def test_a_second_run_in_the_training_hour_trains_nothing(settings):
    settings.INSIGHTS_TRAIN_HOUR = 3
    trained(local(3, day=10) - timedelta(minutes=1))
    assert ModelKind.TRIAGE not in kinds_due(local(3, day=10))


@pytest.mark.django_db
def test_a_missed_night_is_made_up_at_once(settings):
    settings.INSIGHTS_TRAIN_HOUR = 3
    trained(local(3, day=8))
    assert ModelKind.TRIAGE in kinds_due(local(9, day=9))


@pytest.mark.django_db
def test_the_beat_task_trains_a_new_desk():
    planted_desk(150)
    train_models_when_due.delay()
    assert TrainedModel.objects.get(kind=ModelKind.TRIAGE).status == ModelStatus.READY


def test_the_beat_schedules_the_check_hourly():
    entry = django_settings.CELERY_BEAT_SCHEDULE["insights-train-models"]
    assert entry["task"] == "insights.tasks.train_models_when_due"
    assert entry["schedule"] == 3600.0
