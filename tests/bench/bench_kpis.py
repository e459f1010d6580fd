"""KPI engine figures (issue 4): how long metrics/kpis.py takes on a large desk, beside the
floor — the same figures from the fewest hand-written SQL aggregate queries over the same
tables — with the ratio and the number of queries each used.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python tests/bench/bench_kpis.py --sizes 100000 1000000

PostgreSQL only: a scratch database `pulso_bench_kpis_<pid>` is created next to
DATABASE_URL's, migrated, seeded with `metrics.seed` (seed_bench), measured, and dropped.
Sizes grow the same database (100 000, then 900 000 more for 1 000 000). Each figure is the
median of --runs timed runs after one warm-up run. See tests/bench/README.md.

    .venv/bin/python tests/bench/bench_kpis.py \\
        --database-url postgres://postgres@127.0.0.1:5432/pulso_seed_1m

measures an already seeded database (`seed_bench`, rollups built) as it is: no seeding, no
migrating, and every session read-only (the refresh cost is not measured).
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
        "--only", nargs="+", default=None, help="measure only the cases whose name starts so"
    )
    return parser.parse_args()


# --- the floor: hand-written SQL ----------------------------------------------------------------

SURVEY_COUNTS = ", ".join(
    [
        "count(*) AS responses",
        "count(csat) AS csat_n, sum(csat) AS csat_sum",
        "count(ces) AS ces_n, sum(ces) AS ces_sum",
        "count(nps) AS nps_n",
    ]
    + [f"count(*) FILTER (WHERE csat = {s}) AS csat_{s}" for s in range(1, 6)]
    + [f"count(*) FILTER (WHERE ces = {s}) AS ces_{s}" for s in range(1, 8)]
    + [f"count(*) FILTER (WHERE nps = {s}) AS nps_{s}" for s in range(0, 11)]
)
FRT = "EXTRACT(EPOCH FROM (first_response_at - created_at))"
ART = "EXTRACT(EPOCH FROM (resolved_at - created_at))"


def stats(v: str) -> str:
    return (
        f"avg({v}) AS mean, percentile_cont(0.5) WITHIN GROUP (ORDER BY {v}) AS median, "
        f"percentile_cont(0.9) WITHIN GROUP (ORDER BY {v}) AS p90, count({v}) AS n"
    )


CLOSED = "status IN ('resolved', 'closed')"
FIRST_DECIDED = (
    "first_response_due_at IS NOT NULL "
    "AND (first_response_at IS NOT NULL OR first_response_breached_at IS NOT NULL)"
)
FIRST_MET = "first_response_at <= first_response_due_at"  # implies decided
RESOLUTION_DECIDED = (
    f"resolution_due_at IS NOT NULL AND ({CLOSED} OR resolution_breached_at IS NOT NULL)"
)
RESOLUTION_MET = (  # implies decided
    f"{CLOSED} AND resolved_at <= resolution_due_at AND resolution_breached_at IS NULL"
)
# SLA compliance (docs/kpis.md) is part of every created-tickets figure the engine returns (the
# summary, the series' detail, the agent table), so the floor counts it too.
SLA_COUNTS = (
    f"count(*) FILTER (WHERE {FIRST_DECIDED}) AS sla_first_n, "
    f"count(*) FILTER (WHERE {FIRST_MET}) AS sla_first_met, "
    f"count(*) FILTER (WHERE {RESOLUTION_DECIDED}) AS sla_resolution_n, "
    f"count(*) FILTER (WHERE {RESOLUTION_MET}) AS sla_resolution_met, "
    f"count(*) FILTER (WHERE ({FIRST_DECIDED} AND NOT coalesce({FIRST_MET}, false)) "
    f"OR ({RESOLUTION_DECIDED} AND NOT coalesce({RESOLUTION_MET}, false))) AS sla_breached"
)
CREATED_COUNTS = (
    "count(*) AS volume, count(*) FILTER (WHERE escalation_count > 0) AS escalated, "
    "count(*) FILTER (WHERE first_response_at IS NULL) AS awaiting, "
    + stats(FRT)
    + ", "
    + SLA_COUNTS
)
RESOLVED_COUNTS = (
    "count(*) AS resolved, count(*) FILTER (WHERE escalation_count = 0 AND reopen_count = 0 "
    "AND public_agent_replies <= 1) AS fcr, count(*) FILTER (WHERE reopen_count > 0) AS "
    "reopened, " + stats(ART)
)


class Floor:
    """The same figures as the engine from the fewest statements we could write."""

    def __init__(self, tz: str):
        self.tz = tz

    def _team(self, team, column="team_id") -> str:
        return f" AND {column} = {int(team)}" if team else ""

    def summary_sql(self, team=None) -> str:
        t = self._team(team)
        return f"""
        WITH r AS (SELECT {SURVEY_COUNTS} FROM surveys_surveyresponse
                   WHERE answered_at >= %(s)s AND answered_at < %(e)s{t}),
        i AS (SELECT count(*) AS sent FROM surveys_surveyinvitation
              WHERE sent_at >= %(s)s AND sent_at < %(e)s{t}),
        c AS (SELECT {CREATED_COUNTS} FROM cases_ticket
              WHERE created_at >= %(s)s AND created_at < %(e)s{t}),
        z AS (SELECT {RESOLVED_COUNTS} FROM cases_ticket
              WHERE status IN ('resolved', 'closed') AND resolved_at >= %(s)s
                AND resolved_at < %(e)s{t}),
        b AS (SELECT count(*) AS backlog,
                 count(*) FILTER (WHERE created_at > %(e)s - interval '1 day') AS lt_1d,
                 count(*) FILTER (WHERE created_at <= %(e)s - interval '1 day'
                                  AND created_at > %(e)s - interval '3 days') AS d1_3,
                 count(*) FILTER (WHERE created_at <= %(e)s - interval '3 days'
                                  AND created_at > %(e)s - interval '7 days') AS d3_7,
                 count(*) FILTER (WHERE created_at <= %(e)s - interval '7 days') AS gte_7d
              FROM cases_ticket WHERE created_at < %(e)s{t}
                AND (status IN ('new', 'open', 'pending')
                     OR (status IN ('resolved', 'closed') AND resolved_at >= %(e)s))),
        k AS (SELECT count(*) FILTER (WHERE active_since < %(sd)s AND (churned_at IS NULL
                                       OR churned_at >= %(sd)s)) AS s,
                 count(*) FILTER (WHERE active_since >= %(sd)s AND active_since < %(ed)s) AS n,
                 count(*) FILTER (WHERE churned_at >= %(sd)s AND churned_at < %(ed)s) AS c,
                 count(*) FILTER (WHERE active_since < %(ed)s AND (churned_at IS NULL
                                  OR churned_at >= %(ed)s)) AS e
              FROM cases_customer)
        SELECT * FROM r, i, c, z, b, k"""  # noqa: S608

    def week(self, column: str, day: bool = False) -> str:
        return f"date_trunc('{'day' if day else 'week'}', {column} AT TIME ZONE '{self.tz}')"

    def survey_series_sql(self, team=None, day=False) -> str:
        t = self._team(team)
        return f"""
        WITH r AS (SELECT {self.week("answered_at", day)} AS g, {SURVEY_COUNTS}
                   FROM surveys_surveyresponse
                   WHERE answered_at >= %(s)s AND answered_at < %(e)s{t} GROUP BY 1),
        i AS (SELECT {self.week("sent_at", day)} AS g, count(*) AS sent
              FROM surveys_surveyinvitation
              WHERE sent_at >= %(s)s AND sent_at < %(e)s{t} GROUP BY 1)
        SELECT * FROM r FULL JOIN i USING (g)"""  # noqa: S608

    def created_series_sql(self, team=None, day=False) -> str:
        return f"""
        SELECT {self.week("created_at", day)} AS g, {CREATED_COUNTS} FROM cases_ticket
        WHERE created_at >= %(s)s AND created_at < %(e)s{self._team(team)} GROUP BY 1"""  # noqa: S608

    def resolved_series_sql(self, team=None, day=False) -> str:
        return f"""
        SELECT {self.week("resolved_at", day)} AS g, {RESOLVED_COUNTS} FROM cases_ticket
        WHERE status IN ('resolved', 'closed') AND resolved_at >= %(s)s
          AND resolved_at < %(e)s{self._team(team)} GROUP BY 1"""  # noqa: S608

    def agents_sql(self) -> str:
        return f"""
        WITH r AS (SELECT agent_id AS g, {SURVEY_COUNTS} FROM surveys_surveyresponse
                   WHERE answered_at >= %(s)s AND answered_at < %(e)s GROUP BY 1),
        i AS (SELECT agent_id AS g, count(*) AS sent FROM surveys_surveyinvitation
              WHERE sent_at >= %(s)s AND sent_at < %(e)s GROUP BY 1),
        c AS (SELECT assignee_id AS g, {CREATED_COUNTS} FROM cases_ticket
              WHERE created_at >= %(s)s AND created_at < %(e)s GROUP BY 1),
        z AS (SELECT assignee_id AS g, {RESOLVED_COUNTS} FROM cases_ticket
              WHERE status IN ('resolved', 'closed') AND resolved_at >= %(s)s
                AND resolved_at < %(e)s GROUP BY 1)
        SELECT * FROM r FULL JOIN i USING (g) FULL JOIN c USING (g) FULL JOIN z USING (g)"""  # noqa: S608

    def drivers_sql(self) -> str:
        frt = "EXTRACT(EPOCH FROM (t.first_response_at - t.created_at))"
        return f"""
        SELECT CASE WHEN t.first_response_at IS NULL THEN 'none' WHEN {frt} < 3600 THEN 'lt_1h'
                    WHEN {frt} < 14400 THEN '1_4h' WHEN {frt} < 86400 THEN '4_24h'
                    ELSE 'gte_24h' END AS frt,
               t.escalation_count > 0 AS escalated, t.reopen_count > 0 AS reopened,
               CASE WHEN t.public_agent_replies <= 1 THEN '1' WHEN t.public_agent_replies = 2
                    THEN '2' WHEN t.public_agent_replies <= 4 THEN '3-4' ELSE '5+' END AS replies,
               t.channel, c.name AS category,
               count(*) AS responses, count(r.csat) AS csat_n,
               count(*) FILTER (WHERE r.csat >= 4) AS csat_good, count(r.nps) AS nps_n,
               count(*) FILTER (WHERE r.nps >= 9) AS promoters,
               count(*) FILTER (WHERE r.nps <= 6) AS detractors,
               count(r.ces) AS ces_n, sum(r.ces) AS ces_sum
        FROM surveys_surveyresponse r JOIN cases_ticket t ON t.id = r.ticket_id
        LEFT JOIN cases_category c ON c.id = t.category_id
        WHERE r.answered_at >= %(s)s AND r.answered_at < %(e)s
        GROUP BY GROUPING SETS ((1), (2), (3), (4), (5), (6))"""  # noqa: S608

    def channel_volume_sql(self) -> str:
        return """
        SELECT channel, count(*) FROM cases_ticket
        WHERE created_at >= %(s)s AND created_at < %(e)s GROUP BY 1"""


def params(period) -> dict:
    return {"s": period.start, "e": period.end, "sd": period.start_date, "ed": period.end_date}


def run_sql(statements: list[tuple[str, dict]]) -> list:
    from django.db import connection

    results = []
    with connection.cursor() as cursor:
        for sql, values in statements:
            cursor.execute(sql, values)
            results.append(cursor.fetchall())
    return results


# --- what is measured ---------------------------------------------------------------------------


def dashboard(period, filters=None):
    """Everything the manager dashboard computes for one period: the parts of
    metrics.presentation.dashboard.Dashboard (summary of the period and of the previous one
    with the backlog, the survey, created and resolved series the six trend charts read,
    volume by channel, drivers, the agent table)."""
    from metrics import kpis
    from metrics.presentation.dashboard import Dashboard

    page = Dashboard(period, filters or kpis.Filters())
    with kpis.one_reading():  # as the page does
        return [
            page.current,
            page.previous,
            page.survey_series,
            page.created_series,
            page.resolved_series,
            page.channels,
            page.drivers,
            page.agents,
        ]


def cases(period, team: int):
    """(name, engine callable, floor statements)."""
    from metrics import definitions, kpis

    floor = Floor(definitions.zone().key)
    p, prev = params(period), params(period.previous())
    month = kpis.Period.of(period.end_date - timedelta(days=30), period.end_date)
    f = kpis.Filters(team=team)
    return [
        (
            "summary, 1 year, no filter",
            lambda: kpis.summary(period),
            [(floor.summary_sql(), p)],
        ),
        (
            "summary, 1 year, team filter",
            lambda: kpis.summary(period, f),
            [(floor.summary_sql(team), p)],
        ),
        (
            "weekly series, 1 year, kpi=csat",
            lambda: kpis.timeseries("csat", "week", period),
            [(floor.survey_series_sql(), p)],
        ),
        (
            "weekly series, 1 year, kpi=frt",
            lambda: kpis.timeseries("frt", "week", period),
            [(floor.created_series_sql(), p)],
        ),
        (
            "agent breakdown (many_breakdowns)",
            lambda: kpis.many_breakdowns("agent", period),
            [(floor.agents_sql(), p)],
        ),
        (
            "drivers",
            lambda: kpis.drivers(period),
            [(floor.drivers_sql(), p)],
        ),
        (
            "dashboard, last 30 days (the page's default)",
            lambda: dashboard(month),
            [
                (floor.summary_sql(), params(month)),
                (floor.summary_sql(), params(month.previous())),
                (floor.survey_series_sql(day=True), params(month)),
                (floor.created_series_sql(day=True), params(month)),
                (floor.resolved_series_sql(day=True), params(month)),
                (floor.drivers_sql(), params(month)),
                (floor.agents_sql(), params(month)),
                (floor.channel_volume_sql(), params(month)),
            ],
        ),
        (
            "dashboard, 1 year (metrics.presentation.dashboard.Dashboard)",
            lambda: dashboard(period),
            [
                (floor.summary_sql(), p),
                (floor.summary_sql(), prev),
                (floor.survey_series_sql(), p),
                (floor.created_series_sql(), p),
                (floor.resolved_series_sql(), p),
                (floor.drivers_sql(), p),
                (floor.agents_sql(), p),
                (floor.channel_volume_sql(), p),
            ],
        ),
    ]


def measure(fn, runs: int) -> tuple[float, int]:
    """(median seconds over `runs` after a warm-up, queries of one run)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()  # warm-up, counted
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), len(captured.captured_queries)


