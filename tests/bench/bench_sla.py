"""The SLA breach check (issue 5): what one run of `check_deadlines` costs with 100 000 open
tickets — when nothing is due (every minute of a quiet day), and when a batch of warnings and
breaches is due (each breach escalates its ticket in its own transaction).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python tests/bench/bench_sla.py --open 100000 --due 1000

PostgreSQL only: a scratch database `pulso_bench_sla_<pid>` is created next to
DATABASE_URL's, migrated, filled with bulk inserts (open tickets of an SLA policy, due times
spread over the next days; `--due` of them already past their warning or due time), measured
and dropped. Figures are the median of --runs runs for the quiet check.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(BASE_DIR))

from tests.bench.bench_surveys import (  # noqa: E402
    create_postgres_database,
    drop_postgres_database,
)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--open", type=int, default=100_000, help="open tickets")
    parser.add_argument("--due", type=int, default=1000, help="of them past their deadline")
    parser.add_argument("--runs", type=int, default=5)
    return parser.parse_args()


def fill(open_tickets: int, due: int) -> None:
    """Open tickets with SLA clocks, written in bulk (their deadlines as the services would
    have set them for a 1 h / 8 h policy)."""
    from django.utils import timezone

    from cases.models import Customer, SLAPolicy, Team, Ticket, User

    policy = SLAPolicy.objects.create(
        name="High", priority="high", first_response_minutes=60, resolution_minutes=480
    )
    team = Team.objects.create(name="N1", level=1)
    Team.objects.create(name="N2", level=2)
    agent = User.objects.create(username="agent", email="agent@example.com")
    team.members.add(agent)
    customer = Customer.objects.create(name="Bench", email="bench@example.com")
    now = timezone.now()
    batch = []
    for number in range(open_tickets):
        late = number < due
        created = now - timedelta(hours=9) if late else now - timedelta(minutes=number % 40)
        batch.append(
            Ticket(
                subject=f"Case {number}",
                description="Bench",
                customer=customer,
                channel="email",
                priority="high",
                status="open",
                team=team,
                assignee=agent,
                created_at=created,
                updated_at=created,
                sla_policy=policy,
                first_response_due_at=created + timedelta(hours=1),
                first_response_warn_at=created + timedelta(minutes=48),
                resolution_due_at=created + timedelta(hours=8),
                resolution_warn_at=created + timedelta(minutes=384),
            )
        )
        if len(batch) == 5000:
            Ticket.objects.bulk_create(batch)
            batch = []
    Ticket.objects.bulk_create(batch)


def main() -> int:
    args = parse_args()
    admin_url = os.environ.get("DATABASE_URL", "")
    if not admin_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench_sla.py needs DATABASE_URL=postgres://… (a server to scratch on)")
    scratch = tempfile.mkdtemp(prefix="pulso-bench-sla-")
    os.environ["VAR_DIR"] = scratch
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["METRICS_ROLLUPS"] = "0"  # the check alone, not the rollups' change marks
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    name = f"pulso_bench_sla_{os.getpid()}"
    os.environ["DATABASE_URL"] = create_postgres_database(admin_url, name)
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection, reset_queries
        from django.test.utils import CaptureQueriesContext

        from cases.models import Ticket
        from cases.services import deadlines

        call_command("migrate", verbosity=0)
        started = time.monotonic()
        fill(args.open, args.due)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE cases_ticket")
        print(
            f"{Ticket.objects.count():,} open tickets written in {time.monotonic() - started:.1f} s"
            f" ({args.due:,} past their deadlines)",
            flush=True,
        )
        started = time.perf_counter()
        counts = deadlines.check_deadlines()
        busy = time.perf_counter() - started
        print(
            f"a run with work due: {busy * 1000:.0f} ms for {dict(counts)} "
            f"({busy / max(sum(counts.values()), 1) * 1000:.1f} ms per warning or breach)"
        )
        quiet = []
        for _ in range(args.runs):
            reset_queries()
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                counts = deadlines.check_deadlines()
            quiet.append(time.perf_counter() - started)
            assert not counts, counts  # every breach was handled once
        print(
            f"a run with nothing due: median {statistics.median(quiet) * 1000:.1f} ms "
            f"over {args.runs} runs ({len(queries)} queries, {args.open:,} open tickets)"
        )
    finally:
        from django.db import connections

        connections.close_all()
        drop_postgres_database(admin_url, name)
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
