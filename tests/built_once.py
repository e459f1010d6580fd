"""Expensive test data built once per module instead of once per test.

`built_once` builds inside a transaction on the test database, as a Django TestCase does for
its class, and rolls it back when the module is done: every test still runs in a savepoint
of its own (pytest-django's `db`), sees exactly the data the module built, and leaves nothing
behind for the next test. Only for tests that do not need `transaction=True`.

    @pytest.fixture(scope="module")
    def _demo(django_db_setup, django_db_blocker):
        yield from built_once(django_db_blocker, demo.load_demo, EMBEDDED=True)

    @pytest.fixture
    def desk(_demo, settings):
        settings.EMBEDDED = True  # each test runs with the settings the data was built with
        return _demo.start()
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from celery._state import _set_task_join_will_block
from django.core import mail
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings
from django.utils import translation

from cases import publishing
from insights import store as insights_store

T = TypeVar("T")


@dataclass
class Built(Generic[T]):
    """What `build` returned, and what building left outside the database."""

    value: T
    # The e-mails building sent (the locmem outbox), which pytest-django empties before
    # every test: a test asserting what was sent still sees them, as when it built its own.
    outbox: list[Any]

    def start(self) -> T:
        """Put back what building left outside the database, for the test about to run."""
        mail.outbox[:] = list(self.outbox)
        return self.value


def built_once(
    django_db_blocker: Any, build: Callable[[], T], **settings: Any
) -> Iterator[Built[T]]:
    """Run `build` inside one transaction rolled back when the generator is closed, with
    `settings` overridden while building, from the state tests/conftest.py gives every test."""
    with django_db_blocker.unblock(), override_settings(**settings):
        # What the autouse `_clear_cache` resets before each test: an earlier test's leftovers
        # are not this module's.
        cache.clear()
        publishing.reset()
        insights_store.forget()
        _set_task_join_will_block(False)
        translation.deactivate()
        mail.outbox = []
        atomic = transaction.atomic()
        # Like TestCase's own: a durable block opened while building or testing is allowed.
        atomic._from_testcase = True  # type: ignore[attr-defined]
        atomic.__enter__()
        try:
            value = build()
            built = Built(value=value, outbox=list(mail.outbox))
            cache.clear()
            translation.deactivate()
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            raise
        try:
            yield built
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            cache.clear()
            insights_store.forget()
