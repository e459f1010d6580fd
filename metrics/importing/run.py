"""The whole import: two passes over the file, in one transaction.

1. **First pass**, every line in order: teams, customers and agents read and checked (kept:
   the team and agent records, and of each customer its line); tickets only located
   (ticket_index.py) with the day each customer's first ticket gives.
   Then the references of agents are checked, and the teams, customers and agents written.
2. **Second pass**, the tickets in order of creation, a page at a time: each read again and
   checked, its references resolved, and — valid and new — written by the batched writer
   (bulk.py) or, as the reference, through the services (replay_services.py).

With any problem the transaction is rolled back, unless `skip_invalid`.
"""

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import date, datetime
from typing import Literal

from django.db import transaction
from django.utils import timezone

from cases import sla
from cases.signals import replaying_history

from .bulk import BATCH, BulkWriter
from .people import People
from .records import (
    CUSTOMER,
    TICKET,
    TYPES,
    Record,
    clean_record,
    external_id_of,
    parse_line,
    ticket_keys,
)
from .references import Entry, Index, imported_before, references
from .replay_services import ServicesReplay
from .report import Counts, ImportReport, Problem
from .source import HistoryFile, Source
from .ticket_index import TicketIndex

# progress(stage, done, total): stage "reading" counts bytes (total None when unknown),
# "tickets" counts tickets.
Progress = Callable[[str, int, int | None], None]
Replay = Literal["bulk", "services"]
PAGE = 1000  # tickets read again together (their references looked up together)


def import_history(
    source: Source,
    *,
    skip_invalid: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
    now: datetime | None = None,
    replay: Replay = "bulk",
    batch: int | None = None,
) -> ImportReport:
    """Import the JSON Lines of `source` (a path, a binary file, or lines) as docs/import.md
    describes. All or nothing unless `skip_invalid`; `dry_run` checks and replays
    everything, then writes nothing. `replay="services"` replays every ticket through the
    services one by one (the reference the batched writer is tested against)."""
    started = time.monotonic()
    now = now or timezone.now()
    report = ImportReport(counts={kind: Counts() for kind in TYPES})
    with (
        HistoryFile(source) as history,
        transaction.atomic(),
        replaying_history(),
        _few_garbage_collections(),
    ):
        tickets = TicketIndex()
        try:
            index, first_days = _first_pass(history, tickets, now, report, progress)
            bulk = replay == "bulk"
            people = _write_people(history, index, first_days, now, report, bulk=bulk)
            del first_days  # as read; the second pass keeps only what the starts need
            with sla.rules_held() if bulk else nullcontext():
                writer = (
                    BulkWriter(people, report, now, batch=batch or BATCH)
                    if bulk
                    else ServicesReplay(people, report, now)
                )
                try:
                    valid_first_days = _second_pass(
                        history, index, tickets, people, writer, now, report, progress
                    )
                except BaseException:
                    writer.abandon()
                    raise
            people.correct_starts(valid_first_days)
        finally:
            tickets.drop()
        report.copies += tickets.copies + (writer.copies if isinstance(writer, BulkWriter) else 0)
        report.written = not dry_run and (skip_invalid or not report.problems)
        if not report.written:
            transaction.set_rollback(True)
    report.problems.sort(key=lambda p: p.line)
    report.elapsed = time.monotonic() - started
    return report


