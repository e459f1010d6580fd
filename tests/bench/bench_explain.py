"""Why it moved (issue 16): what explaining the dashboard's cards costs — `explain_many` for
the twelve explained cards (metrics.explain.DASHBOARD_KPIS) over a one-year period, and the
dashboard's data (as bench_kpis.py's "dashboard" case) without and with the explanations, so
the figure "the explanation adds X ms to the dashboard" — with the queries each used.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python tests/bench/bench_explain.py --sizes 100000 1000000

PostgreSQL only: a scratch database `pulso_bench_explain_<pid>` is created next to
DATABASE_URL's, migrated, seeded with `metrics.seed` (seed_bench), its rollups built,
measured, and dropped (--keep keeps it and prints its URL). Sizes grow the same database.
Each figure is the median of --runs timed runs after one warm-up run (which is the one whose
queries are counted). See tests/bench/README.md, "Why it moved: bench_explain.py".

    .venv/bin/python tests/bench/bench_explain.py \\
        --database-url postgres://postgres@127.0.0.1:5432/pulso_seed_1m

measures an already seeded database (`seed_bench`, rollups built) as it is: no seeding, no
migrating, every session read-only. --profile lists explain_many's slowest statements.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(BASE_DIR))

from tests.bench.bench_kpis import dashboard, measure, read_only  # noqa: E402
from tests.bench.bench_surveys import (  # noqa: E402
    create_postgres_database,
    drop_postgres_database,
)

TARGET_MS = 300  # issue 16: at most this much added at 1 000 000 tickets, with rollups


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000], help="ticket counts")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per figure (median)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--keep", action="store_true", help="keep the scratch database (prints its URL)"
    )
    parser.add_argument(
        "--database-url",
        help="measure this already seeded database read-only instead of seeding a scratch one",
    )
    parser.add_argument(
        "--live",
        action="store_true",
        help="also time explain_many with METRICS_ROLLUPS off (slow on a large desk)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="list explain_many's slowest statements"
    )
    return parser.parse_args()


def explanations(period: Any) -> Callable[[], Any]:
    from metrics import kpis
    from metrics.explain import DASHBOARD_KPIS, explain_many

    def run() -> Any:
        with kpis.one_reading():
            return explain_many(DASHBOARD_KPIS, period)

    return run


def dashboard_with_explanations(period: Any) -> Callable[[], Any]:
    """The dashboard's data and its explanations in one reading, as the page computes them."""
    from metrics import kpis
    from metrics.explain import DASHBOARD_KPIS, explain_many

    def run() -> Any:
        with kpis.one_reading():
            return dashboard(period), explain_many(DASHBOARD_KPIS, period)

    return run


def page_content(period: Any) -> Callable[[], Any]:
    """All the page shows, as the view builds it: the cards with their explanations, samples
    and links to the lists behind them, the charts' data and links, the tables."""
    from metrics import kpis
    from metrics.presentation.dashboard import Dashboard

    def run() -> Any:
        with kpis.one_reading():
            board = Dashboard(period, kpis.Filters())
            return (
                board.cards(),
                board.chart_data(),
                board.driver_tables(),
                board.agent_table(),
            )

    return run


def profile(period: Any, top: int = 12) -> None:
    """explain_many's statements, slowest first (one run after a warm-up)."""
    from django.db import connection

    timings: list[tuple[float, str]] = []

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timings.append((time.perf_counter() - started, sql))

    run = explanations(period)
    run()
    with connection.execute_wrapper(timed):
        run()
    total = sum(seconds for seconds, _ in timings)
    print(f"\nexplain_many: {len(timings)} statements, {total * 1000:.0f} ms in the database")
    for seconds, sql in sorted(timings, reverse=True)[:top]:
        print(f"  {seconds * 1000:7.1f} ms  {' '.join(sql.split())[:160]}")
    sys.stdout.flush()


def measure_all(period: Any, runs: int, live: bool) -> list[tuple[str, float, int]]:
    from django.test.utils import override_settings

    rows = []
    cases = [
        ("explain_many, 12 cards, 1 year (rollups)", explanations(period)),
        ("dashboard, 1 year, without explanations", lambda: dashboard(period)),
        ("dashboard, 1 year, with explanations", dashboard_with_explanations(period)),
        ("the page's content, 1 year (cards, links, charts, tables)", page_content(period)),
    ]
    for label, fn in cases:
        seconds, queries = measure(fn, runs)
        rows.append((label, seconds, queries))
        print(f"  {label}: {seconds * 1000:.0f} ms, {queries} queries", flush=True)
    if live:
        with override_settings(METRICS_ROLLUPS=False):
            seconds, queries = measure(explanations(period), runs)
        rows.append(("explain_many, 12 cards, 1 year (live)", seconds, queries))
        print(f"  live: {seconds * 1000:.0f} ms, {queries} queries", flush=True)
    return rows


