"""The history import writes in batches: a few statements whatever the number of tickets, a
progress bar with the rate and the time left, and nothing of the file kept but its place."""

import io
import json
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Ticket
from metrics.bulkload import ProgressBar
from metrics.importing import import_history
from metrics.importing.generate import history

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 6, 2, 9, 30, tzinfo=UTC)


def lines(tickets: int) -> list[str]:
    return [json.dumps(line) for line in history(tickets, now=NOW, seed=3, customers=30)]


def statements(tickets: int) -> int:
    """What importing that many tickets sends to the database (COPYs included)."""
    with CaptureQueriesContext(connection) as queries:
        report = import_history(lines(tickets), now=NOW, dry_run=True)
    assert report.counts["ticket"].created == tickets, report.problems[:3]
    return len(queries) + report.copies


def test_more_tickets_cost_next_to_no_more_statements():
    few, many = statements(40), statements(240)

    # The agents are written one by one (a few statements each); the tickets in batches:
    # 200 more tickets, ~1 400 more events, cost next to nothing.
    assert many - few <= 5, (few, many)
    assert many < 240


def test_the_services_way_costs_dozens_of_statements_a_ticket():
    """The reference the batched writer is held to (tests/metrics/test_import_equality.py)
    replays each ticket through the services."""
    with CaptureQueriesContext(connection) as queries:
        import_history(lines(20), now=NOW, dry_run=True, replay="services")

    assert len(queries) > 20 * 20


def write(tmp_path, tickets: int):
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(lines(tickets)) + "\n", encoding="utf-8")
    return path


def test_with_progress_a_bar_follows_the_reading_and_then_the_tickets(tmp_path):
    err = io.StringIO()
    call_command(
        "import_history", str(write(tmp_path, 30)), "--progress", stdout=io.StringIO(), stderr=err
    )

    bars = err.getvalue()
    assert "\rreading [" in bars and "\rtickets [" in bars
    assert "] 100 %  30/30  " in bars and " in all" in bars
    assert "tickets 30/30 (100 %) in " in bars and " a second" in bars
    assert Ticket.objects.count() == 30


def test_the_bar_shows_the_rate_and_the_time_left():
    bar = ProgressBar("tickets", 100_000, io.StringIO())
    bar.started, bar.done = 0.0, 40_000

    assert bar.line(now=33.0) == (
        "tickets [##########               ]  40 %  40,000/100,000  1,212/s  0:50 left"
    )


def test_without_a_terminal_only_the_summary_line_is_written(tmp_path):
    err = io.StringIO()
    call_command("import_history", str(write(tmp_path, 5)), stdout=io.StringIO(), stderr=err)

    assert "\r" not in err.getvalue()
    assert err.getvalue().startswith("tickets 5/5 (100 %) in ")


def test_lines_handed_over_are_read_twice_from_a_temporary_copy():
    """Standard input and other streams cannot be read again: the import copies them aside
    as it reads them the first time."""
    report = import_history(iter(lines(12)), now=NOW)

    assert report.written and report.counts["ticket"].created == 12
    assert Ticket.objects.count() == 12
