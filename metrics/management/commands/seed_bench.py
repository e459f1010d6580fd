"""`python manage.py seed_bench --tickets N [--seed S] [--force] [--conversations]`: a large
desk for the KPI benchmark (metrics/seed.py; `--conversations`: what people write, for the
search benchmark). Refuses a database that already has tickets unless --force:
figures over a mix of real and generated cases mean nothing, and the command must never
bury a real desk under a million fake cases by accident."""

import time

from django.core.management.base import BaseCommand, CommandError

from cases.models import Ticket
from metrics import rollups
from metrics import seed as seeding


class Command(BaseCommand):
    help = "Bulk-insert N realistic tickets over two years (with surveys) for the KPI benchmark."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, required=True, help="how many tickets")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--force", action="store_true", help="add to a database that already has tickets"
        )
        parser.add_argument("--quiet", action="store_true", help="no progress bar")
        parser.add_argument(
            "--conversations",
            action="store_true",
            help="what people write: subjects, descriptions and ~5 messages a ticket in "
            "Spanish or English (the search benchmark)",
        )

    def handle(
        self,
        *args,
        tickets,
        seed: int,
        force: bool,
        quiet: bool,
        conversations: bool,
        **options,
    ):
        if tickets < 1:
            raise CommandError("--tickets must be at least 1.")
        if not force and Ticket.objects.exists():
            raise CommandError(
                "This database already has tickets; seed_bench is for an empty benchmark "
                "database. Use --force to add to it anyway."
            )
        counts = seeding.seed(tickets, seed=seed, progress=not quiet, conversations=conversations)
        self.stdout.write(", ".join(f"{name} {value:,}" for name, value in counts.items()))
        # The bulk inserts bypassed the services, so no rollup change was marked: rebuild.
        started = time.monotonic()
        rollups.rebuild()
        self.stdout.write(f"KPI rollups rebuilt in {time.monotonic() - started:.1f} s.")
