"""Survey delivery figures (issue 3): how many surveys one Celery worker sends per second to an
SMTP server on loopback, and how long a survey takes from the resolution to the SMTP server
with SURVEY_SEND_DELAY=0 (median, p95).

    .venv/bin/python tests/bench/bench_surveys.py              # embedded: SQLite + folder broker
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/x REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python tests/bench/bench_surveys.py          # PostgreSQL + Redis

Everything is scratch and loopback: a temporary VAR_DIR (SQLite database, broker folder,
secret key), a temporary PostgreSQL database created next to DATABASE_URL's and dropped at the
end, a Celery queue of its own on REDIS_URL, an aiosmtpd server on 127.0.0.1. The worker is a
real `celery -A config worker` subprocess with the production settings (config.settings).
See tests/bench/README.md.
"""

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(BASE_DIR))

from tests.surveys.smtp import SURVEY_MAILS, LoopbackSMTP, WorkerProcess, smtp_environment  # noqa: E402

if TYPE_CHECKING:
    from celery import Celery


def parse_args():
    on_redis = bool(os.environ.get("REDIS_URL"))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sends",
        type=int,
        default=500 if on_redis else 30,
        help="due invitations per throughput run (default 500 on Redis, 30 on the folder "
        "broker, which the worker polls)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        nargs="+",
        default=[1, 2],
        help="worker pool sizes to measure the throughput with (default: 1 2; the Procfile runs 2)",
    )
    parser.add_argument(
        "--resolutions", type=int, default=100, help="resolutions timed to the SMTP server"
    )
    parser.add_argument(
        "--gap",
        type=float,
        default=0.1 if on_redis else 0.5,
        help="mean pause between the timed resolutions, drawn from [0, 2 × gap] so that they "
        "do not fall in step with the folder broker's polling (default 0.1 s on Redis, "
        "0.5 s on the folder broker)",
    )
    parser.add_argument(
        "--worker-settings",
        default="config.settings",
        help="DJANGO_SETTINGS_MODULE of the worker (to try a settings change)",
    )
    return parser.parse_args()


# --- scratch databases ------------------------------------------------------------------------


def _admin_connection(url: str):
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(
        host=parts.hostname or "localhost",
        port=parts.port or 5432,
        user=parts.username or None,
        password=parts.password or None,
        dbname="postgres",
        autocommit=True,
    )


