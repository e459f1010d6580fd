"""The ticket search on a large desk (the agent's-day issue): how long the queue's search box
and the API's `search=` take to their first page, for a rare and a common Spanish word, an
accented and an unaccented spelling, a customer, a reference, with a queue filter, as an agent
and as a manager — and the plans of the rare and the common word's statements.

    .venv/bin/python tests/bench/bench_search.py \\
        --database-url postgres://postgres@127.0.0.1:5432/pulso_search_1m

Read-only, on a database seeded with `manage.py seed_bench --tickets N --conversations`
(what people write: ~5 messages a ticket in Spanish or English, metrics/seed_text.py):
every transaction is read-only, sessions live in signed cookies, the login writes nothing.
Each figure is the median (and p95) of --runs requests after one warm-up, in-process with
Django's test client, logged in as `bench-agent-01` (an agent of Bench N1 Billing) or as
`bench-manager`. `--explain` prints EXPLAIN (ANALYZE, BUFFERS) of every search statement of
the rare and the common word's pages (the manager's, every status). See tests/bench/README.md.
"""

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

BASE_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(BASE_DIR))

from tests.bench.bench_lists import (  # noqa: E402
    AGENT,
    MANAGER,
    _shown,
    explain,
    server_line,
    setup_django,
)

# Words of metrics/seed_text.py: a rare one (RARE_WORDS: a few tickets in ten thousand), a
# common one (most billing and payment cases), a very common one (most messages say it),
# one written with and without its accent.
RARE = "zarzaparrilla"
COMMON = "factura"
VERY_COMMON = "gracias"
EVERY_STATUS = tuple(("status", s) for s in ("new", "open", "pending", "resolved", "closed"))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="a database seeded with seed_bench --conversations, measured read-only",
    )
    parser.add_argument("--runs", type=int, default=9, help="timed runs per search (median)")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print EXPLAIN (ANALYZE, BUFFERS) of the search statements of the rare and the "
        "common word (the manager's, every status), or of every search --only chooses",
    )
    parser.add_argument(
        "--only", default="", help="measure only the searches whose name holds one of a|b|c"
    )
    return parser.parse_args()


@dataclass(frozen=True)
class SearchCase:
    name: str
    user: str
    path: str
    params: tuple[tuple[str, str], ...]

    @property
    def url(self) -> str:
        return f"{self.path}?{urlencode(self.params)}"


def cases() -> list[SearchCase]:
    """The searches of the issue, for the agent and the manager."""
    from cases.models import Ticket

    tickets = Ticket.objects.order_by("pk")
    ticket = tickets[min(4241, tickets.count() - 1)]
    customer, reference = ticket.customer, ticket.reference
    listed = []
    for user in (AGENT, MANAGER):
        wide = "all" if user == MANAGER else "teams"
        every = (("queue", wide), *EVERY_STATUS)

        def add(name: str, *params: tuple[str, str], path: str = "/tickets/") -> None:
            listed.append(SearchCase(name, user, path, params))  # noqa: B023 - used at once

        add("rare word", *every, ("q", RARE))
        add("common word", *every, ("q", COMMON))
        add("very common word", *every, ("q", VERY_COMMON))
        add("common word, newest first", *every, ("q", COMMON), ("sort", "-created"))
        add("common word, page 2", *every, ("q", COMMON), ("page", "2"))
        add("two words", *every, ("q", "factura duplicada"))
        add("accented (devolución)", *every, ("q", "devolución"))
        add("unaccented (devolucion)", *every, ("q", "devolucion"))
        add("customer e-mail", *every, ("q", customer.email))
        add("customer name", *every, ("q", customer.name))
        add("reference", *every, ("q", reference))
        add("common word + priority high", *every, ("q", COMMON), ("priority", "high"))
        add("rare word + channel e-mail", *every, ("q", RARE), ("channel", "email"))
        add("common word, active tickets", ("queue", wide), ("q", COMMON))
        add("rare word, active tickets", ("queue", wide), ("q", RARE))
        api = "/api/v1/tickets/"
        add("API rare word", ("search", RARE), path=api)
        add("API common word", ("search", COMMON), path=api)
        add("API common word, newest first", ("search", COMMON), ("ordering", "-created_at"),
            path=api)  # fmt: skip
        add("API customer e-mail", ("search", customer.email), path=api)
        add("API common word + status closed", ("search", COMMON), ("status", "closed"),
            path=api)  # fmt: skip
    return listed


