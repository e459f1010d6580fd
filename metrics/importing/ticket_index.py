"""Where each ticket of the file is, kept in a temporary table of the database rather than in
memory: a file of a million tickets costs the import a few kilobytes of memory, not the
index. The database then answers what the second pass needs — the tickets in order of
creation, which external ids a line repeats, which tickets an earlier import brought —
one page of tickets at a time.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from django.db import connection

from ..models import ImportedRecord
from .records import TICKET

TABLE = "pulso_import_tickets"
UNREADABLE = 2**62  # the sort key of a ticket without a readable creation time: last
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class TicketIndex:
    """Precondition: inside the import's transaction (the table lives and dies with it on
    PostgreSQL; `drop()` removes it in any case)."""

    def __init__(self, batch: int = 5000):
        self.batch = batch
        self.rows: list[tuple[int, int, str | None, int]] = []
        self.count = 0
        self.copies = 0  # COPY statements (Django's query log sees the rest)
        self._execute(f"DROP TABLE IF EXISTS {TABLE}")
        self._execute(
            f"CREATE TEMPORARY TABLE {TABLE} ("
            "line integer PRIMARY KEY, byte_offset bigint NOT NULL, external_id varchar(200), "
            "sort_key bigint NOT NULL, first_line integer, present boolean NOT NULL DEFAULT FALSE)"
        )

    def _execute(self, sql: str, params: list | None = None) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    def add(
        self, line: int, offset: int, external_id: str | None, created: datetime | None
    ) -> None:
        key = UNREADABLE
        if created is not None:
            key = (created - _EPOCH) // _MICROSECOND
        self.rows.append((line, offset, external_id, key))
        self.count += 1
        if len(self.rows) >= self.batch:
            self._flush()

    def _flush(self) -> None:
        if not self.rows:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                self.copies += 1
                copy = f"COPY {TABLE} (line, byte_offset, external_id, sort_key) FROM STDIN"
                with cursor.cursor.copy(copy) as stream:
                    for row in self.rows:
                        stream.write_row(row)
            else:
                cursor.executemany(
                    f"INSERT INTO {TABLE} (line, byte_offset, external_id, sort_key) "  # noqa: S608
                    "VALUES (%s, %s, %s, %s)",
                    self.rows,
                )
        self.rows = []

    def close_first_pass(self) -> None:
        """Every ticket is in: mark the repeated external ids and the tickets imported
        before."""
        self._flush()
        self._execute(f"CREATE INDEX {TABLE}_order ON {TABLE} (sort_key, line)")
        self._execute(f"CREATE INDEX {TABLE}_id ON {TABLE} (external_id, line)")
        # A repeated id: the first line keeps it, the later ones name that line.
        self._execute(
            f"UPDATE {TABLE} SET first_line = (SELECT MIN(o.line) FROM {TABLE} AS o "  # noqa: S608
            f"WHERE o.external_id = {TABLE}.external_id) WHERE external_id IS NOT NULL"
        )
        self._execute(f"UPDATE {TABLE} SET first_line = NULL WHERE first_line = line")  # noqa: S608
        imported = ImportedRecord._meta.db_table
        self._execute(
            f"UPDATE {TABLE} SET present = TRUE WHERE external_id IN "  # noqa: S608
            f"(SELECT external_id FROM {imported} WHERE type = %s)",
            [TICKET],
        )

    def pages(self, size: int) -> Iterator[list[tuple[int, int, int | None, bool]]]:
        """(line, offset, first line of its id if repeated, imported before) of every ticket,
        in order of creation (then of line), `size` at a time."""
        key, line = -UNREADABLE - 1, 0
        while True:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT line, byte_offset, first_line, present, sort_key FROM {TABLE} "  # noqa: S608
                    "WHERE sort_key > %s OR (sort_key = %s AND line > %s) "
                    "ORDER BY sort_key, line LIMIT %s",
                    [key, key, line, size],
                )
                page = cursor.fetchall()
            if not page:
                return
            key, line = page[-1][4], page[-1][0]
            yield [(row[0], row[1], row[2], bool(row[3])) for row in page]

    def drop(self) -> None:
        self._execute(f"DROP TABLE IF EXISTS {TABLE}")
