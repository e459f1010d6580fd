"""The insights models at 100 000 tickets (the insights issue): how long each kind of model
takes to train and how much memory the training process needs at its peak (targets: under
2 minutes and under 2 GiB), what it learned (the hold-out figures against the
commonest-value baseline), and how long reading one ticket with the triage model takes.

    .venv/bin/python tests/bench/bench_insights.py --only sqlite          # the embedded default
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python tests/bench/bench_insights.py                    # PostgreSQL, then SQLite

Each database is a scratch one: PostgreSQL `pulso_bench_insights_<pid>` next to
DATABASE_URL's (created, migrated, dropped at the end), SQLite a file in a temporary folder
(the models are written there too). Three child processes per database, so that the
training's memory is its own: the first migrates and seeds the desk (`metrics.seed` with
`conversations`: per-category Spanish and English subjects and descriptions, as
`seed_bench --conversations` writes; then a share of the high and urgent tickets say so in
words, so that priority has something to learn from); the second trains every registered
kind as `train_all(force=True)` does, one after the other, reading the kernel's peak RSS
(VmHWM, reset before each kind) around each; the third loads the triage model and reads
--predictions tickets one at a time. See tests/bench/README.md.
"""

import argparse
import importlib
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(BASE_DIR))

from tests.bench.bench_surveys import (  # noqa: E402
    create_postgres_database,
    drop_postgres_database,
)

TARGET_SECONDS = 120.0
TARGET_BYTES = 2 * 1024**3
MARK = "@@bench@@ "  # a child's result line, JSON after the mark

# What a customer adds when the case is pressing (or not): priority in the customer's words.
PRESSING = {
    "urgent": {
        "es": [
            "Es urgente, lo necesito hoy mismo.",
            "El servicio está caído y no podemos trabajar.",
            "Es muy urgente, tenemos clientes esperando.",
            "Necesitamos una solución inmediatamente.",
            "Estamos parados desde esta mañana.",
        ],
        "en": [
            "This is urgent, I need it today.",
            "The service is down and we cannot work.",
            "Very urgent, we have customers waiting.",
            "We need a fix immediately.",
            "We have been stuck since this morning.",
        ],
    },
    "high": {
        "es": [
            "Lo necesito cuanto antes.",
            "Nos está afectando bastante.",
            "Por favor, dadle prioridad.",
            "Es importante para nosotros esta semana.",
        ],
        "en": [
            "I need this as soon as possible.",
            "It is affecting us quite a lot.",
            "Please give it priority.",
            "It matters to us this week.",
        ],
    },
    "low": {
        "es": ["No corre prisa.", "Cuando podáis, sin prisa.", "Es solo una consulta."],
        "en": ["No rush.", "Whenever you can, no hurry.", "Just a question."],
    },
}
# priority → [(what it says, chance)]: most urgent cases say so, a few others too.
SAYS = {
    "urgent": [("urgent", 0.75), ("high", 0.1)],
    "high": [("high", 0.5), ("urgent", 0.1)],
    "normal": [("high", 0.05), ("urgent", 0.02), ("low", 0.05)],
    "low": [("low", 0.35), ("high", 0.02)],
}
SUBJECT_PREFIX = {"es": "Urgente: ", "en": "Urgent: "}
# What customers write in a survey's comment, by how their CSAT went (the seed writes scores
# only; the sentiment model learns from comments).
COMMENTS = {
    "unhappy": {
        "es": [
            "Nadie me ha solucionado nada, muy mal servicio.",
            "He tenido que escribir tres veces para que me contestéis.",
            "Tardasteis demasiado y el problema sigue igual.",
            "La atención fue lenta y poco amable.",
            "No volveré a comprar aquí, una experiencia horrible.",
            "Me cerrasteis el caso sin resolverlo.",
        ],
        "en": [
            "Nobody solved anything, terrible service.",
            "I had to write three times before anyone answered.",
            "It took far too long and the problem is still there.",
            "Slow and unfriendly support.",
            "You closed my case without fixing it.",
        ],
    },
    "happy": {
        "es": [
            "Muy rápidos y amables, gracias.",
            "Me lo solucionaron a la primera, genial.",
            "Excelente atención, todo perfecto.",
            "La agente fue muy clara y resolvió todo en un momento.",
            "Muy contento con la respuesta, gracias por la ayuda.",
        ],
        "en": [
            "Quick and friendly, thank you.",
            "Solved on the first try, great job.",
            "Excellent support, everything is fine now.",
            "The agent was clear and fixed it in minutes.",
        ],
    },
    "mixed": {
        "es": ["Se resolvió, aunque tardó un poco.", "Bien, pero tuve que insistir."],
        "en": ["It got solved, though it took a while.", "Fine, but I had to chase it."],
    },
}
COMMENTED = 0.5  # share of the seeded answers with a comment


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--predictions", type=int, default=1000, help="tickets read one at a time")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kinds", nargs="+", help="train only these kinds (default: every one)")
    parser.add_argument(
        "--only", choices=["postgres", "sqlite"], help="one database (default: both)"
    )
    parser.add_argument("--child", choices=["seed", "train", "predict"], help=argparse.SUPPRESS)
    return parser.parse_args()