@dataclass
class Figure:
    case: SearchCase
    median: float
    p95: float
    queries: int
    sql_ms: float
    rows: int
    total: str
    statements: list[str]


def measure(client, case: SearchCase, runs: int) -> Figure:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get():
        response = client.get(case.url)
        if response.status_code != 200:
            raise SystemExit(f"{case.url} as {case.user}: {response.status_code}")
        return response

    get()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        get()
        times.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as captured:
        response = get()
    rows, total = _shown(response)
    times.sort()
    p95 = statistics.quantiles(times, n=20)[18] if len(times) >= 2 else times[0]
    return Figure(
        case,
        statistics.median(times),
        p95,
        len(captured.captured_queries),
        sum(float(q["time"]) for q in captured.captured_queries) * 1000,
        rows,
        total,
        [q["sql"] for q in captured.captured_queries if "to_tsquery" in q["sql"]],
    )


_ID_LIST = re.compile(r"(\d+,\s*){8,}\d+")


def compact(text: str) -> str:
    """A statement or a plan with its long lists of ids (the window's, the page's) cut."""
    return _ID_LIST.sub(lambda m: f"…{m.group().count(',') + 1} ids…", text)


def report(title: str, figures: list[Figure]) -> None:
    header = ("search", "user", "median", "p95", "SQL", "queries", "rows", "of")
    lines = [header] + [
        (
            f.case.name,
            "agent" if f.case.user == AGENT else "manager",
            f"{f.median * 1000:.0f} ms",
            f"{f.p95 * 1000:.0f} ms",
            f"{f.sql_ms:.0f} ms",
            str(f.queries),
            str(f.rows),
            f.total,
        )
        for f in figures
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    print(f"\n{title}")
    for i, line in enumerate(lines):
        cells = [c.ljust(widths[j]) if j < 2 else c.rjust(widths[j]) for j, c in enumerate(line)]
        print("| " + " | ".join(cells) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    if figures:
        slowest = max(figures, key=lambda f: f.median)
        over = [f for f in figures if f.median > 0.300]
        print(
            f"slowest: {slowest.case.name} ({slowest.case.user}) {slowest.median * 1000:.0f} ms;"
            f" {len(over)} of {len(figures)} searches over 300 ms"
        )
    sys.stdout.flush()


def word_counts() -> str:
    """How many tickets hold each benchmark word (what `rare` and `common` mean here)."""
    from cases.models import Ticket
    from cases.selectors import ticket_search

    counts = []
    for word in (RARE, COMMON, VERY_COMMON, "devolucion"):
        counts.append(f"{word} {Ticket.objects.filter(ticket_search(word)).count():,}")
    return ", ".join(counts)


def run(args, title: str) -> None:
    from django.contrib.auth import user_logged_in
    from django.test import Client
    from django.test.utils import override_settings

    from cases.models import User

    user_logged_in.disconnect(dispatch_uid="update_last_login")  # the login writes nothing
    chosen = [c for c in cases() if any(o in c.name for o in args.only.split("|"))]
    figures = []
    with override_settings(SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies"):
        clients = {}
        for username in (AGENT, MANAGER):
            clients[username] = Client()
            clients[username].force_login(User.objects.get(username=username))
        for case in chosen:
            figure = measure(clients[case.user], case, args.runs)
            figures.append(figure)
            print(
                f"  {case.name} ({case.user}): median {figure.median * 1000:.0f} ms, p95 "
                f"{figure.p95 * 1000:.0f} ms, {figure.queries} queries "
                f"({figure.sql_ms:.0f} ms), {figure.rows} rows of {figure.total}",
                flush=True,
            )
            explained = args.only or (
                case.name in ("rare word", "common word") and case.user == MANAGER
            )
            if args.explain and explained:
                for sql in figure.statements:
                    print(f"\n    {compact(sql)}")
                    print("    " + compact(explain(sql)).replace("\n", "\n    "), flush=True)
    report(title, figures)


def main() -> int:
    args = parse_args()
    url = args.database_url
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench_search.py needs a postgres:// --database-url (or DATABASE_URL)")
    scratch = tempfile.mkdtemp(prefix="pulso-bench-search-")
    os.environ["VAR_DIR"] = scratch
    try:
        setup_django(url, read_only=True)
        line = server_line()
        name = urlsplit(url).path.lstrip("/")
        print(f"{line}; database {name} (read-only), median of {args.runs} runs", flush=True)
        print(f"tickets holding each word: {word_counts()}", flush=True)
        run(args, f"{name}: {line}")
        return 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
