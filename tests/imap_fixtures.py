"""The `imap_server` pytest fixture: a real IMAP server (dovecot) on loopback, one per test,
stopped afterwards (see tests/mailserver.py). Import it into the test module that needs it:

    from tests.imap_fixtures import imap_server as imap_server_fixture  # noqa: F401

    def test_polls_the_mailbox(imap_server, settings):
        for name, value in imap_server.settings().items():
            setattr(settings, name, value)
        imap_server.append(raw_message)
        ...

The fixture keeps its name `imap_server` under any alias. Imported unaliased
(`from tests.imap_fixtures import imap_server  # noqa: F401`) it works the same, but ruff then
reports every test argument named `imap_server` as F811 (redefinition of the import).

Skipped when dovecot is not installed, unless PULSO_REQUIRE_IMAP=1 (CI): then it fails.
Function scope: a start takes ~50 ms and a stop ~10 ms, so each test gets a fresh, empty
mailbox.
"""

from collections.abc import Iterator

import pytest

from tests.mailserver import LoopbackIMAP, imap_server_fixture


@pytest.fixture(name="imap_server")
def imap_server() -> Iterator[LoopbackIMAP]:
    yield from imap_server_fixture()