def result(payload: dict) -> None:
    print(MARK + json.dumps(payload), flush=True)


def peak_rss_kib() -> int:
    """The process's peak resident set since it started or since `reset_peak` (VmHWM)."""
    status = Path("/proc/self/status").read_text()
    found = re.search(r"VmHWM:\s+(\d+)", status)
    return int(found.group(1)) if found else 0


def reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


# --- the children (DATABASE_URL names the scratch database) --------------------------------------


def seed_desk(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from cases.models import Ticket
    from metrics import seed as seeding

    call_command("migrate", verbosity=0)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            server = f"PostgreSQL {cursor.fetchone()[0]}"
    else:
        import sqlite3

        server = f"SQLite {sqlite3.sqlite_version}"
    started = time.monotonic()
    seeding.seed(args.tickets, seed=args.seed, progress=False, conversations=True)
    seeded = time.monotonic() - started
    rng = random.Random(f"{args.seed}-pressing")
    changed = []
    rows = Ticket.objects.order_by("pk").values_list(
        "pk", "priority", "customer__language", "subject"
    )
    for pk, priority, language, subject in rows.iterator(chunk_size=5000):
        language = language if language in ("es", "en") else "es"
        for says, chance in SAYS.get(priority, []):
            if rng.random() < chance:
                words = rng.choice(PRESSING[says][language])
                if says == "urgent" and rng.random() < 0.4:
                    subject = SUBJECT_PREFIX[language] + subject[0].lower() + subject[1:]
                changed.append((subject, " " + words, pk))
                break
    table = connection.ops.quote_name(Ticket._meta.db_table)
    update = f"UPDATE {table} SET subject = %s, description = description || %s WHERE id = %s"  # noqa: S608 - the model's own table
    with transaction.atomic(), connection.cursor() as cursor:
        # PostgreSQL: the search trigger would rewrite each changed ticket's document on its
        # own (tens of ms each); as a superuser, skip it and refresh them all in one call.
        fast = connection.vendor == "postgresql" and seeding._skip_foreign_key_checks()
        cursor.executemany(update, changed)
        if fast:
            cursor.execute("SET LOCAL session_replication_role = origin")
            cursor.execute(
                "SELECT pulso_search_refresh(%s::bigint[], true)", [[pk for *_, pk in changed]]
            )
    commented = comment_answers(rng)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    from insights.models import ModelKind
    from insights.training import TRAINERS

    result(
        {
            "server": server,
            "tickets": Ticket.objects.count(),
            "seed_seconds": round(seeded, 1),
            "pressing": len(changed),
            "comments": commented,
            "seconds": round(time.monotonic() - started, 1),
            "kinds": [kind for kind in ModelKind.values if kind in TRAINERS],
        }
    )


def comment_answers(rng: random.Random) -> int:
    """Give COMMENTED of the seeded survey answers a comment their CSAT agrees with (one in
    ten says the other thing: customers are not consistent). Answers how many."""
    from django.db import connection, transaction

    from surveys.models import SurveyResponse

    rows = SurveyResponse.objects.order_by("pk").values_list(
        "pk", "csat", "ticket__customer__language"
    )
    changed = []
    for pk, csat, language in rows.iterator(chunk_size=5000):
        if rng.random() >= COMMENTED:
            continue
        language = language if language in ("es", "en") else "es"
        mood = "mixed" if csat in (None, 3) else "unhappy" if csat <= 2 else "happy"
        if mood != "mixed" and rng.random() < 0.1:
            mood = "happy" if mood == "unhappy" else "unhappy"
        pool = COMMENTS[mood][language]
        changed.append((" ".join(rng.sample(pool, rng.randint(1, 2))), pk))
    table = connection.ops.quote_name(SurveyResponse._meta.db_table)
    update = f"UPDATE {table} SET comment = %s WHERE id = %s"  # noqa: S608 - the model's table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(update, changed)
    return len(changed)


def train(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.conf import settings

    from insights.models import ModelKind
    from insights.services.training import train_model
    from insights.training import TRAINERS

    at_start = peak_rss_kib()
    # As train_all(force=True): every kind with a trainer, in ModelKind's order.
    for kind in [kind for kind in ModelKind.values if kind in TRAINERS]:
        if args.kinds and kind not in args.kinds:
            continue
        exact = reset_peak()
        started = time.perf_counter()
        record = train_model(kind=kind, force=True)
        wall = time.perf_counter() - started
        artefact = Path(settings.INSIGHTS_MODEL_DIR) / record.artifact if record.artifact else None
        result(
            {
                "kind": kind,
                "status": record.status,
                "message": record.message,
                "seconds": record.seconds,
                "wall": round(wall, 2),
                "documents": record.documents,
                "bytes": artefact.stat().st_size if artefact and artefact.exists() else 0,
                "peak_kib": peak_rss_kib(),
                "peak_exact": exact,
                "start_kib": at_start,
                "quality": record.quality,
            }
        )


def percentiles(times: list[float]) -> dict:
    times = sorted(times)
    return {
        "median": statistics.median(times),
        "p95": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))],
        "max": times[-1],
    }