def check_floor_matches(period) -> None:
    """The floor computes the same numbers: spot-check the summary's headline counts."""
    from metrics import definitions, kpis

    summary = kpis.summary(period)
    [[row]] = run_sql([(Floor(definitions.zone().key).summary_sql(), params(period))])
    names = [
        "responses",
        "csat_n",
        "csat_sum",
        "ces_n",
        "ces_sum",
        "nps_n",
        *[f"csat_{s}" for s in range(1, 6)],
        *[f"ces_{s}" for s in range(1, 8)],
        *[f"nps_{s}" for s in range(0, 11)],
        "sent",
        "volume",
        "escalated",
        "awaiting",
        "frt_mean",
        "frt_median",
        "frt_p90",
        "frt_n",
        "sla_first_n",
        "sla_first_met",
        "sla_resolution_n",
        "sla_resolution_met",
        "sla_breached",
        "resolved",
        "fcr",
        "reopened",
        "art_mean",
    ]
    got = dict(zip(names, row, strict=False))
    assert got["volume"] == summary["volume"], (got["volume"], summary["volume"])
    assert got["csat_n"] == summary["csat"]["responses"]
    assert got["resolved"] == summary["fcr"]["resolved"]
    assert got["sent"] == summary["surveys_sent"]
    assert abs(got["frt_median"] - summary["frt"]["median"]) <= 1
    sla = summary["sla"]
    assert (got["sla_first_n"], got["sla_resolution_n"], got["sla_breached"]) == (
        sla["first_response_count"],
        sla["resolution_count"],
        sla["breached"],
    )


