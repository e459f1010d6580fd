"""Inbound e-mail figures: how many messages per second `ingest_email` takes in (new cases,
replies, machine mail, quarantine; per-message p50/p95), how fast a message read twice is
recognised as a duplicate, and how fast one `mailbox.poll()` empties an IMAP inbox on
loopback (fetch + ingest + mark read).

    .venv/bin/python tests/bench/bench_inbound.py                      # embedded: SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python tests/bench/bench_inbound.py                  # PostgreSQL

The messages are the 40 of tests/cases/mail_corpus/ (four of them spoofed senders in RFC 2047
encoded words, which go to quarantine), cycled: each copy gets a Message-ID of its own (added
where the original has none), and each new case a sender address of its own
(`name+bNNNNNN@domain`), so every copy of a new message opens its own case for a new
customer; replies keep their customer and land on the tickets the manifest names, created
first. The confirmation and assignee e-mails are written to the outbox as always, but
`cases.tasks.enqueue_notification` (the publish after the commit) is a no-op here: no broker
is measured, none is needed.

Everything is scratch and loopback: a temporary VAR_DIR (the embedded SQLite database, the
attachment files under VAR_DIR/media, the secret key); with a postgres:// DATABASE_URL, a
database `pulso_bench_inbound_<pid>` created next to DATABASE_URL's, migrated, and dropped at
the end; a throwaway dovecot on 127.0.0.1 (tests/mailserver.py; skipped with a note when
dovecot is not installed). See tests/bench/README.md.
"""

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(BASE_DIR))

from tests.bench.bench_surveys import (  # noqa: E402
    create_postgres_database,
    drop_postgres_database,
)

CORPUS = BASE_DIR / "tests" / "cases" / "mail_corpus"
SUPPORT_EMAIL = "soporte@pulso.example"  # the corpus answers this desk (its own Message-IDs)
STAFF_DOMAIN = "@pulso.example"
MESSAGE_ID_HEADER = re.compile(rb"(?im)^message-id:[^\n]*\n(?:[ \t][^\n]*\n)*")
KINDS = (
    ("new case, text only", "new-text"),
    ("new case, files stored", "new-files"),
    ("reply threaded on its case", "threaded"),
    ("ignored (automatic mail, bounces, bulk)", "ignored"),
    ("quarantined (no sender, or a spoofed one)", "quarantined"),
)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--messages",
        type=int,
        default=2000,
        help="messages taken in by ingest_email, then again as duplicates (default 2000)",
    )
    parser.add_argument(
        "--imap-messages",
        type=int,
        default=500,
        help="messages in the IMAP inbox for the poll (default 500; 0: no IMAP run)",
    )
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="profile the first ingest pass with cProfile, write its stats to FILE and print "
        "the top functions (the pass is slower then: do not quote its figures)",
    )
    return parser.parse_args()


