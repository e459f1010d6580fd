"""`python manage.py import_history FILE` — see metrics/importing/ and docs/import.md."""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, no_translations

from metrics.bulkload import ProgressBar, Terminal, megabytes
from metrics.importing import ImportReport, import_history
from metrics.importing.source import BUFFER, Source

COLUMNS = ("created", "matched", "already present", "invalid")


class Command(BaseCommand):
    help = (
        "Import a previous helpdesk's history (teams, customers, agents, tickets with their "
        "events and surveys) from a JSON Lines file; - reads standard input. Nothing is written "
        "if any record is invalid, unless --skip-invalid. Importing a file again adds nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="JSON Lines file, or - for standard input.")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Import the valid records and list the invalid ones.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check and replay everything, then write nothing.",
        )
        parser.add_argument(
            "--progress",
            action="store_true",
            help="Draw the progress bar even when standard error is not a terminal.",
        )

    @no_translations
    def handle(
        self,
        *args: Any,
        file: str,
        skip_invalid: bool = False,
        dry_run: bool = False,
        progress: bool = False,
        **options: Any,
    ) -> None:
        self._draw = progress or self.stderr.isatty()
        self._bar: ProgressBar | None = None
        self._stage = ""
        self._tickets = (0, 0)
        if file == "-":
            stream = getattr(sys.stdin, "buffer", sys.stdin)
            report = self._import(stream, skip_invalid, dry_run)
        else:
            try:
                with open(file, "rb", buffering=BUFFER) as stream:
                    report = self._import(stream, skip_invalid, dry_run)
            except OSError as error:
                raise CommandError(f"Cannot read {file}: {error.strerror or error}") from error
        self._print(report, skip_invalid, dry_run)

    def _import(self, stream: Source, skip_invalid: bool, dry_run: bool) -> ImportReport:
        return import_history(
            stream, skip_invalid=skip_invalid, dry_run=dry_run, progress=self._progress
        )

    def _progress(self, stage: str, done: int, total: int | None) -> None:
        """A bar per stage — reading the file, then the tickets — with the rate and the time
        left, on a terminal (or with --progress)."""
        if stage == "tickets":
            self._tickets = (done, total or done)
        if not self._draw:
            return
        if stage != self._stage:
            if self._bar is not None:
                self._bar.finish()
            show = megabytes if stage == "reading" else None
            self._bar = ProgressBar(stage, total, Terminal(self.stderr), show=show)
            self._stage = stage
        assert self._bar is not None
        self._bar.update(done, total)

    def _print(self, report: ImportReport, skip_invalid: bool, dry_run: bool) -> None:
        if self._bar is not None:
            self._bar.finish()
        done, total = self._tickets
        if total:
            rate = done / report.elapsed if report.elapsed else 0
            self.stderr.write(
                f"tickets {done}/{total} ({done * 100 // total} %) in {report.elapsed:.1f} s, "
                f"{rate:,.0f} a second",
                style_func=str,
            )
        for problem in report.problems:
            self.stderr.write(str(problem))
        self.stdout.write(self._row("", COLUMNS))
        for kind, counts in report.counts.items():
            values = (counts.created, counts.matched, counts.present, counts.invalid)
            self.stdout.write(self._row(kind, values))
        unreadable = sum(1 for p in report.problems if p.type is None)
        if unreadable:
            self.stdout.write(f"{unreadable} line(s) could not be read as a record.")
        self.stdout.write(
            f"Teams created from names: {report.teams_named}. "
            f"Categories created from names: {report.categories_named}."
        )
        if dry_run:
            self.stdout.write(f"Dry run in {report.elapsed:.1f} s: nothing was written.")
        elif report.written:
            invalid = f", {len(report.problems)} problem(s) skipped" if report.problems else ""
            self.stdout.write(self.style.SUCCESS(f"Imported in {report.elapsed:.1f} s{invalid}."))
        if not report.written and report.problems and not dry_run:
            raise CommandError(
                f"{len(report.problems)} problem(s): nothing was imported. Fix them, or run "
                "again with --skip-invalid to import the valid records."
            )
        if dry_run and report.problems and not skip_invalid:
            raise CommandError(f"{len(report.problems)} problem(s).")

    @staticmethod
    def _row(title: str, cells) -> str:
        return f"{title:<10}" + "".join(
            f"{cell:>{len(column) + 2}}" for cell, column in zip(cells, COLUMNS, strict=True)
        )
