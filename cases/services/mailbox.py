"""Polling the support mailbox over IMAP (Celery beat every IMAP_POLL_SECONDS; by hand
`manage.py poll_mailbox`). Each message is fetched without marking it read, taken in by
`ingest_email`, and only then marked read — or moved to IMAP_PROCESSED_FOLDER. A run that
dies half-way leaves the rest unread, and a message taken in twice still counts once (its
Message-ID), so nothing is lost and nothing doubles.
"""

import imaplib
import logging
import ssl
import uuid
from collections import Counter
from typing import Any

from django.conf import settings
from django.core.cache import cache

from .inbound import ingest_email

log = logging.getLogger(__name__)

LOCK_KEY = "pulso:imap-poll"
LOCK_SECONDS = 300

# What imaplib answers a command with: bytes, (envelope, bytes) pairs, None (typeshed's own
# type for it is list[Any]).
ImapData = list[Any]


class MailboxError(Exception):
    """The mailbox could not be read (connection, login, folder)."""


def configured() -> bool:
    return bool(settings.IMAP_HOST)


def _quoted(name: str) -> str:
    """A folder name as an IMAP quoted string (spaces, quotes)."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _connect() -> imaplib.IMAP4:
    host, port, timeout = settings.IMAP_HOST, settings.IMAP_PORT, settings.IMAP_TIMEOUT
    connection: imaplib.IMAP4
    try:
        if settings.IMAP_SSL:
            context = ssl.create_default_context()
            connection = imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=timeout)
        else:
            connection = imaplib.IMAP4(host, port, timeout=timeout)
            if settings.IMAP_STARTTLS:
                connection.starttls(ssl_context=ssl.create_default_context())
        connection.login(settings.IMAP_USER, settings.IMAP_PASSWORD)
    except (OSError, imaplib.IMAP4.error) as error:
        raise MailboxError(f"IMAP {host}:{port}: {error}") from error
    return connection


def _imap(connection: imaplib.IMAP4, command: str, *args: object) -> ImapData:
    """One IMAP command; a refusal or a broken connection becomes a MailboxError."""
    status: str
    data: ImapData
    try:
        status, data = getattr(connection, command)(*args)
    except (OSError, imaplib.IMAP4.error) as error:
        raise MailboxError(f"IMAP {command.upper()}: {error}") from error
    if status != "OK":
        raise MailboxError(f"IMAP {command.upper()} {args[:1]}: {status} {data!r}"[:500])
    return data


def _message_bytes(data: ImapData) -> bytes | None:
    for item in data or ():
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def poll(batch: int | None = None) -> Counter[str]:
    """Take in up to `batch` (IMAP_BATCH) new messages. Counts per outcome."""
    token = uuid.uuid4().hex
    if not cache.add(LOCK_KEY, token, LOCK_SECONDS):
        return Counter(busy=1)  # another run is reading the mailbox
    try:
        return _poll(batch or settings.IMAP_BATCH)
    finally:
        if cache.get(LOCK_KEY) == token:
            cache.delete(LOCK_KEY)


def _poll(batch: int) -> Counter[str]:
    """Precondition: this run holds the lock. A failure of `ingest_email` (the database)
    propagates as it is, leaving that message and the rest unread."""
    counts: Counter[str] = Counter()
    processed = settings.IMAP_PROCESSED_FOLDER
    connection = _connect()
    try:
        _imap(connection, "select", _quoted(settings.IMAP_FOLDER))
        if processed:
            try:
                connection.create(_quoted(processed))  # answers NO when it exists
            except imaplib.IMAP4.error:
                log.info("IMAP folder %s not created (it may exist)", processed)
        # With a processed folder everything left in the inbox is new, read or not.
        criteria = "ALL" if processed else "UNSEEN"
        uids = _imap(connection, "uid", "SEARCH", None, criteria)[0].split()[:batch]
        can_move = "MOVE" in connection.capabilities
        for uid in uids:
            raw = _message_bytes(_imap(connection, "uid", "FETCH", uid, "(BODY.PEEK[])"))
            if raw is None:  # deleted meanwhile by another client
                counts["vanished"] += 1
                continue
            counts[ingest_email(raw).outcome] += 1
            _done(connection, uid, processed, can_move)
        if processed and not can_move and uids:
            _imap(connection, "expunge")
    finally:
        try:
            connection.logout()
        except (OSError, imaplib.IMAP4.error):
            log.info("IMAP logout failed; the server closes the session itself")
    return counts


def _done(connection: imaplib.IMAP4, uid: bytes, processed: str, can_move: bool) -> None:
    """Mark a message taken in: moved to the processed folder, or flagged as read."""
    if not processed:
        _imap(connection, "uid", "STORE", uid, "+FLAGS", r"(\Seen)")
    elif can_move:
        _imap(connection, "uid", "MOVE", uid, _quoted(processed))
    else:
        _imap(connection, "uid", "COPY", uid, _quoted(processed))
        _imap(connection, "uid", "STORE", uid, "+FLAGS", r"(\Seen \Deleted)")


def describe(counts: Counter[str]) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(counts.items())) or "nothing new"
