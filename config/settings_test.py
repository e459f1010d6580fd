"""Test settings: everything as in production except what is named here."""

import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def _isolate_parallel_worker(worker: str) -> None:
    """Under pytest-xdist (`make test` runs two workers) each worker process gets a VAR_DIR
    and a Redis database of its own, before the settings read them, and so do the workers,
    web servers and runners the tests start as subprocesses (they inherit the environment):
    a real Celery worker of one test never takes the tasks another test publishes, and the
    embedded broker's folder, the SQLite file and the mail folder are never shared. The
    PostgreSQL test database gets its own name from pytest-django (`test_<name>_gw0`)."""
    index = int(worker.removeprefix("gw") or 0)
    base = os.environ.get("VAR_DIR") or str(Path(__file__).resolve().parent.parent / "var")
    os.environ["VAR_DIR"] = str(Path(base) / f"xdist-{worker}")
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        parts = urlsplit(redis_url)
        database = int(parts.path.strip("/") or 0)
        own = f"/{(database + 1 + index) % 16}"
        os.environ["REDIS_URL"] = urlunsplit(parts._replace(path=own))


if os.environ.get("PYTEST_XDIST_WORKER"):
    _isolate_parallel_worker(os.environ["PYTEST_XDIST_WORKER"])

from .settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Both aliases share one local-memory store (same LOCATION), so the tests' cache.clear() also
# resets the rate limits' counts between tests.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "ratelimit": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
# Unit tests run Celery tasks in-process; the Celery integration tests switch this off and
# use a real worker on the real broker.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Tests read English; the Spanish translation has tests of its own.
LANGUAGE_CODE = "en"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Attachments the tests store go to a throwaway folder, not var/media.
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="pulso-test-media-"))
# A second alias on the same test database, for the replica routing tests
# (tests/test_replica_routing.py); nothing reads it unless a test installs the replica router.
if "replica" not in DATABASES:  # noqa: F405
    DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405
