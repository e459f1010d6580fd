"""The customer page (360) for a customer with 2 000 tickets (issue 15): how long the customer
page, its experience panel (htmx) and the experience API take, with how many queries.

    psql -U postgres -h 127.0.0.1 -c 'create database pulso_cust360'
    .venv/bin/python tests/bench/bench_customer.py \\
        --database-url postgres://postgres@127.0.0.1:5432/pulso_cust360
    psql -U postgres -h 127.0.0.1 -c 'drop database pulso_cust360'

WRITES to the database it is given (a scratch one: never a desk's): it migrates it, seeds
--tickets tickets with `metrics.seed` (customers, events, replies, survey invitations and
answers, bulk-written in seconds), opens the follow-ups the seed does not write
(bench_lists.add_follow_ups) and then gives every ticket, invitation and answer to one
customer — who joins an organisation, so the organisation's panel reads the same history.

Each page is requested in-process with Django's test client, as the seeded manager
(`bench-manager`) and agent (`bench-agent-01`, who sees their teams' part); each figure is
the median and p95 of --runs requests after one warm-up, and the queries of one more. See
tests/bench/README.md.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(BASE_DIR))

from tests.bench.bench_lists import AGENT, MANAGER, add_follow_ups, server_line  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="a scratch PostgreSQL database (it is migrated and written to)",
    )
    parser.add_argument("--tickets", type=int, default=2000, help="the customer's tickets")
    parser.add_argument("--runs", type=int, default=20, help="timed runs per page")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args()


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.pop("REDIS_URL", None)  # the local-memory cache: nothing shared is touched
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host, and response.context


def build(tickets: int, seed: int) -> tuple[int, int, dict[str, int]]:
    """Seed, then hand the whole history to one customer in a few statements."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from cases.models import Customer, Organisation, Ticket
    from metrics import seed as seeding
    from surveys.models import FollowUp, SurveyInvitation, SurveyResponse

    call_command("migrate", verbosity=0)
    started = time.monotonic()
    seeding.seed(tickets, seed=seed, progress=False)
    follow_ups = add_follow_ups()
    with transaction.atomic():
        customer = Customer.objects.order_by("pk").first()
        assert customer is not None
        Ticket.objects.update(customer=customer)
        SurveyInvitation.objects.update(customer=customer)
        organisation = Organisation.objects.create(name="Bench 360 S.A.")
        Customer.objects.filter(pk=customer.pk).update(organisation=organisation)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    counts = {
        "tickets": Ticket.objects.filter(customer=customer).count(),
        "answers": SurveyResponse.objects.filter(ticket__customer=customer).count(),
        "follow-ups": follow_ups,
        "open follow-ups": FollowUp.objects.exclude(status="resolved").count(),
    }
    print(
        f"built in {time.monotonic() - started:.1f} s: "
        + ", ".join(f"{value:,} {name}" for name, value in counts.items()),
        flush=True,
    )
    return customer.pk, organisation.pk, counts


def measure(client, url: str, runs: int, **headers: str) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get():
        response = client.get(url, headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code}")
        return response

    get()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        get()
        times.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as captured:
        get()
    return {
        "median": statistics.median(times) * 1000,
        "p95": statistics.quantiles(times, n=20, method="inclusive")[18] * 1000,
        "queries": len(captured.captured_queries),
        "sql": sum(float(q["time"]) for q in captured.captured_queries) * 1000,
    }


def main() -> int:
    args = parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("bench_customer.py needs a postgres:// --database-url (a scratch one)")
    scratch = tempfile.mkdtemp(prefix="pulso-bench-customer-")
    os.environ["VAR_DIR"] = scratch
    try:
        setup_django(args.database_url)
        from django.contrib.auth import user_logged_in
        from django.test import Client
        from django.test.utils import override_settings
        from django.urls import reverse
        from knox.models import AuthToken

        from cases.models import User

        customer, organisation, _counts = build(args.tickets, args.seed)
        line = server_line()
        print(f"{line}; median / p95 of {args.runs} runs", flush=True)
        user_logged_in.disconnect(dispatch_uid="update_last_login")
        htmx = {"HX-Request": "true"}
        pages = [
            ("customer page", reverse("cases:customer_detail", args=[customer]), {}),
            ("customer page, last page", reverse("cases:customer_detail", args=[customer]), {}),
            ("experience panel", reverse("metrics:customer_experience", args=[customer]), htmx),
            (
                "organisation panel",
                reverse("metrics:organisation_experience", args=[organisation]),
                htmx,
            ),
            ("API customer", reverse("api:customer-detail", args=[customer]), {}),
            ("API experience", reverse("metrics_api:metrics-customer", args=[customer]), {}),
            (
                "API organisation experience",
                reverse("metrics_api:metrics-organisation", args=[organisation]),
                {},
            ),
        ]
        rows = []
        with override_settings(SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies"):
            for username in (MANAGER, AGENT):
                user = User.objects.get(username=username)
                web = Client()
                web.force_login(user)
                api = Client(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user)[1]}")
                for name, url, headers in pages:
                    client = api if name.startswith("API") else web
                    if name.endswith("last page"):
                        url += f"?page={(args.tickets + 24) // 25}"
                    figure = measure(client, url, args.runs, **headers)
                    role = "manager" if username == MANAGER else "agent"
                    rows.append((name, role, figure))
                    print(
                        f"  {name} ({role}): median {figure['median']:.0f} ms, "
                        f"p95 {figure['p95']:.0f} ms, {figure['queries']} queries "
                        f"({figure['sql']:.0f} ms SQL)",
                        flush=True,
                    )
        print("\n| page | user | median | p95 | queries | SQL |")
        print("|---|---|---:|---:|---:|---:|")
        for name, role, f in rows:
            print(
                f"| {name} | {role} | {f['median']:.0f} ms | {f['p95']:.0f} ms | "
                f"{f['queries']} | {f['sql']:.0f} ms |"
            )
        return 0
    finally:
        from django.db import connections

        connections.close_all()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
