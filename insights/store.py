"""Trained models on disk and in memory.

The artefact of a training is a joblib file under `INSIGHTS_MODEL_DIR` (shared by every web
and worker host, like `media/`), written to a temporary name and renamed, so a reader never
opens half a file. Each process keeps the models it loaded and asks the database at most
every `INSIGHTS_RELOAD_SECONDS` whether a newer training of that kind is ready.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import time
from pathlib import Path
from typing import Any

import joblib
from django.conf import settings
from django.utils import timezone

from insights.models import ModelStatus, TrainedModel

KEEP_FILES = 3  # of each kind: the one in use and two before it, for a process still on one


def model_dir() -> Path:
    folder = Path(settings.INSIGHTS_MODEL_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_artifact(kind: str, payload: object) -> tuple[str, str]:
    """Store `payload`; answers its file name and SHA-256."""
    name = f"{kind}-{timezone.now():%Y%m%d-%H%M%S}-{secrets.token_hex(4)}.joblib"
    final = model_dir() / name
    partial = final.with_suffix(".partial")
    joblib.dump(payload, partial, compress=3)
    digest = hashlib.sha256(partial.read_bytes()).hexdigest()
    os.replace(partial, final)
    return name, digest


def prune_artifacts(kind: str) -> None:
    """Delete the files of a kind's older trainings, keeping the newest `KEEP_FILES`."""
    ready = (
        TrainedModel.objects.filter(kind=kind).exclude(artifact="").order_by("-trained_at", "-pk")
    )
    for old in ready[KEEP_FILES:]:
        (model_dir() / old.artifact).unlink(missing_ok=True)
        TrainedModel.objects.filter(pk=old.pk).update(artifact="")


class _Cache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.loaded: dict[str, tuple[int, Any]] = {}  # kind → (model pk, payload)
        self.checked: dict[str, tuple[float, int | None]] = {}  # kind → (when, newest pk)


_cache = _Cache()


def latest(kind: str) -> TrainedModel | None:
    """The newest ready training of `kind` (None: none yet, or too little history)."""
    return (
        TrainedModel.objects.filter(kind=kind, status=ModelStatus.READY)
        .exclude(artifact="")
        .order_by("-trained_at", "-pk")
        .first()
    )


def load(kind: str) -> tuple[TrainedModel, Any] | None:
    """The model in use of `kind` and its payload, loaded once per process and training."""
    now = time.monotonic()
    with _cache.lock:
        checked = _cache.checked.get(kind)
    if checked is not None and now - checked[0] < settings.INSIGHTS_RELOAD_SECONDS:
        newest_pk = checked[1]
    else:
        record = latest(kind)
        newest_pk = record.pk if record else None
        with _cache.lock:
            _cache.checked[kind] = (now, newest_pk)
    if newest_pk is None:
        return None
    with _cache.lock:
        held = _cache.loaded.get(kind)
    record = TrainedModel.objects.filter(pk=newest_pk).first()
    if record is None or not record.artifact:
        forget()
        return None
    if held is not None and held[0] == newest_pk:
        return record, held[1]
    path = model_dir() / record.artifact
    if not path.exists():
        return None
    payload = joblib.load(path)
    with _cache.lock:
        _cache.loaded[kind] = (newest_pk, payload)
    return record, payload


def forget() -> None:
    """Drop what this process loaded and checked (after a training, and in tests)."""
    with _cache.lock:
        _cache.loaded.clear()
        _cache.checked.clear()