def create_postgres_database(url: str, name: str) -> str:
    with _admin_connection(url) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def drop_postgres_database(url: str, name: str) -> None:
    with _admin_connection(url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- the figures ------------------------------------------------------------------------------


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


class Bench:
    def __init__(self, args, smtp: LoopbackSMTP, queue: str):
        from django.contrib.auth.models import Group

        from cases.models import Channel, Customer, Team, User
        from cases.services import add_reply, register_ticket, resolve_ticket

        self.args, self.smtp, self.queue = args, smtp, queue
        self.Channel, self.Customer = Channel, Customer
        self.add_reply, self.register_ticket, self.resolve_ticket = (
            add_reply,
            register_ticket,
            resolve_ticket,
        )
        self.team = Team.objects.create(name="Bench", level=1)
        self.agent = User.objects.create_user("bench-agent", "agent@bench.example")
        self.agent.groups.add(Group.objects.get_or_create(name="Agent")[0])
        self.team.members.add(self.agent)
        self.agent = User.objects.get(pk=self.agent.pk)
        self.serial = 0

    def open_tickets(self, count: int) -> list:
        """`count` open tickets of as many customers (a customer is surveyed once a week)."""
        tickets = []
        for _ in range(count):
            self.serial += 1
            customer = self.Customer.objects.create(
                name=f"Customer {self.serial}", email=f"c{self.serial}@bench.example"
            )
            ticket = self.register_ticket(
                by=self.agent,
                customer=customer,
                team=self.team,
                assignee=self.agent,
                subject=f"Bench case {self.serial}",
                description="The printer blinks orange.",
                channel=self.Channel.PHONE,
            )
            self.add_reply(ticket=ticket, by=self.agent, body="Here is the fix.")
            tickets.append(ticket)
        return tickets

    def resolve(self, ticket):
        return self.resolve_ticket(ticket=ticket, by=self.agent, resolution="Fixed.")

    def due_invitations(self, count: int) -> list[int]:
        """Resolved with the default delay (nothing enqueued), then made due."""
        from datetime import timedelta

        from django.conf import settings
        from django.utils import timezone

        from surveys.models import SurveyInvitation

        delay, settings.SURVEY_SEND_DELAY = settings.SURVEY_SEND_DELAY, 600
        try:
            tickets = [self.resolve(t) for t in self.open_tickets(count)]
        finally:
            settings.SURVEY_SEND_DELAY = delay
        invitations = SurveyInvitation.objects.filter(ticket__in=tickets)
        invitations.update(send_after=timezone.now() - timedelta(seconds=1))
        return list(invitations.values_list("pk", flat=True))

    def worker(self, concurrency: int, label: str) -> WorkerProcess:
        return WorkerProcess(
            env={"DJANGO_SETTINGS_MODULE": self.args.worker_settings},
            concurrency=concurrency,
            log_path=Path(os.environ["VAR_DIR"]) / f"worker-{label}.log",
            name=f"bench-{label}",
            extra_args=("-Q", self.queue),
        )

    def wait_for(self, count: int, what: str, timeout: float):
        if not self.smtp.wait_for(count, timeout=timeout):
            logs = "".join(
                f"\n--- {log.name}\n{log.read_text()[-3000:]}"
                for log in sorted(Path(os.environ["VAR_DIR"]).glob("worker-*.log"))
            )
            raise SystemExit(f"{what}: only {self.smtp.count()} of {count} e-mails arrived{logs}")

    def warm_up(self):
        """One survey through the fresh worker, so start-up is not measured."""
        from surveys.tasks import enqueue_invitation

        self.smtp.clear()
        [pk] = self.due_invitations(1)
        enqueue_invitation(pk)
        self.wait_for(1, "warm-up", timeout=60)
        self.smtp.clear()

    def throughput(self, concurrency: int) -> dict:
        from surveys.models import InvitationStatus, SurveyInvitation
        from surveys.tasks import enqueue_invitation

        n = self.args.sends
        with self.worker(concurrency, f"c{concurrency}"):
            self.warm_up()
            ids = self.due_invitations(n)
            started = time.monotonic()
            for pk in ids:
                enqueue_invitation(pk)
            published = time.monotonic() - started
            self.wait_for(n, f"throughput c={concurrency}", timeout=max(120, n * 2))
            arrivals = sorted(r.at for r in self.smtp.received)
            time.sleep(0.5)
        sent = SurveyInvitation.objects.filter(pk__in=ids, status=InvitationStatus.SENT).count()
        per_address = self.smtp.per_recipient()
        elapsed = arrivals[-1] - started
        return {
            "concurrency": concurrency,
            "n": n,
            "elapsed": elapsed,
            "rate": n / elapsed,
            "steady": (n - 1) / (arrivals[-1] - arrivals[0]) if n > 1 else float("nan"),
            "published": published,
            "sent": sent,
            "duplicates": sum(c - 1 for c in per_address.values() if c > 1),
        }

    def latency(self, concurrency: int) -> dict:
        from django.conf import settings

        settings.SURVEY_SEND_DELAY = 0  # the fast path: published on commit
        tickets = self.open_tickets(self.args.resolutions)
        to_mail, requests = [], []
        with self.worker(concurrency, "latency"):
            self.warm_up()
            for ticket in tickets:
                before = self.smtp.count()
                started = time.monotonic()
                self.resolve(ticket)  # commits, then publishes (on_commit)
                requests.append(time.monotonic() - started)
                self.wait_for(before + 1, "latency", timeout=30)
                received = self.smtp.received[before]
                assert received.rcpt_tos == [ticket.customer.email], received.rcpt_tos
                to_mail.append(received.at - started)
                time.sleep(random.uniform(0, 2 * self.args.gap))
        return {
            "concurrency": concurrency,
            "n": len(to_mail),
            "median": statistics.median(to_mail),
            "p95": percentile(to_mail, 95),
            "max": max(to_mail),
            "resolve_median": statistics.median(requests),
            "resolve_p95": percentile(requests, 95),
        }


def report(mode: str, throughputs: list[dict], latency: dict) -> None:
    rows = [("measure", "value")]
    for t in throughputs:
        rows.append(
            (
                f"surveys/s, 1 worker, concurrency {t['concurrency']} ({t['n']} due)",
                f"{t['rate']:.1f}/s  ({t['n']} in {t['elapsed']:.2f} s; steady "
                f"{t['steady']:.1f}/s; {t['sent']} sent, {t['duplicates']} duplicates)",
            )
        )
    ms = 1000
    rows += [
        (
            f"resolve → e-mail received, delay 0 (n={latency['n']}, c={latency['concurrency']})",
            f"median {latency['median'] * ms:.0f} ms, p95 {latency['p95'] * ms:.0f} ms, "
            f"max {latency['max'] * ms:.0f} ms",
        ),
        (
            "resolve_ticket call (commit + publish)",
            f"median {latency['resolve_median'] * ms:.1f} ms, "
            f"p95 {latency['resolve_p95'] * ms:.1f} ms",
        ),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"\nPulso survey delivery — {mode}")
    for i, (name, value) in enumerate(rows):
        print(f"  {name:<{width}}  {value}")
        if i == 0:
            print(f"  {'-' * width}  {'-' * 40}")


def main() -> int:
    args = parse_args()
    scratch = tempfile.mkdtemp(prefix="pulso-bench-")
    os.environ["VAR_DIR"] = scratch
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    admin_url = os.environ.get("DATABASE_URL", "")
    scratch_db = None
    if admin_url.startswith(("postgres://", "postgresql://")):
        scratch_db = f"pulso_bench_{os.getpid()}"
        os.environ["DATABASE_URL"] = create_postgres_database(admin_url, scratch_db)
    else:
        os.environ.pop("DATABASE_URL", None)  # the embedded SQLite in the scratch VAR_DIR
    smtp = LoopbackSMTP(kinds=SURVEY_MAILS).start()
    os.environ.update(smtp_environment(smtp))
    queue = f"pulso-bench-{os.getpid()}"
    app: Celery | None = None  # the app once imported, to purge our queue at the end
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection

        from config.celery import app as celery_app

        app = celery_app
        celery_app.conf.task_default_queue = queue  # a queue of its own: no other worker takes ours
        call_command("migrate", verbosity=0)
        broker = "Redis" if settings.CELERY_BROKER_URL.startswith("redis") else "folder broker"
        mode = (
            f"{connection.vendor} + {broker}, SMTP on 127.0.0.1:{smtp.port}, "
            f"{os.cpu_count()} CPUs, worker settings {args.worker_settings}"
        )
        print(f"Measuring: {mode}", flush=True)
        bench = Bench(args, smtp, queue)
        throughputs = []
        for concurrency in args.concurrency:
            throughputs.append(bench.throughput(concurrency))
            print(f"  throughput c={concurrency}: {throughputs[-1]['rate']:.1f}/s", flush=True)
        latency = bench.latency(max(args.concurrency))
        report(mode, throughputs, latency)
    finally:
        if app is not None:
            app.control.purge()
        smtp.stop()
        if scratch_db:
            from django.db import connections

            connections.close_all()
            drop_postgres_database(admin_url, scratch_db)
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
