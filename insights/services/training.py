"""Training: the only code that writes `TrainedModel` rows and model files."""

from __future__ import annotations

import logging
import math
import secrets
import time
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from insights import store
from insights.models import ModelKind, ModelStatus, TrainedModel, TrainingLease
from insights.training import TRAINERS, TooLittleData

logger = logging.getLogger(__name__)

# Longer than any training (two minutes at 100 000 tickets, tests/bench/README.md): a lease
# still held past it belongs to a worker that died.
LEASE = timedelta(minutes=30)


class TrainingInProgress(Exception):
    """Another process is training this kind right now, and there is no earlier training."""


def _take_lease(kind: str) -> str | None:
    """A token if this process may train `kind` now, None if another holds it."""
    now = timezone.now()
    TrainingLease.objects.get_or_create(kind=kind, defaults={"until": now - timedelta(seconds=1)})
    token = secrets.token_hex(8)
    taken = TrainingLease.objects.filter(kind=kind, until__lte=now).update(
        holder=token, until=now + LEASE
    )
    return token if taken else None


def _give_back(kind: str, token: str) -> None:
    TrainingLease.objects.filter(kind=kind, holder=token).update(until=timezone.now())


def train_model(*, kind: str, force: bool = False) -> TrainedModel:
    """Learn `kind` from the desk's data as it is now. Idempotent: when nothing changed since
    the last training of the kind, that training is answered and nothing is written (`force`
    learns again all the same)."""
    if kind not in TRAINERS:
        raise ValueError(f"unknown model kind {kind!r}")
    trainer = TRAINERS[kind]()
    fingerprint = trainer.fingerprint()
    last = TrainedModel.objects.filter(kind=kind).order_by("-trained_at", "-pk").first()
    if not force and last is not None and _unchanged(last, fingerprint):
        return last
    token = _take_lease(kind)
    if token is None:  # another worker is learning it: its training will be the new one
        if last is None:
            raise TrainingInProgress(kind)
        return last
    try:
        return _train(kind, trainer, fingerprint)
    finally:
        _give_back(kind, token)


def _train(kind: str, trainer: Any, fingerprint: str) -> TrainedModel:
    started = time.perf_counter()
    status, message, artifact, checksum, documents = ModelStatus.READY, "", "", "", 0
    quality: dict[str, object] = {}
    try:
        trained = trainer.train()
    except TooLittleData as short:
        status, quality, documents = (
            ModelStatus.TOO_LITTLE_DATA,
            {"needed": short.needed, "have": short.have},
            short.have,
        )
    except Exception as error:  # a failed training must leave the model in use alone
        logger.exception("training %s failed", kind)
        status, message = ModelStatus.FAILED, f"{type(error).__name__}: {error}"[:2000]
    else:
        artifact, checksum = store.write_artifact(kind, trained.payload)
        documents, quality = trained.documents, _finite(trained.quality)
    seconds = round(time.perf_counter() - started, 3)
    try:
        with transaction.atomic():
            record = TrainedModel.objects.create(
                kind=kind,
                status=status,
                trained_at=timezone.now(),
                seconds=seconds,
                documents=documents,
                fingerprint=fingerprint,
                quality=quality,
                message=message,
                artifact=artifact,
                artifact_sha256=checksum,
            )
            save_rows = getattr(trainer, "save_rows", None)
            if status == ModelStatus.READY and save_rows is not None:
                # A trainer that keeps rows beside its file (the themes' mentions) writes them
                # with the record: no reader sees the one without the other.
                save_rows(record)
    except Exception as error:  # not recorded: no file without its record, the model in use kept
        logger.exception("recording the training of %s failed", kind)
        if artifact:
            (store.model_dir() / artifact).unlink(missing_ok=True)
        record = TrainedModel.objects.create(
            kind=kind,
            status=ModelStatus.FAILED,
            seconds=seconds,
            fingerprint=fingerprint,
            message=f"{type(error).__name__}: {error}"[:2000],
        )
    store.prune_artifacts(kind)
    store.forget()
    return record


def _finite(value: Any) -> Any:
    """`value` with every NaN or infinite figure as None: JSON has no such numbers (the
    database refuses them), and a figure that isn't one is better shown as missing."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def _unchanged(last: TrainedModel, fingerprint: str) -> bool:
    if last.fingerprint != fingerprint or last.status == ModelStatus.FAILED:
        return False
    return last.status != ModelStatus.READY or bool(last.artifact)


def train_all(*, force: bool = False) -> list[TrainedModel]:
    """Every kind this installation has a trainer for, one after the other (a kind another
    process is training for the first time is left to it)."""
    return train_each([kind for kind in ModelKind.values if kind in TRAINERS], force=force)


def train_each(kinds: list[str], *, force: bool = False) -> list[TrainedModel]:
    """`train_model` of each kind, skipping one another process is training first."""
    records = []
    for kind in kinds:
        try:
            records.append(train_model(kind=kind, force=force))
        except TrainingInProgress:
            logger.info("%s is being trained by another process", kind)
    return records


def kinds_due(now: datetime | None = None) -> list[str]:
    """A kind is due when it has never been trained, when its last training is more than a
    day and a bit old (a night missed while the beat was down), or at INSIGHTS_TRAIN_HOUR
    when it wasn't trained in the last twelve hours."""
    now = now or timezone.now()
    local_hour = timezone.localtime(now).hour
    due = []
    for kind in ModelKind.values:
        if kind not in TRAINERS:
            continue
        last = TrainedModel.objects.filter(kind=kind).order_by("-trained_at", "-pk").first()
        age = now - last.trained_at if last else None
        if (
            age is None
            or age > timedelta(hours=26)
            or (local_hour == settings.INSIGHTS_TRAIN_HOUR and age > timedelta(hours=12))
        ):
            due.append(kind)
    return due


def train_due(now: datetime | None = None) -> list[TrainedModel]:
    return train_each(kinds_due(now))


def never_trained() -> list[str]:
    """The kinds with a trainer and no training yet."""
    trained = set(TrainedModel.objects.values_list("kind", flat=True).distinct())
    return [kind for kind in ModelKind.values if kind in TRAINERS and kind not in trained]