def report(size: int, rows: list[tuple[str, float, int]]) -> None:
    lines = [("measure", "median", "queries")] + [
        (label, f"{seconds * 1000:.0f} ms", str(queries)) for label, seconds, queries in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(3)]
    print(f"\n{size:,} tickets, one-year period (and the previous year, which it is compared with)")
    for i, line in enumerate(lines):
        cells = [c.ljust(widths[j]) if j == 0 else c.rjust(widths[j]) for j, c in enumerate(line)]
        print("| " + " | ".join(cells) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    by_label = {label: seconds for label, seconds, _ in rows}
    added = (
        by_label["dashboard, 1 year, with explanations"]
        - by_label["dashboard, 1 year, without explanations"]
    ) * 1000
    verdict = "within" if added <= TARGET_MS else "OVER"
    print(
        f"the explanation adds {added:.0f} ms to the dashboard "
        f"({verdict} the issue's {TARGET_MS} ms; explain_many alone "
        f"{by_label['explain_many, 12 cards, 1 year (rollups)'] * 1000:.0f} ms)"
    )
    sys.stdout.flush()


def year() -> Any:
    from django.utils import timezone

    from metrics import kpis

    today = timezone.localdate()
    return kpis.Period.of(today - timedelta(days=365), today)


def main_seeded(args: argparse.Namespace) -> int:
    """Measure an already seeded database without writing to it."""
    scratch = tempfile.mkdtemp(prefix="pulso-bench-explain-")
    os.environ["VAR_DIR"] = scratch
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("LOG_LEVEL", "ERROR")  # a refused refresh logs; it then reads live
    os.environ["DATABASE_URL"] = args.database_url
    try:
        import django

        django.setup()
        from django.db import connection
        from django.db.backends.signals import connection_created

        from cases.models import Ticket
        from metrics import rollups

        connection_created.connect(read_only)
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        size = Ticket.objects.count()
        print(
            f"PostgreSQL {version}, {os.cpu_count()} CPUs, median of {args.runs} runs; "
            f"{args.database_url.rsplit('/', 1)[-1]} read-only, {size:,} tickets, "
            f"rollups {'fresh' if rollups.ensure_fresh() else 'NOT usable: engine reads live'}",
            flush=True,
        )
        period = year()
        report(size, measure_all(period, args.runs, args.live))
        if args.profile:
            profile(period)
    finally:
        from django.db import connections

        connections.close_all()
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


def main() -> int:
    args = parse_args()
    if args.database_url:
        return main_seeded(args)
    admin_url = os.environ.get("DATABASE_URL", "")
    if not admin_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit(
            "bench_explain.py needs DATABASE_URL=postgres://… (a server to scratch on)"
        )
    scratch = tempfile.mkdtemp(prefix="pulso-bench-explain-")
    os.environ["VAR_DIR"] = scratch
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    name = f"pulso_bench_explain_{os.getpid()}"
    os.environ["DATABASE_URL"] = create_postgres_database(admin_url, name)
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection
        from django.utils import timezone

        from metrics import rollups, seed

        call_command("migrate", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        print(f"PostgreSQL {version}, {os.cpu_count()} CPUs, median of {args.runs} runs")
        now = timezone.now()
        period = year()
        seeded = 0
        for size in sorted(args.sizes):
            started = time.monotonic()
            counts = seed.seed(size - seeded, seed=args.seed + seeded, now=now)
            seeded = size
            print(
                f"seeded {counts['tickets']:,} tickets (now {size:,}) in "
                f"{time.monotonic() - started:.1f} s",
                flush=True,
            )
            # The bulk inserts bypassed the services: rebuild, as seed_bench does.
            started = time.monotonic()
            rollups.rebuild()
            print(f"rollups rebuilt in {time.monotonic() - started:.1f} s", flush=True)
            report(size, measure_all(period, args.runs, args.live))
            if args.profile:
                profile(period)
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep:
            print(f"kept {os.environ['DATABASE_URL']}")
        else:
            drop_postgres_database(admin_url, name)
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