def predict(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from cases.models import Status, Ticket
    from insights import store
    from insights.training.triage import ticket_text

    started = time.perf_counter()
    loaded = store.load("triage")
    load_ms = (time.perf_counter() - started) * 1000
    if loaded is None:
        result({"error": "no triage model"})
        return
    _record, payload = loaded
    words, classifiers = payload["vectorizer"], payload["classifiers"]
    tickets = list(
        Ticket.objects.exclude(status=Status.MERGED)
        .order_by("-created_at", "-pk")
        .values_list("subject", "description")[: args.predictions]
    )
    figures: dict[str, dict] = {}

    def direct(subject: str, description: str) -> None:
        matrix = words.transform([ticket_text(subject, description)])
        for classifier in classifiers.values():
            classifier.predict_proba(matrix)

    def transform(subject: str, description: str) -> None:
        words.transform([ticket_text(subject, description)])

    cases = [
        ("vectorizer.transform", transform),
        ("transform + predict_proba (every field)", direct),
    ]
    try:
        predicting: Any = importlib.import_module("insights.predict")
    except ImportError:
        predicting = None
    for name in ("triage_suggestions", "suggest"):
        function = getattr(predicting, name, None)
        if function is not None:
            cases.append((f"insights.predict.{name}(subject, description)", function))
            break
    for name, function in cases:
        for subject, description in tickets[:20]:  # warm-up: caches, first query
            function(subject, description)
        times = []
        for subject, description in tickets:
            begun = time.perf_counter()
            function(subject, description)
            times.append((time.perf_counter() - begun) * 1000)
        figures[name] = percentiles(times)
    result({"load_ms": load_ms, "tickets": len(tickets), "figures": figures})


# --- the parent --------------------------------------------------------------------------------


def run_child(mode: str, args: argparse.Namespace, env: dict[str, str]) -> tuple[list[dict], int]:
    """Run a child; answers its result lines and its peak RSS in KiB (from wait4)."""
    command = [sys.executable, __file__, "--child", mode]
    command += ["--tickets", str(args.tickets), "--predictions", str(args.predictions)]
    command += ["--seed", str(args.seed)]
    if args.kinds:
        command += ["--kinds", *args.kinds]
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    lines = []
    assert child.stdout is not None
    for line in child.stdout:
        if line.startswith(MARK):
            lines.append(json.loads(line[len(MARK) :]))
        else:
            print(line, end="", flush=True)
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"the {mode} child failed ({child.returncode})")
    return lines, usage.ru_maxrss


