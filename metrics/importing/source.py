"""The import's input, read twice without holding it in memory: a first pass over every line
in order, then single lines again by their byte offset (customers before the tickets, tickets
in order of creation).

A regular file is read in place. Anything else — standard input, a pipe, lines handed over
by a caller — is copied to a temporary file during the first pass, so that it can be read
again.
"""

import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, cast

Source = str | Path | BinaryIO | Iterable[bytes | str]
BUFFER = 1 << 20  # the second reading goes nearly in file order: most lines are in memory


class HistoryFile:
    def __init__(self, source: Source):
        self._owned: BinaryIO | None = None  # what this object opened and must close
        self._spool: BinaryIO | None = None
        self._lines: Iterable[bytes | str] | None = None
        self.size: int | None = None  # bytes, when known beforehand (for progress)
        if isinstance(source, str | Path):
            self._owned = open(source, "rb", buffering=BUFFER)  # noqa: SIM115 - closed by close()
            self.file: BinaryIO | None = self._owned
        elif _is_regular_file(source):
            self.file = source  # type: ignore[assignment]  # a seekable binary file
        else:
            self.file = None
            self._lines = source
        if self.file is not None:
            self._start = self.file.tell()
            self.size = os.fstat(self.file.fileno()).st_size - self._start

    def lines(self) -> Iterator[tuple[int, int, bytes]]:
        """(line number from 1, offset for `line_at`, the line's bytes) of every line."""
        if self.file is not None:
            self.file.seek(self._start)
            offset = self._start
            for number, line in enumerate(self.file, start=1):
                yield number, offset, line
                offset += len(line)
            return
        assert self._lines is not None
        spool = tempfile.TemporaryFile(buffering=BUFFER)  # noqa: SIM115 - closed by close()
        # Binary, the default mode (w+b): typeshed says so for a buffering of -1, 0 or 1 only.
        self._spool = cast(BinaryIO, spool)
        offset = 0
        for number, item in enumerate(self._lines, start=1):
            line = item.encode("utf-8") if isinstance(item, str) else item
            if not line.endswith(b"\n"):
                line += b"\n"
            self._spool.write(line)
            yield number, offset, line
            offset += len(line)
        self._spool.flush()
        self.file, self._start = self._spool, 0

    def line_at(self, offset: int) -> bytes:
        """The line starting at `offset` (after `lines()` has run through)."""
        assert self.file is not None
        self.file.seek(offset)
        return self.file.readline()

    def close(self) -> None:
        for owned in (self._owned, self._spool):
            if owned is not None:
                owned.close()

    def __enter__(self) -> "HistoryFile":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _is_regular_file(source: object) -> bool:
    """A binary file on disk we may seek in (not a terminal, a pipe or a socket)."""
    try:
        return bool(
            source.seekable()  # type: ignore[attr-defined]
            and isinstance(source.read(0), bytes)  # type: ignore[attr-defined]
            and stat.S_ISREG(os.fstat(source.fileno()).st_mode)  # type: ignore[attr-defined]
        )
    except (AttributeError, OSError, ValueError):
        return False
