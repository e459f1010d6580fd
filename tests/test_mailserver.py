"""The loopback IMAP server (tests/mailserver.py) is a real mailbox: what is appended can be
searched, fetched byte for byte, flagged, copied and moved with a plain imaplib client."""

import imaplib

import pytest

from tests.imap_fixtures import imap_server as imap_server_fixture  # noqa: F401
from tests.mailserver import LoopbackIMAP, process_group_alive, require_dovecot

MESSAGE = (
    b"From: Ana Cliente <ana@example.com>\n"
    b"To: support@example.com\n"
    b"Subject: =?utf-8?q?La_impresora_no_funciona?=\n"
    b"Message-ID: <printer-1@example.com>\n"
    b"Date: Mon, 01 Dec 2025 10:00:00 +0000\n"
    b"Content-Type: text/plain; charset=utf-8\n"
    b"Content-Transfer-Encoding: 8bit\n"
    b"\n"
    b"Hola, la impresora del segundo piso no imprime. \xc2\xbfPueden ayudarme?\n"
)


def crlf(raw: bytes) -> bytes:
    return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def test_an_appended_message_is_unseen_and_fetched_byte_for_byte(imap_server):
    assert imap_server.uids() == []
    imap_server.append(MESSAGE)

    [uid] = imap_server.uids(criteria="UNSEEN")
    assert imap_server.uids(criteria="SEEN") == []
    assert crlf(imap_server.fetch(uid)) == crlf(MESSAGE)
    assert "\\Seen" not in imap_server.flags(uid)  # fetch() peeks

    imap_server.append(MESSAGE.replace(b"printer-1", b"printer-2"), seen=True)
    [_, second] = imap_server.uids()
    assert imap_server.flags(second) == {"\\Seen"}


def test_a_client_sets_flags_copies_and_moves(imap_server):
    imap_server.append(MESSAGE)
    imap_server.append(MESSAGE.replace(b"printer-1", b"printer-2"))
    imap_server.create_folder("Processed")
    imap_server.create_folder("Archive 2025")
    assert {"INBOX", "Processed", "Archive 2025"} <= set(imap_server.folders())
    first, second = imap_server.uids()

    with imap_server.client("INBOX") as imap:
        assert imap.uid("STORE", str(first), "+FLAGS", r"(\Seen)")[0] == "OK"
        assert imap.uid("COPY", str(first), '"Archive 2025"')[0] == "OK"
        assert imap.uid("MOVE", str(second), "Processed")[0] == "OK"

    assert imap_server.flags(first) == {"\\Seen"}
    assert imap_server.uids() == [first]
    [copied] = imap_server.uids("Archive 2025", "SEEN")
    [moved] = imap_server.uids("Processed", "UNSEEN")
    assert crlf(imap_server.fetch(moved, "Processed")) == crlf(
        MESSAGE.replace(b"printer-1", b"printer-2")
    )
    assert b"printer-1" in imap_server.fetch(copied, "Archive 2025")


def test_the_app_settings_log_in_and_a_wrong_password_is_refused(imap_server):
    config = imap_server.settings()
    assert config["IMAP_HOST"] == "127.0.0.1" and config["IMAP_PORT"] == imap_server.port
    imap = imaplib.IMAP4(config["IMAP_HOST"], config["IMAP_PORT"], timeout=5)
    assert imap.login(config["IMAP_USER"], config["IMAP_PASSWORD"])[0] == "OK"
    imap.logout()

    imap = imaplib.IMAP4(config["IMAP_HOST"], config["IMAP_PORT"], timeout=5)
    try:
        with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
            imap.login(config["IMAP_USER"], "wrong")
    finally:
        imap.shutdown()


def test_servers_start_one_after_another_and_leave_nothing_behind():
    require_dovecot()
    dirs, pids = [], []
    for _ in range(3):
        with LoopbackIMAP() as server:
            assert server.uids() == []  # a fresh, empty mailbox each time
            server.append(MESSAGE)
            assert len(server.uids()) == 1
            dirs.append(server.dir)
            pids.append(server.process.pid)
        assert server.process is None and server.dir is None
    assert not any(d.exists() for d in dirs)
    assert not any(process_group_alive(pid) for pid in pids)  # dovecot and all its children
