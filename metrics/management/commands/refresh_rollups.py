"""`python manage.py refresh_rollups [--rebuild]`: apply the pending KPI rollup changes by
hand (the beat does it every minute), or recompute every rollup (after a bulk load that
bypassed the services, such as seed_bench)."""

import time

from django.core.management.base import BaseCommand

from metrics import rollups


class Command(BaseCommand):
    help = "Apply pending KPI rollup changes, or rebuild every rollup with --rebuild."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="recompute everything")

    def handle(self, *args, rebuild: bool, **options):
        started = time.monotonic()
        if rebuild or not rollups.is_built():
            counts = rollups.rebuild()
            summary = ", ".join(f"{name} {value:,}" for name, value in counts.items())
            self.stdout.write(f"Rebuilt in {time.monotonic() - started:.1f} s: {summary}")
        else:
            applied = rollups.refresh()
            self.stdout.write(f"Applied {applied:,} changes in {time.monotonic() - started:.1f} s.")
