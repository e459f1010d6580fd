"""The embedded mode's Celery broker: kombu's file-system transport, safe for several processes
sharing one folder (web, worker and beat all publish; the worker consumes).

kombu's own writer creates a message file and fills it afterwards, and its reader takes
whatever it finds, so a worker polling at the wrong moment reads an empty or half-written
file and dies on the JSON error (kombu issue 1551, open). Its exchange tables — read on every
publish to route it — are rewritten in place the same way, truncated first.

Here every file appears whole or not at all: it is written under a hidden temporary name in
the same folder and renamed into place (`os.replace`, atomic within one file system). A reader
takes a message by removing its file (or renaming it into `processed_folder`): only one
process's removal of a name can succeed, so a message is delivered once however many
consumers poll. A message file that still does not parse (a disk that filled up, a file
copied in by hand) is moved to `quarantine/` and logged, never raised into the worker.

Same file names and JSON as kombu's transport: messages left by it are still delivered.
Selected by the URL `pulsofs://` (registered when `config.celery` is imported), with kombu's
`filesystem` transport options.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from queue import Empty
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import TRANSPORT_ALIASES, filesystem, virtual
from kombu.utils.json import dumps, loads

logger = logging.getLogger(__name__)

SCHEME = "pulsofs"
TEMP_PREFIX = ".tmp-"
QUARANTINE = "quarantine"
# A temporary file this old belongs to a writer that died between writing and renaming.
STALE_TEMP_SECONDS = 3600
# A file that does not parse but is younger than this is left for the next poll: it may come
# from a process still running kombu's own writer (during an upgrade), which fills it late.
UNPARSABLE_GRACE_SECONDS = 5.0


def write_atomically(folder: str | Path, name: str, data: bytes) -> Path:
    """Write `data` to `folder/name` so that no reader ever sees the file partly written:
    a hidden temporary file in the same folder, renamed into place."""
    folder = Path(folder)
    temp = folder / f"{TEMP_PREFIX}{uuid.uuid4().hex}"
    target = folder / name
    try:
        with open(temp, "xb") as f:
            f.write(data)
        os.replace(temp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise ChannelError(f"Cannot write {target}") from exc
    return target


@contextlib.contextmanager
def exclusive(lock_path: Path) -> Iterator[None]:
    """An exclusive advisory lock held on a file of its own (never on the data file, which is
    replaced, not rewritten): serialises read-modify-write of one exchange table."""
    with open(lock_path, "a+b") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def is_message_of(name: str, queue: str) -> bool:
    """kombu's naming: `<time>_<uuid>.<queue>.msg`; hidden names are temporary files."""
    return not name.startswith(".") and name.partition(".")[2] == f"{queue}.msg"


def publication_order(name: str) -> tuple[int, str]:
    """Oldest first: by the time in the name (nanoseconds here, kombu's own in milliseconds
    of another clock: those left by it go first)."""
    stamp = name.partition("_")[0]
    return (int(stamp) if stamp.isdigit() else 0, name)


