"""Trained models on disk and in memory.

The artefact of a training is a joblib file under `INSIGHTS_MODEL_DIR` (shared by every web
and worker host, like `media/`), written to a temporary name and renamed, so a reader never
opens half a file. Each process keeps the models it loaded and asks the database at most
every `INSIGHTS_RELOAD_SECONDS` whether a newer training of that kind is ready.
"""

from __future__ import annotations

import hashlib
import io
import logging
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

logger = logging.getLogger(__name__)

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
        # kind → (model pk, its record, payload); payload None: its file could not be read
        self.loaded: dict[str, tuple[int, TrainedModel, Any]] = {}
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
    """The model in use of `kind` and its payload, loaded once per process and training: the
    database is asked at most every INSIGHTS_RELOAD_SECONDS whether a newer one is ready.

    A file that is missing, cut short or not the one the training wrote (its SHA-256) is
    logged and answered as no model — the pages say there is none — and tried again at the
    next check, not on every request."""
    now = time.monotonic()
    with _cache.lock:
        checked = _cache.checked.get(kind)
        held = _cache.loaded.get(kind)
    asked = False  # whether the database was asked just now
    if checked is not None and now - checked[0] < settings.INSIGHTS_RELOAD_SECONDS:
        newest_pk = checked[1]
        record = held[1] if held is not None and held[0] == newest_pk else None
    else:
        asked = True
        record = latest(kind)
        newest_pk = record.pk if record else None
        with _cache.lock:
            _cache.checked[kind] = (now, newest_pk)
    if newest_pk is None:
        return None
    if held is not None and held[0] == newest_pk:
        if held[2] is not None:
            return record or held[1], held[2]
        if not asked:  # a file that could not be read is tried again at the next check
            return None
    if record is None:
        record = TrainedModel.objects.filter(pk=newest_pk).exclude(artifact="").first()
        if record is None:
            forget()
            return None
    payload = _read(record)
    with _cache.lock:
        _cache.loaded[kind] = (record.pk, record, payload)
    return None if payload is None else (record, payload)


def _read(record: TrainedModel) -> Any:
    """The payload of `record`'s file, or None (logged) when it can't be trusted."""
    path = model_dir() / record.artifact
    try:
        data = path.read_bytes()
        if record.artifact_sha256 and hashlib.sha256(data).hexdigest() != record.artifact_sha256:
            raise ValueError("the file is not the one the training wrote (SHA-256 differs)")
        return joblib.load(io.BytesIO(data))
    except Exception:  # a bad file means no model, not a page that fails
        logger.exception("model %s (%s) could not be loaded from %s", record.pk, record.kind, path)
        return None


def forget() -> None:
    """Drop what this process loaded and checked (after a training, and in tests)."""
    with _cache.lock:
        _cache.loaded.clear()
        _cache.checked.clear()