def percentile(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


# --- the messages -----------------------------------------------------------------------------


def split_headers(raw: bytes) -> tuple[bytes, bytes]:
    """(header block with its last line break, the rest from the empty line on)."""
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        end = raw.find(b"\n\n")
        return (raw, b"") if end < 0 else (raw[: end + 1], raw[end + 1 :])
    return raw[: end + 2], raw[end + 2 :]


def plus_address(address: str, tag: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local}+{tag}@{domain}"


class Corpus:
    """The manifest's messages, made into as many distinct copies as asked."""

    def __init__(self, references: dict[str, str]):
        """`references`: the manifest's PUL-00000N → the reference of the ticket created for
        it (they are the same on a fresh database; replaced anyway, as the corpus test does)."""
        self.entries = json.loads((CORPUS / "manifest.json").read_text())["messages"]
        self.raw = {}
        for entry in self.entries:
            raw = (CORPUS / entry["file"]).read_bytes()
            needed = entry.get("requires_ticket")
            if needed:
                number = needed["reference"].split("-")[1]
                real = references[needed["reference"]].encode()
                raw = re.sub(rf"PUL-{number}".encode(), real, raw, flags=re.IGNORECASE)
            self.raw[entry["file"]] = raw
        self.serial = 0

    def kind(self, entry) -> str:
        outcome = entry["expected_outcome"]
        if outcome == "created":
            stored = [a for a in entry["attachments"] if a["size"] > 0]
            return "new-files" if stored else "new-text"
        return outcome

    def copies(self, count: int) -> list[tuple[dict, bytes]]:
        made = []
        for _ in range(count):
            entry = self.entries[self.serial % len(self.entries)]
            self.serial += 1
            made.append((entry, self.copy(entry, f"b{self.serial:06d}")))
        return made

    def copy(self, entry, tag: str) -> bytes:
        raw = self.raw[entry["file"]]
        headers, body = split_headers(raw)
        newline = b"\r\n" if headers.endswith(b"\r\n") else b"\n"
        original = entry["message_id"] or f"{Path(entry['file']).stem}@bench.pulso.invalid"
        message_id = b"Message-ID: <" + f"{tag}.{original}".encode() + b">" + newline
        if MESSAGE_ID_HEADER.search(headers):
            headers = MESSAGE_ID_HEADER.sub(lambda _: message_id, headers, count=1)
        else:
            headers = message_id + headers
        sender = entry["sender"] or ""
        forwarded = entry.get("forwarded_from")
        if entry["expected_outcome"] == "created":
            if sender.lower().endswith(STAFF_DOMAIN) and forwarded:
                # A colleague forwards a customer's mail: the case is the forwarded sender's.
                old = forwarded["address"].encode()
                new = plus_address(forwarded["address"], tag).encode()
                body = re.sub(re.escape(old), new, body, flags=re.IGNORECASE)
            elif sender:
                old, new = sender.encode(), plus_address(sender, tag).encode()
                headers = re.sub(re.escape(old), new, headers, flags=re.IGNORECASE)
        return headers + body


# --- the desk ---------------------------------------------------------------------------------


def make_desk(entries) -> dict[str, str]:
    """A level-1 team with an agent, the colleague of the forwarded message, and the tickets
    the replies answer (PUL-000001…8, in order, for the manifest's customers)."""
    from django.contrib.auth.models import Group

    from cases.models import Channel, Customer, Team, User
    from cases.services import register_ticket

    agents = Group.objects.get_or_create(name="Agent")[0]
    team = Team.objects.create(name="Bench N1", level=1)
    agent = User.objects.create_user("bench-agent", "agent@bench.example")
    agent.groups.add(agents)
    team.members.add(agent)
    for entry in entries:
        sender = entry["sender"] or ""
        if sender.lower().endswith(STAFF_DOMAIN):
            colleague = User.objects.create_user(sender.split("@")[0], sender)
            colleague.groups.add(agents)
            team.members.add(colleague)
    agent = User.objects.get(pk=agent.pk)
    customers = {
        int(e["requires_ticket"]["reference"].split("-")[1]): e["requires_ticket"]["customer_email"]
        for e in entries
        if e.get("requires_ticket")
    }
    references = {}
    for number in range(1, max(customers) + 1):
        email = customers.get(number, f"earlier-{number}@bench.example")
        customer = Customer.objects.create(name=email.split("@")[0], email=email)
        ticket = register_ticket(
            by=agent,
            customer=customer,
            team=team,
            subject=f"Earlier case {number}",
            description="An earlier case the corpus's replies answer.",
            channel=Channel.EMAIL,
        )
        references[f"PUL-{number:06d}"] = ticket.reference
    return references


def quiet_publishing() -> None:
    """The outbox rows are written as always; publishing their task after the commit is not
    what is measured (and would need a broker)."""
    import cases.tasks

    cases.tasks.enqueue_notification = lambda notification_id: None


# --- the figures ------------------------------------------------------------------------------


def take_in(messages, corpus: Corpus, profile: str | None = None) -> dict:
    """ingest_email on every message, one at a time, each timed."""
    from cases.services.inbound import ingest_email

    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    outcomes: Counter[str] = Counter()
    wrong: Counter[str] = Counter()  # "file: outcome" of each message not taken in as expected
    per_kind: dict[str, list[float]] = defaultdict(list)
    times = []
    started = time.perf_counter()
    for entry, raw in messages:
        before = time.perf_counter()
        outcome = ingest_email(raw).outcome
        elapsed = time.perf_counter() - before
        times.append(elapsed)
        outcomes[outcome] += 1
        per_kind[corpus.kind(entry) if outcome != "duplicate" else "duplicate"].append(elapsed)
        if outcome not in (entry["expected_outcome"], "duplicate"):
            wrong[f"{entry['file']}: {outcome}"] += 1
    total = time.perf_counter() - started
    if profiler is not None:
        import pstats

        assert profile is not None, "the profiler runs only when given a file to write"
        profiler.disable()
        profiler.dump_stats(profile)
        print(f"\nProfile of the first pass written to {profile}; top functions:")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    return {
        "n": len(times),
        "total": total,
        "times": times,
        "outcomes": outcomes,
        "per_kind": per_kind,
        "wrong": wrong,
    }


def queries_per_kind(corpus: Corpus) -> dict[str, int]:
    """Statements one message of each kind costs (the median over its files; untimed)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cases.services.inbound import ingest_email

    counts: dict[str, list[int]] = defaultdict(list)
    messages = corpus.copies(len(corpus.entries))
    for entry, raw in messages:
        with CaptureQueriesContext(connection) as queries:
            ingest_email(raw)
        counts[corpus.kind(entry)].append(len(queries))
    entry, raw = messages[0]
    with CaptureQueriesContext(connection) as queries:
        assert ingest_email(raw).outcome == "duplicate"
    counts["duplicate"].append(len(queries))
    return {kind: int(statistics.median(values)) for kind, values in counts.items()}


def imap_poll(corpus: Corpus, count: int) -> dict | str:
    """`count` new messages in a dovecot INBOX, taken in by one mailbox.poll(batch=count)."""
    from tests.mailserver import LoopbackIMAP, dovecot_available

    if not dovecot_available():
        return "skipped: dovecot not installed (apt-get install dovecot-imapd)"
    from django.conf import settings

    from cases.services import mailbox

    server = LoopbackIMAP().start()
    try:
        messages = corpus.copies(count)
        started = time.perf_counter()
        with server.client() as client:
            for _entry, raw in messages:
                status, data = client.append('"INBOX"', None, None, raw)
                assert status == "OK", data
        appended = time.perf_counter() - started
        for name, value in server.settings().items():
            setattr(settings, name, value)
        settings.IMAP_FOLDER = "INBOX"
        settings.IMAP_PROCESSED_FOLDER = ""  # marked read where they are
        settings.IMAP_BATCH = count
        started = time.perf_counter()
        counts = mailbox.poll(batch=count)
        elapsed = time.perf_counter() - started
        left = len(server.uids("INBOX", "UNSEEN"))
    finally:
        server.stop()
    expected = Counter(entry["expected_outcome"] for entry, _raw in messages)
    return {
        "n": count,
        "elapsed": elapsed,
        "appended": appended,
        "counts": counts,
        "expected": expected,
        "left": left,
    }


# --- the report -------------------------------------------------------------------------------


def table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for number, row in enumerate(rows):
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |")
        if number == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def report(mode: str, first: dict, again: dict, queries: dict, imap, rss_kib: int) -> bool:
    """Print the figures; False when a message did not end as the manifest says."""
    print(f"\nPulso inbound e-mail — {mode}")
    print(
        "(cases.tasks.enqueue_notification patched to a no-op: the outbox rows are written, "
        "their tasks not published)\n"
    )
    outcomes = ", ".join(f"{name} {count}" for name, count in sorted(first["outcomes"].items()))
    rows: list[tuple[str, ...]] = [
        ("measure", "value"),
        (
            f"ingest_email, {first['n']} new messages",
            f"{first['n'] / first['total']:.1f} msg/s ({first['total']:.2f} s; {outcomes})",
        ),
        (
            "  per message",
            f"p50 {ms(statistics.median(first['times']))}, p95 "
            f"{ms(percentile(first['times'], 95))}, max {ms(max(first['times']))}",
        ),
        (
            f"ingest_email, the same {again['n']} again (duplicates)",
            f"{again['n'] / again['total']:.1f} msg/s ({again['total']:.2f} s; "
            f"{again['outcomes']['duplicate']} duplicate)",
        ),
        (
            "  per message",
            f"p50 {ms(statistics.median(again['times']))}, p95 "
            f"{ms(percentile(again['times'], 95))}",
        ),
    ]
    if isinstance(imap, str):
        rows.append(("mailbox.poll() over IMAP", imap))
    else:
        outcomes = ", ".join(f"{name} {count}" for name, count in sorted(imap["counts"].items()))
        rows.append(
            (
                f"mailbox.poll(batch={imap['n']}), dovecot on loopback",
                f"{imap['n'] / imap['elapsed']:.1f} msg/s ({imap['elapsed']:.2f} s; {outcomes}; "
                f"{imap['left']} left unread)",
            )
        )
    rows.append(("peak RSS of the process", f"{rss_kib / 1024:.0f} MiB"))
    table(rows)

    print()
    rows = [("kind (first pass)", "n", "msg/s", "p50", "p95", "queries")]
    for label, kind in (*KINDS, ("duplicate (second pass)", "duplicate")):
        times = (again if kind == "duplicate" else first)["per_kind"].get(kind, [])
        if not times:
            continue
        rows.append(
            (
                label,
                str(len(times)),
                f"{len(times) / sum(times):.1f}",
                ms(statistics.median(times)),
                ms(percentile(times, 95)),
                str(queries.get(kind, "")),
            )
        )
    table(rows)
    ok = True
    if first["wrong"] or set(again["outcomes"]) != {"duplicate"}:
        print(f"\nUNEXPECTED outcomes: {dict(first['wrong'])}; again: {dict(again['outcomes'])}")
        ok = False
    if not isinstance(imap, str) and (imap["left"] or +imap["counts"] != +imap["expected"]):
        print(f"\nUNEXPECTED IMAP outcomes: {dict(imap['counts'])}, expected {imap['expected']}")
        ok = False
    return ok


def main() -> int:
    args = parse_args()
    scratch = tempfile.mkdtemp(prefix="pulso-bench-inbound-")
    os.environ["VAR_DIR"] = scratch
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["SUPPORT_EMAIL"] = SUPPORT_EMAIL
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    admin_url = os.environ.get("DATABASE_URL", "")
    scratch_db = None
    if admin_url.startswith(("postgres://", "postgresql://")):
        scratch_db = f"pulso_bench_inbound_{os.getpid()}"
        os.environ["DATABASE_URL"] = create_postgres_database(admin_url, scratch_db)
    else:
        os.environ.pop("DATABASE_URL", None)  # the embedded SQLite in the scratch VAR_DIR
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        quiet_publishing()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SHOW server_version")
                mode = f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
        else:
            mode = "embedded SQLite"
        mode += f", {os.cpu_count()} CPUs"
        print(f"Measuring: {mode}", flush=True)

        entries = json.loads((CORPUS / "manifest.json").read_text())["messages"]
        corpus = Corpus(make_desk(entries))
        messages = corpus.copies(args.messages)
        first = take_in(messages, corpus, args.profile)
        print(f"  first pass: {first['n'] / first['total']:.1f} msg/s", flush=True)
        again = take_in(messages, corpus)
        print(f"  duplicates: {again['n'] / again['total']:.1f} msg/s", flush=True)
        queries = queries_per_kind(corpus)
        imap = imap_poll(corpus, args.imap_messages) if args.imap_messages else "not run"
        if not isinstance(imap, str):
            print(f"  IMAP poll: {imap['n'] / imap['elapsed']:.1f} msg/s", flush=True)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        ok = report(mode, first, again, queries, imap, rss)
    finally:
        if scratch_db:
            from django.db import connections

            connections.close_all()
            drop_postgres_database(admin_url, scratch_db)
        shutil.rmtree(scratch, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