def refresh_cost(now) -> str:
    """What the beat's refresh costs: the last 1 000 tickets (about a day of this desk)
    marked changed, then applied — their days' rollups recomputed."""
    from cases.models import Ticket
    from metrics import rollups
    from metrics.models import RollupChange

    recent = Ticket.objects.order_by("-created_at").values_list("pk", flat=True)[:1000]
    RollupChange.objects.bulk_create(RollupChange(ticket_id=pk) for pk in recent)
    started = time.perf_counter()
    applied = rollups.refresh()
    return f"{applied:,} changed tickets applied in {(time.perf_counter() - started) * 1000:.0f} ms"


def report(size: int, rows: list) -> None:
    header = (
        "measure",
        "engine",
        "queries",
        "live",
        "queries",
        "floor",
        "queries",
        "engine/floor",
        "live/floor",
    )
    lines = [header] + [
        (
            name,
            f"{engine * 1000:.0f} ms",
            str(eq),
            f"{live * 1000:.0f} ms",
            str(lq),
            f"{floor * 1000:.0f} ms",
            str(fq),
            f"{engine / floor:.2f}×",
            f"{live / floor:.2f}×",
        )
        for name, engine, eq, live, lq, floor, fq in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    print(f"\n{size:,} tickets (engine: rollups; live: the same engine with METRICS_ROLLUPS off)")
    for i, line in enumerate(lines):
        print(
            "| "
            + " | ".join(
                cell.ljust(widths[j]) if j == 0 else cell.rjust(widths[j])
                for j, cell in enumerate(line)
            )
            + " |"
        )
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    sys.stdout.flush()


def selected(all_cases: list, only: list[str] | None) -> list:
    if not only:
        return all_cases
    return [case for case in all_cases if any(case[0].startswith(prefix) for prefix in only)]


def measure_cases(period, team: int, runs: int, only: list[str] | None) -> list:
    """Engine (rollups), live (METRICS_ROLLUPS off) and floor of every case, back to back."""
    from django.test.utils import override_settings

    rows = []
    for label, engine_fn, statements in selected(cases(period, team), only):
        engine, engine_queries = measure(engine_fn, runs)
        with override_settings(METRICS_ROLLUPS=False):
            live, live_queries = measure(engine_fn, runs)
        floor, floor_queries = measure(lambda s=statements: run_sql(s), runs)
        rows.append((label, engine, engine_queries, live, live_queries, floor, floor_queries))
        print(
            f"  {label}: {engine * 1000:.0f} ms (live {live * 1000:.0f} ms) "
            f"vs {floor * 1000:.0f} ms",
            flush=True,
        )
    return rows


def read_only(sender, connection, **kwargs) -> None:
    """Every session on a seeded database refuses writes (connection_created receiver)."""
    with connection.cursor() as cursor:
        cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")


def main_seeded(args: argparse.Namespace) -> int:
    """Measure an already seeded database without writing to it."""
    scratch = tempfile.mkdtemp(prefix="pulso-bench-kpis-")
    os.environ["VAR_DIR"] = scratch
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("LOG_LEVEL", "ERROR")  # a refused refresh logs; it then reads live
    os.environ["DATABASE_URL"] = args.database_url
    try:
        import django

        django.setup()
        from django.db import connection
        from django.db.backends.signals import connection_created
        from django.utils import timezone

        from cases.models import Team, Ticket
        from metrics import kpis, rollups, seed

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
        today = timezone.localdate()
        period = kpis.Period.of(today - timedelta(days=365), today)
        check_floor_matches(period)
        team = Team.objects.get(name=seed.TEAMS[0][0]).pk
        report(size, measure_cases(period, team, args.runs, args.only))
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
        raise SystemExit("bench_kpis.py needs DATABASE_URL=postgres://… (a server to scratch on)")
    scratch = tempfile.mkdtemp(prefix="pulso-bench-kpis-")
    os.environ["VAR_DIR"] = scratch
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    name = f"pulso_bench_kpis_{os.getpid()}"
    os.environ["DATABASE_URL"] = create_postgres_database(admin_url, name)
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection
        from django.utils import timezone

        from cases.models import Team
        from metrics import kpis, rollups, seed

        call_command("migrate", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        print(f"PostgreSQL {version}, {os.cpu_count()} CPUs, median of {args.runs} runs")
        now = timezone.now()
        today = timezone.localdate()
        period = kpis.Period.of(today - timedelta(days=365), today)
        seeded = 0
        for size in sorted(args.sizes):
            started = time.monotonic()
            counts = seed.seed(size - seeded, seed=args.seed + seeded, now=now)
            seeded = size
            print(
                f"seeded {counts['tickets']:,} tickets (now {size:,}) in "
                f"{time.monotonic() - started:.1f} s: {counts}",
                flush=True,
            )
            # The bulk inserts bypassed the services: rebuild, as seed_bench does.
            started = time.monotonic()
            rollups.rebuild()
            print(f"rollups rebuilt in {time.monotonic() - started:.1f} s", flush=True)
            check_floor_matches(period)
            team = Team.objects.get(name=seed.TEAMS[0][0]).pk
            print(f"refresh after changes: {refresh_cost(now)}", flush=True)
            report(size, measure_cases(period, team, args.runs, args.only))
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
