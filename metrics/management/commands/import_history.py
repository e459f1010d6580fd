"""`python manage.py import_history FILE` — see metrics/importer.py and IMPORT.md."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError, no_translations

from metrics import importer

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

    @no_translations
    def handle(self, *args, file, skip_invalid=False, dry_run=False, **options):
        self._last_progress = 0.0
        if file == "-":
            stream = getattr(sys.stdin, "buffer", sys.stdin)
            report = self._import(stream, skip_invalid, dry_run)
        else:
            try:
                with open(file, "rb") as stream:
                    report = self._import(stream, skip_invalid, dry_run)
            except OSError as error:
                raise CommandError(f"Cannot read {file}: {error.strerror or error}") from error
        self._print(report, skip_invalid, dry_run)

    def _import(self, stream, skip_invalid: bool, dry_run: bool) -> importer.ImportReport:
        return importer.import_history(
            stream, skip_invalid=skip_invalid, dry_run=dry_run, progress=self._progress
        )

    def _progress(self, done: int, total: int) -> None:
        """A line on stderr every 2 seconds or so, and one at the end."""
        now = time.monotonic()
        if done < total and now - self._last_progress < 2:
            return
        self._last_progress = now
        self.stderr.write(f"tickets {done}/{total} ({done * 100 // total} %)", style_func=str)

    def _print(self, report: importer.ImportReport, skip_invalid: bool, dry_run: bool) -> None:
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