@contextmanager
def _few_garbage_collections() -> Iterator[None]:
    """The replay allocates millions of short-lived objects (rows, events, model instances)
    that form almost no reference cycles, yet with the default thresholds the collector
    runs every 700 allocations and, in its older generations, scans every long-lived object
    of Django's and of the import's own: about a fifth of the import's time (20 000 tickets:
    770 → 977 tickets a second, tests/bench/bench_import.py). What is alive now is frozen
    out of the scans and the youngest generation waits for 200 000 allocations; cycles are
    still collected, so memory stays flat (the benchmark prints the peak)."""
    thresholds = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(200_000, 50, 1000)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _first_pass(
    history: HistoryFile,
    tickets: TicketIndex,
    now: datetime,
    report: ImportReport,
    progress: Progress | None,
) -> tuple[Index, dict[str, date]]:
    """Read every line; the index of the records others refer to, and the day of each
    customer's first ticket as read (the second pass corrects it for refused tickets)."""
    index = Index()
    first_days: dict[str, date] = {}
    zone = timezone.get_current_timezone()
    read = 0
    for number, offset, line in history.lines():
        read += len(line)
        if progress is not None and number % 2000 == 0:
            progress("reading", read, history.size)
        raw = parse_line(number, line)
        if raw is None:
            continue
        if isinstance(raw, Problem):
            report.problems.append(raw)
            continue
        if raw["type"] == TICKET:
            created, customer = ticket_keys(raw, now)
            tickets.add(number, offset, external_id_of(raw), created)
            if created is not None and customer is not None:
                day = created.astimezone(zone).date()  # timezone.localdate, without a lookup
                first_days[customer] = min(day, first_days.get(customer, day))
            continue
        first = index.first_line(raw["type"], external_id_of(raw), number)
        record = clean_record(number, raw, now=now, first_line=first)
        index.add(record, offset)
        if record.type == CUSTOMER:  # its checks are done: it is not kept
            _count_invalid(record, report)
    if progress is not None:
        progress("reading", read, history.size or read)
    index.close_first_pass()
    tickets.close_first_pass()
    return index, first_days


def _write_people(
    history: HistoryFile,
    index: Index,
    first_days: dict[str, date],
    now: datetime,
    report: ImportReport,
    *,
    bulk: bool,
) -> People:
    """Check the agents' teams, then write the teams, customers and agents."""
    pairs = [(r.type, r.external_id) for r in index.teams + index.agents if r.external_id]
    pairs += [(CUSTOMER, external_id) for external_id in index.customers]
    imported = imported_before(pairs)
    index.check_agents(imported)
    for record in index.teams + index.agents:
        _count_invalid(record, report)
    people = People(report, imported, now)

    def read(entry: Entry) -> Record:
        raw = parse_line(entry.line, history.line_at(entry.offset))
        assert isinstance(raw, dict)  # it was read before
        return clean_record(entry.line, raw, now=now)

    people.write_teams(index.teams)
    people.write_customers(index.customers, read, first_days, bulk=bulk)
    people.write_agents(index.agents)
    return people


def _second_pass(
    history: HistoryFile,
    index: Index,
    tickets: TicketIndex,
    people: People,
    writer: BulkWriter | ServicesReplay,
    now: datetime,
    report: ImportReport,
    progress: Progress | None,
) -> dict[str, date]:
    """Read, check and write every ticket; the day of the first valid ticket of each
    customer whose start it gives."""
    first_days: dict[str, date] = {}
    done = 0
    pages = tickets.pages(writer.batch if isinstance(writer, BulkWriter) else PAGE)
    page = next(pages, None)
    while page is not None:
        records = []
        for line, offset, first_line, present in page:
            raw = parse_line(line, history.line_at(offset))
            assert isinstance(raw, dict)  # it was read before
            record = clean_record(line, raw, now=now, first_line=first_line)
            records.append((record, references(record), present))
        people.look_up(pair for _record, refs, _present in records for pair in refs)
        for record, refs, present in records:
            index.check(record, people.imported, refs)
            done += 1
            if not record.valid:
                _count_invalid(record, report)
            else:
                customer = record.data["customer"]
                if customer in people.derived_starts:  # its start is its first valid ticket
                    day = timezone.localdate(record.data["created_at"])
                    first_days[customer] = min(day, first_days.get(customer, day))
                if present:
                    report.counts[TICKET].present += 1
                else:
                    writer.write(record)
            if progress is not None:
                progress("tickets", done, tickets.count)
        page = writer.between_batches(lambda: next(pages, None))
    writer.finish()
    return first_days


def _count_invalid(record: Record, report: ImportReport) -> None:
    if record.valid:
        return
    report.counts[record.type].invalid += 1
    report.problems += [
        Problem(record.line, error, record.type, record.external_id) for error in record.errors
    ]
