"""Writing many rows fast, for the two places that write history in bulk: the benchmark seed
(metrics/seed.py) and the history import (metrics/importing/bulk.py).

- `Sink`: rows into tables, COPY on PostgreSQL (psycopg 3), batched executemany elsewhere;
  every table flushed together, in the order the tables were declared (parents first).
- `IdPool`: ids for rows written with COPY, taken from the table's own sequence on
  PostgreSQL (safe beside live traffic), after the highest id elsewhere.
- `ProgressBar`: one line on a terminal, with the rate and the time left.
"""

import sys
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, datetime
from typing import Any, TextIO

from django.db import connection, models

BATCH = 5000  # rows a table holds before everything is flushed

# A reply's columns as the import and the seed write them: the last two (a follower's address
# and name) stay empty, their messages being the customer's or an agent's.
REPLY_COLUMNS = (
    "id",
    "ticket_id",
    "author_id",
    "body",
    "public",
    "created_at",
    "from_email",
    "from_name",
)


class Sink:
    """Rows into tables: COPY on PostgreSQL, batched executemany elsewhere. Call `close()`
    (or `flush()`) to write what is still buffered. `copies` counts the COPY statements
    (Django's query log does not see them; it sees the rest).

    `background=True` (PostgreSQL): a flush hands its rows to a thread that sends the COPYs
    on the same connection — so in the same transaction — while the caller goes on
    preparing the next batch; the database works on one batch as Python builds the next.
    At most one flush is in flight. `sync()` waits for it (and raises what it raised): call
    it before anything must find those rows. Meanwhile the connection's lock makes any
    other statement wait for the COPY to end."""

    def __init__(self, batch: int = BATCH, background: bool = False):
        self.postgres = connection.vendor == "postgresql"
        self.batch = batch
        self.buffers: dict[str, list[tuple]] = {}
        self.columns: dict[str, tuple[str, ...]] = {}
        self.copy_statements: dict[str, str] = {}
        self.adapters: dict[str, list[tuple[int, Callable[[Any], Any]]]] = {}
        self.counts: dict[str, int] = {}
        self.copies = 0
        self.cursor = connection.cursor()
        self._thread: ThreadPoolExecutor | None = None
        self._in_flight: Future[None] | None = None
        if background and self.postgres:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pulso-copy")

    def table(self, model: type[models.Model], columns: tuple[str, ...]) -> Callable[[tuple], None]:
        """Declare a table (parents before children) and get its `add(row)`."""
        name = model._meta.db_table
        self.columns[name] = columns
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        self.copy_statements[name] = f"COPY {connection.ops.quote_name(name)} ({quoted}) FROM STDIN"
        self.counts[name] = 0
        self.buffers[name] = []
        self.adapters[name] = [] if self.postgres else _adapters(model, columns)
        buffer, batch = self.buffers[name], self.batch

        def add(row: tuple) -> None:
            buffer.append(row)
            if len(buffer) >= batch:
                self.flush()

        return add

    def flush(self) -> None:
        """Write every buffered row, table by table in declaration order."""
        batches = []
        for name, buffer in self.buffers.items():
            if buffer:
                batches.append((name, list(buffer)))
                self.counts[name] += len(buffer)
                buffer.clear()
        if not batches:
            return
        if not self.postgres:
            for name, rows in batches:
                self._insert(name, rows)
            return
        self.copies += len(batches)
        if self._thread is None:
            self._copy(batches)
            return
        self.sync()
        self._in_flight = self._thread.submit(self._copy, batches)

    def sync(self) -> None:
        """Wait until what was flushed is written."""
        in_flight, self._in_flight = self._in_flight, None
        if in_flight is not None:
            in_flight.result()

    def _copy(self, batches: list[tuple[str, list[tuple]]]) -> None:
        """Possibly in the COPY thread: only the psycopg cursor made beforehand is used
        (Django's `connection` is another one in each thread)."""
        raw = self.cursor.cursor  # psycopg 3 cursor under Django's wrapper
        for name, rows in batches:
            with raw.copy(self.copy_statements[name]) as copy:
                for row in rows:
                    copy.write_row(row)

    def _insert(self, name: str, rows: list[tuple]) -> None:
        adapters = self.adapters[name]
        if adapters:
            rows = [_adapted(row, adapters) for row in rows]
        columns = self.columns[name]
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        marks = ", ".join(["%s"] * len(columns))
        self.cursor.executemany(
            f"INSERT INTO {connection.ops.quote_name(name)} ({quoted}) VALUES ({marks})",  # noqa: S608
            rows,
        )

    def close(self) -> dict[str, int]:
        try:
            self.flush()
            self.sync()
        finally:
            self.abandon()
        return self.counts

    def abandon(self) -> None:
        """Stop without writing what is buffered (the transaction is being rolled back);
        a COPY in flight is waited for, whatever it raises."""
        if self._thread is not None:
            self._thread.shutdown(wait=True)
            self._thread = None
        self._in_flight = None
        self.cursor.close()


