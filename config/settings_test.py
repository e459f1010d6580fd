"""Test settings: everything as in production except what is named here."""

import tempfile
from pathlib import Path

from .settings import *  # noqa: F403

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