class Channel(filesystem.Channel):
    """kombu's file-system channel with atomic writes and claim-by-removal reads."""

    # --- messages ---------------------------------------------------------------------------

    # kombu's filesystem.Channel, overridden here, already departs from AbstractChannel's
    # signatures (its _put takes `payload` and keywords, its _get no timeout): kept as its own.
    def _put(  # type: ignore[override]  # filesystem.Channel's signature, not AbstractChannel's
        self, queue: str, payload: dict[str, Any], **kwargs: Any
    ) -> None:
        """Put `payload` onto `queue`: the file appears under its final name complete."""
        name = f"{time.time_ns()}_{uuid.uuid4()}.{queue}.msg"
        write_atomically(self.data_folder_out, name, dumps(payload).encode())

    def _get(  # type: ignore[override]  # filesystem.Channel's signature, not AbstractChannel's
        self, queue: str
    ) -> dict[str, Any]:
        """Take the oldest message of `queue`, or raise Empty. A file another consumer took
        first is skipped; one that does not parse is quarantined, not raised."""
        folder = self.data_folder_in
        try:
            names = os.listdir(folder)
        except FileNotFoundError:
            raise Empty() from None
        self._remove_stale_temp_files(folder, names)
        for name in sorted((n for n in names if is_message_of(n, queue)), key=publication_order):
            path = os.path.join(folder, name)
            try:
                with open(path, "rb") as f:
                    raw = f.read()
            except FileNotFoundError:
                continue  # another consumer took it
            except OSError as exc:
                raise ChannelError(f"Cannot read {path!r} from the queue") from exc
            try:
                payload = loads(raw)
            except ValueError:
                payload = None
            if not isinstance(payload, dict):  # not a kombu message: never raised into a worker
                self._quarantine(path, name)
                continue
            if self._claim(path, name):
                return payload
        raise Empty()

    def _claim(self, path: str, name: str) -> bool:
        """Remove (or move to processed_folder) the file just read. True for the one process
        whose removal succeeded: that one delivers the message."""
        try:
            if self.store_processed:
                os.replace(path, os.path.join(self.processed_folder, name))
            else:
                os.unlink(path)
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise ChannelError(f"Cannot take {path!r} from the queue") from exc
        return True

    def _quarantine(self, path: str, name: str) -> None:
        try:
            age = time.time() - os.stat(path).st_mtime
        except FileNotFoundError:
            return
        if age < UNPARSABLE_GRACE_SECONDS:
            return
        target = Path(self.data_folder_in) / QUARANTINE
        target.mkdir(exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            os.replace(path, target / name)
            logger.error("Broker message %s does not parse: moved to %s", name, target)

    def _remove_stale_temp_files(self, folder: str, names: list[str]) -> None:
        now = time.time()
        for name in names:
            if name.startswith(TEMP_PREFIX):
                path = os.path.join(folder, name)
                with contextlib.suppress(FileNotFoundError):
                    if now - os.stat(path).st_mtime > STALE_TEMP_SECONDS:
                        os.unlink(path)

    def _purge(self, queue: str) -> int:
        """Remove every message of `queue`; the number this process removed."""
        folder = self.data_folder_in
        count = 0
        for name in os.listdir(folder):
            if is_message_of(name, queue):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(os.path.join(folder, name))
                    count += 1
        return count

    def _size(self, queue: str) -> int:
        return sum(1 for name in os.listdir(self.data_folder_in) if is_message_of(name, queue))

    # --- exchange tables (which queues an exchange routes to) ---------------------------------

    def get_table(self, exchange: str) -> list[filesystem.exchange_queue_t]:
        return [filesystem.exchange_queue_t(*q) for q in self._read_table(exchange)]

    def _read_table(self, exchange: str) -> list[list[str]]:
        file = self._exchange_file(exchange)
        try:
            return loads(file.read_bytes())
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise ChannelError(f"Cannot read the exchange table {file}") from exc

    def _write_table(self, exchange: str, table: list) -> None:
        file = self._exchange_file(exchange)
        write_atomically(file.parent, file.name, dumps(table).encode())

    def _table_lock(self, exchange: str) -> Path:
        self.control_folder.mkdir(parents=True, exist_ok=True)
        return self._exchange_file(exchange).with_suffix(".lock")

    def _queue_bind(self, exchange: str, routing_key: str, pattern: str, queue: str) -> None:
        binding = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        with exclusive(self._table_lock(exchange)):
            table = self.get_table(exchange)
            if binding not in table:
                self._write_table(exchange, [binding, *table])

    def _delete(
        self, queue: str, exchange: str, routing_key: str, pattern: str, *args: Any, **kwargs: Any
    ) -> None:
        virtual.Channel._delete(self, queue, exchange, routing_key, pattern, *args, **kwargs)
        binding = filesystem.exchange_queue_t(routing_key or "", pattern or "", queue or "")
        with exclusive(self._table_lock(exchange)):
            table = self.get_table(exchange)
            if binding in table:
                self._write_table(exchange, [b for b in table if b != binding])


class Transport(filesystem.Transport):
    """kombu's file-system transport with the channel above."""

    Channel = Channel
    global_state = virtual.BrokerState()


def register() -> None:
    """Make `pulsofs://` name this transport (kombu refuses import paths in URLs)."""
    TRANSPORT_ALIASES.setdefault(SCHEME, f"{__name__}:Transport")