def _adapters(
    model: type[models.Model], columns: tuple[str, ...]
) -> list[tuple[int, Callable[[Any], Any]]]:
    """What executemany needs besides the driver's own adaptation: dates and times in the
    text form Django stores them in (on SQLite, naive UTC)."""
    by_column = {field.column: field for field in model._meta.concrete_fields}
    adapters: list[tuple[int, Callable[[Any], Any]]] = []
    for index, column in enumerate(columns):
        field = by_column.get(column)
        if isinstance(field, models.DateTimeField):
            adapters.append((index, connection.ops.adapt_datetimefield_value))
        elif isinstance(field, models.DateField):
            adapters.append((index, connection.ops.adapt_datefield_value))
    return adapters


def _adapted(row: tuple, adapters: list[tuple[int, Callable[[Any], Any]]]) -> tuple:
    values = list(row)
    for index, adapt in adapters:
        value = values[index]
        if isinstance(value, datetime | date):
            values[index] = adapt(value)
    return tuple(values)


class IdPool:
    """Ids for the rows of one table written in bulk, handed out in increasing order.

    PostgreSQL: taken from the table's sequence in blocks (`nextval` over a series), so a
    concurrent insert never gets one; ids of a block left unused are simply never used.
    Elsewhere (SQLite, one writer at a time): after the highest id in the table. Anything
    that inserts into the table through the ORM meanwhile must come after a `Sink.flush()`
    and be followed by `discard()`, so the next block starts above it."""

    def __init__(self, model: type[models.Model], block: int = BATCH):
        self.table = model._meta.db_table
        self.block = block
        self.postgres = connection.vendor == "postgresql"
        self.ids: list[int] = []  # the block's ids not handed out yet, the next one last
        self.sequence = ""
        self.high = 0  # elsewhere: the highest id handed out

    def next(self) -> int:
        if not self.ids:
            self.ids = self._reserve()[::-1]
        return self.ids.pop()

    def reserve_ahead(self, count: int) -> None:
        """Have at least `count` ids at hand: reserve another block now (while nothing
        else holds the connection) if fewer are left."""
        if len(self.ids) < count:
            self.ids = self._reserve()[::-1] + self.ids

    def discard(self) -> None:
        """Forget the rest of the block (see the class docstring)."""
        self.ids = []

    def _reserve(self) -> list[int]:
        with connection.cursor() as cursor:
            if self.postgres:
                if not self.sequence:
                    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [self.table])
                    self.sequence = cursor.fetchone()[0]
                cursor.execute(
                    "SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                    [self.sequence, self.block],
                )
                return sorted(row[0] for row in cursor.fetchall())
            cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(self.table)}")  # noqa: S608
            start = max(cursor.fetchone()[0] or 0, self.high) + 1
        self.high = start + self.block - 1
        return list(range(start, self.high + 1))


def reset_sequences(models_written: list[type[models.Model]]) -> None:
    """After rows were written with ids chosen outside the sequence (metrics/seed.py), move
    each PostgreSQL sequence past the highest id (SQLite takes max(rowid) + 1 by itself)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models_written:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "  # noqa: S608
                f"(SELECT COALESCE(MAX(id), 1) FROM {connection.ops.quote_name(table)}))",
                [table],
            )


class ProgressBar:
    """`label [#####     ]  45 %  45,000/100,000  1,234/s  0:36 left` on one line of a
    terminal, redrawn at most ten times a second; `finish()` ends the line. Without a total
    (a stream of unknown length): what is done and the rate."""

    def __init__(
        self,
        label: str,
        total: int | None,
        stream: "TextIO | Terminal" = sys.stderr,
        show: Callable[[float], str] | None = None,
    ):
        self.label, self.total, self.stream = label, total, stream
        self.show = show or (lambda amount: f"{amount:,.0f}")
        self.started = time.monotonic()
        self.drawn = 0.0
        self.done = 0
        self.finished = False

    def update(self, done: int, total: int | None = None) -> None:
        self.done = done
        if total is not None:
            self.total = total
        now = time.monotonic()
        if now - self.drawn < 0.1 and (self.total is None or done < self.total):
            return
        self.drawn = now
        self.stream.write("\r" + self.line(now) + "\x1b[K")
        self.stream.flush()

    def line(self, now: float | None = None) -> str:
        elapsed = (now or time.monotonic()) - self.started
        # Too soon, the rate says nothing yet (a thousand lines in a millisecond).
        rate = self.done / elapsed if elapsed >= 0.5 else 0.0
        speed = f"{self.show(rate)}/s" if rate else "…/s"
        if not self.total:
            return f"{self.label} {self.show(self.done)}  {speed}  {_clock(elapsed)}"
        share = min(self.done / self.total, 1.0)
        if self.done >= self.total:
            when = f"{_clock(elapsed)} in all"
        else:
            when = f"{_clock((self.total - self.done) / rate)} left" if rate else ""
        return (
            f"{self.label} [{'#' * int(share * 25):<25}] {share * 100:3.0f} %  "
            f"{self.show(self.done)}/{self.show(self.total)}  {speed}  {when}"
        )

    def finish(self) -> None:
        if self.finished:
            return
        self.finished = True
        self.drawn = 0.0
        self.update(self.total or self.done)
        self.stream.write("\n")
        self.stream.flush()


class Terminal:
    """A management command's stderr as a ProgressBar draws on it: no line ending added,
    no colour."""

    def __init__(self, out: Any):
        self.out = out

    def write(self, text: str) -> None:
        self.out.write(text, style_func=str, ending="")

    def flush(self) -> None:
        self.out.flush()


def megabytes(amount: float) -> str:
    return f"{amount / 1_000_000:,.1f} MB"


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
