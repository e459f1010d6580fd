"""History import figures (issue 12): tickets and events a second, SQL statements a ticket,
peak memory at two file sizes (flat: the file is streamed), and the second, idempotent run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python tests/bench/bench_import.py --tickets 100000 --small 20000

PostgreSQL only. A history of --tickets tickets (~7 events each, metrics/importing/generate.py)
and one of --small are written to a scratch folder; each is imported into a scratch database
`pulso_bench_import_<pid>_<n>` created next to DATABASE_URL's and migrated, with SLA
policies and a team on a business calendar. Each import runs in a process of its own
(`manage.py import_history`'s function, batched writer), so its peak RSS is its own; the
same process then imports the file again (everything already present) and applies the
rollup changes the import marked (what the beat does next; reported apart). --services N
also imports N tickets through the services one by one, the way the import worked before,
for comparison. The databases are dropped at the end.
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(BASE_DIR))

from tests.bench.bench_surveys import (  # noqa: E402
    create_postgres_database,
    drop_postgres_database,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000, help="tickets of the big file")
    parser.add_argument("--small", type=int, default=20_000, help="tickets of the small file")
    parser.add_argument(
        "--services", type=int, default=300, help="tickets replayed through the services (0: none)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-refresh", action="store_true", help="skip the rollup refresh")
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    # Internal: one measured import in a process of its own.
    parser.add_argument("--child", choices=["prepare", "import"], help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--replay", default="bulk", help=argparse.SUPPRESS)
    return parser.parse_args()


def _rss_mb() -> float:
    """The resident set size now (Linux)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _backend_cpu_seconds(connection) -> float:
    """CPU seconds the PostgreSQL backend serving `connection` has used (same host; NaN when
    its /proc entry cannot be read)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def prepare() -> None:
    """A migrated desk: SLA policies for three priorities, Soporte N2 on office hours."""
    import django

    django.setup()
    from datetime import time as clock

    from django.core.management import call_command

    from cases.models import BusinessCalendar, SLAPolicy, Team, WorkingHours
    from metrics import rollups

    call_command("migrate", verbosity=0)
    calendar = BusinessCalendar.objects.create(name="Oficina", time_zone="Europe/Madrid")
    for weekday in range(5):
        WorkingHours.objects.create(
            calendar=calendar, weekday=weekday, opens=clock(9), closes=clock(18)
        )
    Team.objects.create(name="Soporte N2", level=2, calendar=calendar)
    for name, priority, first, resolution in (
        ("Urgente", "urgent", 60, 240),
        ("Alta", "high", 120, 960),
        ("Normal", "normal", 480, 2880),
    ):
        SLAPolicy.objects.create(
            name=name,
            priority=priority,
            first_response_minutes=first,
            resolution_minutes=resolution,
        )
    rollups.rebuild()  # built: the import's changes are then refreshed, as on a live desk


def measure(path: str, replay: str, refresh: bool) -> dict:
    """Import `path` (measured), import it again, refresh the rollups."""
    import django

    django.setup()
    from django.db import connection

    from metrics import rollups
    from metrics.importing import import_history

    statements = [0]

    def count(execute, sql, params, many, context):
        statements[0] += 1
        return execute(sql, params, many, context)

    backend = _backend_cpu_seconds(connection)
    baseline = _rss_mb()
    with connection.execute_wrapper(count):
        started, cpu = time.monotonic(), time.process_time()
        report = import_history(path, replay=replay)  # type: ignore[arg-type]
        elapsed, cpu = time.monotonic() - started, time.process_time() - cpu
    peak = _peak_rss_mb()
    backend = _backend_cpu_seconds(connection) - backend
    assert report.written, report.problems[:5]
    tickets = report.counts["ticket"].created
    figures = {
        "replay": replay,
        "file_mb": os.path.getsize(path) / 1e6,
        "tickets": tickets,
        "events": report.events,
        "seconds": elapsed,
        "statements": statements[0] + report.copies,
        "rss_baseline_mb": baseline,
        "rss_peak_mb": peak,
        "python_cpu": cpu,
        "postgres_cpu": backend,
        "by_services": report.replayed_by_services,
    }
    started = time.monotonic()
    again = import_history(path, replay=replay)  # type: ignore[arg-type]
    figures["again_seconds"] = time.monotonic() - started
    assert again.counts["ticket"].present == tickets and again.counts["ticket"].created == 0
    if refresh:
        started = time.monotonic()
        figures["refreshed"] = rollups.refresh()
        figures["refresh_seconds"] = time.monotonic() - started
    return figures


def child(args: argparse.Namespace) -> int:
    if args.child == "prepare":
        prepare()
    else:
        print(json.dumps(measure(args.file, args.replay, not args.no_refresh)))
    return 0


def run_child(role: str, url: str, *extra: str) -> dict | None:
    env = {**os.environ, "DATABASE_URL": url}
    command = [sys.executable, __file__, "--child", role, *extra]
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else None


def report(figures: dict) -> None:
    tickets, seconds = figures["tickets"], figures["seconds"]
    print(
        f"  {figures['replay']:<8} {tickets:>7,} tickets ({figures['file_mb']:.0f} MB, "
        f"{figures['events']:,} events) in {seconds:.1f} s: "
        f"{tickets / seconds:,.0f} tickets/s, {figures['events'] / seconds:,.0f} events/s, "
        f"{figures['statements'] / tickets:.3f} statements/ticket "
        f"({figures['statements']:,}), RSS {figures['rss_baseline_mb']:.0f} MB before, "
        f"peak {figures['rss_peak_mb']:.0f} MB"
        + (f", {figures['by_services']} by the services" if figures["by_services"] else ""),
        flush=True,
    )
    print(
        f"           CPU a ticket: Python {figures['python_cpu'] / tickets * 1000:.2f} ms "
        f"(COPY thread included), PostgreSQL {figures['postgres_cpu'] / tickets * 1000:.2f} ms",
        flush=True,
    )
    line = f"           again (all present): {figures['again_seconds']:.1f} s"
    if "refresh_seconds" in figures:
        line += (
            f"; rollup refresh of {figures['refreshed']:,} changes: "
            f"{figures['refresh_seconds']:.1f} s"
        )
    print(line, flush=True)


def main() -> int:
    args = parse_args()
    if args.child:
        return child(args)
    admin_url = os.environ.get("DATABASE_URL", "")
    if not admin_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench_import.py needs DATABASE_URL=postgres://… (a server to scratch on)")
    scratch = tempfile.mkdtemp(prefix="pulso-bench-import-")
    os.environ["VAR_DIR"] = scratch
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.utils import timezone

    from metrics.importing.generate import write_history

    now = timezone.now()
    runs = [("bulk", size) for size in sorted({args.small, args.tickets}) if size]
    if args.services:
        runs.insert(0, ("services", args.services))
    created = []
    try:
        print(f"{os.cpu_count()} CPUs; histories generated with seed {args.seed}", flush=True)
        for replay, size in runs:
            path = Path(scratch) / f"history-{size}.jsonl"
            if not path.exists():
                started = time.monotonic()
                written = write_history(path, size, now=now, seed=args.seed)
                print(
                    f"generated {size:,} tickets, {written['events']:,} events "
                    f"({path.stat().st_size / 1e6:.0f} MB) in {time.monotonic() - started:.0f} s",
                    flush=True,
                )
            name = f"pulso_bench_import_{os.getpid()}_{replay}_{size}"
            url = create_postgres_database(admin_url, name)
            created.append(name)
            run_child("prepare", url)
            extra = ["--file", str(path), "--replay", replay]
            if args.no_refresh or replay == "services":
                extra.append("--no-refresh")
            figures = run_child("import", url, *extra)
            assert figures is not None
            report(figures)
            if not args.keep:
                drop_postgres_database(admin_url, name)
                created.remove(name)
    finally:
        for name in created:
            if args.keep:
                print(f"kept {name}")
            else:
                drop_postgres_database(admin_url, name)
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