def mib(kib: int) -> str:
    return f"{kib / 1024:,.0f} MiB"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report_training(lines: list[dict], child_peak_kib: int) -> bool:
    print(
        f"\n{'kind':<10} {'status':<16} {'seconds':>8} {'documents':>10} {'artefact':>10} "
        f"{'peak RSS':>10}  targets (< {TARGET_SECONDS:.0f} s, < 2 GiB)"
    )
    ok = True
    for line in lines:
        peak = line["peak_kib"]
        # Too little data is a state (the desk has no such texts), not a failure.
        passed = (
            line["seconds"] < TARGET_SECONDS
            and peak * 1024 < TARGET_BYTES
            and line["status"] != "failed"
        )
        ok = ok and passed
        exact = "" if line["peak_exact"] else " (since start)"
        print(
            f"{line['kind']:<10} {line['status']:<16} {line['seconds']:>8.1f} "
            f"{line['documents']:>10,} {line['bytes'] / 1024**2:>7.1f} MiB "
            f"{mib(peak):>10}{exact}  {verdict(passed)}"
        )
        if line["message"]:
            print(f"    {line['message']}")
    total = sum(line["seconds"] for line in lines)
    # The peak is reset before each kind, which resets the process's ru_maxrss too.
    child_peak_kib = max([child_peak_kib, *(line["peak_kib"] for line in lines)])
    all_ok = total < TARGET_SECONDS and child_peak_kib * 1024 < TARGET_BYTES
    print(
        f"{'all kinds':<10} {'(train_all)':<16} {total:>8.1f} {'':>10} {'':>10} "
        f"{mib(child_peak_kib):>10}  {verdict(all_ok)}"
    )
    if lines:
        print(f"(the process held {mib(lines[0]['start_kib'])} before training: Django, numpy…)")
    for line in lines:
        fields = line["quality"].get("fields")
        if not fields:
            if line["quality"]:
                print(f"\n{line['kind']} quality: {json.dumps(line['quality'])[:400]}")
            continue
        print(
            f"\n{line['kind']} on the newest fifth: "
            f"{'field':<9} {'values':>6} {'accuracy':>9} {'baseline':>9} "
            f"{'macro-F1':>9} {'baseline':>9} {'tested on':>10}"
        )
        for field, figures in fields.items():
            print(
                f"{'':<{len(line['kind']) + 21}}{field:<9} {figures['values']:>6} "
                f"{figures['accuracy']:>9.3f} {figures['baseline_accuracy']:>9.3f} "
                f"{figures['macro_f1']:>9.3f} {figures['baseline_macro_f1']:>9.3f} "
                f"{figures['tested_on']:>10,}"
            )
    return ok and all_ok


def report_predictions(line: dict) -> None:
    if "error" in line:
        print(f"\nprediction: {line['error']}")
        return
    print(
        f"\nreading one ticket with the triage model ({line['tickets']:,} tickets, one at a "
        f"time; the model loaded in {line['load_ms']:.0f} ms)"
    )
    print(f"{'':<58} {'median':>9} {'p95':>9} {'max':>9}")
    for name, figures in line["figures"].items():
        print(
            f"{name:<58} {figures['median']:>6.2f} ms {figures['p95']:>6.2f} ms "
            f"{figures['max']:>6.1f} ms"
        )


def bench(args: argparse.Namespace, env: dict[str, str]) -> bool:
    started = time.monotonic()
    (desk,), _ = run_child("seed", args, env)
    print(
        f"{desk['server']}, {os.cpu_count()} CPUs: {desk['tickets']:,} tickets seeded in "
        f"{desk['seed_seconds']:.0f} s ({desk['pressing']:,} say how pressing they are, "
        f"{desk['comments']:,} survey answers with a comment); "
        f"kinds: {', '.join(desk['kinds'])}",
        flush=True,
    )
    lines, peak = run_child("train", args, env)
    ok = report_training(lines, peak)
    if any(line["kind"] == "triage" and line["status"] == "ready" for line in lines):
        (prediction,), _ = run_child("predict", args, env)
        report_predictions(prediction)
    print(f"\n{verdict(ok)} ({time.monotonic() - started:.0f} s in all)\n", flush=True)
    return ok


def main() -> int:
    args = parse_args()
    # Stopped (kill PID): the scratch database is dropped and the folder removed all the same.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.child:
        {"seed": seed_desk, "train": train, "predict": predict}[args.child](args)
        return 0
    scratch = tempfile.mkdtemp(prefix="pulso-bench-insights-")
    env = {
        **os.environ,
        "VAR_DIR": scratch,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LOG_LEVEL": "WARNING",
        "INSIGHTS_MODEL_DIR": f"{scratch}/models",
    }
    env.pop("REDIS_URL", None)
    admin_url = os.environ.get("DATABASE_URL", "")
    postgres = admin_url.startswith(("postgres://", "postgresql://"))
    ok = True
    try:
        if args.only == "postgres" or (args.only is None and postgres):
            if not postgres:
                raise SystemExit("PostgreSQL needs DATABASE_URL=postgres://… (or --only sqlite)")
            name = f"pulso_bench_insights_{os.getpid()}"
            url = create_postgres_database(admin_url, name)
            try:
                ok = bench(args, {**env, "DATABASE_URL": url}) and ok
            finally:
                drop_postgres_database(admin_url, name)
        if args.only in (None, "sqlite"):
            url = f"sqlite:///{scratch}/bench.sqlite3"
            ok = bench(args, {**env, "DATABASE_URL": url}) and ok
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
