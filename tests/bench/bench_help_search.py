"""The help-centre search at 10 000 articles (issue 17): how long `/help/search/?q=` takes
to its page — the search, its count, the log row and the template — for a rare word, a common
word, an accented and an unaccented spelling, two words, and a search that finds nothing.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python tests/bench/bench_help_search.py            # PostgreSQL, then SQLite
    .venv/bin/python tests/bench/bench_help_search.py --only sqlite

PostgreSQL: a scratch database `pulso_bench_help_<pid>` next to DATABASE_URL's, dropped at
the end. SQLite: a scratch file in a temporary folder. Each is migrated and filled with
--articles published articles (Spanish and English text from a fixed vocabulary, written in
bulk: the trigger keeps PostgreSQL's search column), then each search is timed --runs times
after one warm-up, in-process with Django's test client: median and p95. See
tests/bench/README.md.
"""

import argparse
import os
import random
import shutil
import statistics
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

WORDS_ES = [
    "envío",
    "pedido",
    "factura",
    "contraseña",
    "cuenta",
    "pago",
    "tarjeta",
    "devolución",
    "reembolso",
    "dirección",
    "entrega",
    "paquete",
    "seguimiento",
    "cambio",
    "producto",
    "garantía",
    "suscripción",
    "plan",
    "correo",
    "acceso",
    "sesión",
    "usuario",
    "perfil",
    "teléfono",
    "notificación",
    "descuento",
    "cupón",
    "precio",
    "impuesto",
    "cancelar",
    "configuración",
    "aplicación",
    "navegador",
    "móvil",
    "error",
    "página",
    "archivo",
    "descarga",
    "informe",
]
WORDS_EN = [
    "shipping",
    "order",
    "invoice",
    "password",
    "account",
    "payment",
    "card",
    "return",
    "refund",
    "address",
    "delivery",
    "parcel",
    "tracking",
    "change",
    "product",
    "warranty",
    "subscription",
    "plan",
    "email",
    "access",
    "session",
    "user",
    "profile",
    "phone",
    "notification",
    "discount",
    "coupon",
    "price",
    "tax",
    "cancel",
    "settings",
    "application",
    "browser",
    "mobile",
    "error",
    "page",
    "file",
    "download",
    "report",
]
FILLER = [
    "cómo",
    "para",
    "con",
    "una",
    "los",
    "las",
    "del",
    "por",
    "que",
    "sin",
    "más",
    "tu",
    "su",
    "hay",
    "the",
    "and",
    "with",
    "your",
    "you",
    "how",
]
RARE = "zarzaparrilla"  # in about one article in a thousand

SEARCHES = [
    ("rare word", RARE),
    ("common word, accented", "envío"),
    ("common word, unaccented", "envio"),
    ("accented, in capitals", "CONTRASENA"),
    ("two words", "factura pago"),
    ("English words", "refund card"),
    ("nothing found", "inexistentísimo"),
]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30, help="timed runs per search")
    parser.add_argument(
        "--only", choices=["postgres", "sqlite"], help="one database (default: both)"
    )
    parser.add_argument("--child", choices=["postgres", "sqlite"], help=argparse.SUPPRESS)
    return parser.parse_args()


def sentence(rng: random.Random, words: list[str], length: int) -> str:
    return " ".join(rng.choice(words + FILLER) for _ in range(length))


def fill(count: int) -> None:
    from django.utils import timezone

    from cases.models import User
    from knowledge.models import Article, Category, Section, Status
    from knowledge.search import folded_words

    rng = random.Random(17)
    author = User.objects.create(username="bench-writer")
    sections = []
    for c in range(10):
        category = Category.objects.create(slug=f"c{c}", name_es=f"Categoría {c}")
        for s in range(5):
            sections.append(
                Section.objects.create(category=category, slug=f"s{s}", name_es=f"Sección {s}")
            )
    now = timezone.now()
    batch = []
    for n in range(count):
        body_es = "\n\n".join(sentence(rng, WORDS_ES, 40) for _ in range(4))
        if n % 1000 == 0:
            body_es += f" {RARE}"
        body_en = "\n\n".join(sentence(rng, WORDS_EN, 40) for _ in range(4)) if n % 2 else ""
        batch.append(
            Article(
                section=sections[n % len(sections)],
                slug=f"article-{n}",
                status=Status.PUBLISHED,
                author=author,
                title_es=sentence(rng, WORDS_ES, 6).capitalize(),
                body_es=body_es,
                html_es=f"<p>{body_es}</p>",
                title_en=sentence(rng, WORDS_EN, 6).capitalize() if n % 2 else "",
                body_en=body_en,
                html_en=f"<p>{body_en}</p>" if body_en else "",
                updated_at=now,
                published_at=now,
            )
        )
        article = batch[-1]
        article.search_title = folded_words(article.title_es, article.title_en)
        article.search_body = folded_words(article.body_es, article.body_en)
        if len(batch) == 2000:
            Article.objects.bulk_create(batch)
            batch = []
    Article.objects.bulk_create(batch)


def measure(kind: str, args: argparse.Namespace) -> None:
    """In the child process: DATABASE_URL names the scratch database."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0)
    started = time.monotonic()
    fill(args.articles)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE knowledge_article")
            cursor.execute("SHOW server_version")
            server = f"PostgreSQL {cursor.fetchone()[0]}"
    else:
        import sqlite3

        server = f"SQLite {sqlite3.sqlite_version}"
    print(
        f"{server}, {os.cpu_count()} CPUs: {args.articles:,} articles written in "
        f"{time.monotonic() - started:.1f} s",
        flush=True,
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="es")
    print(f"{'search':<26} {'q':<18} {'found':>6} {'median':>9} {'p95':>9}")
    for name, q in SEARCHES:
        response = client.get("/help/search/", {"q": q})
        assert response.status_code == 200, response.status_code
        found = response.context["count"]
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            response = client.get("/help/search/", {"q": q})
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(
            f"{name:<26} {q:<18} {found:>6} {statistics.median(times):>7.1f} ms {p95:>6.1f} ms",
            flush=True,
        )


def run_child(kind: str, args: argparse.Namespace, env: dict[str, str]) -> None:
    command = [
        sys.executable,
        __file__,
        "--child",
        kind,
        "--articles",
        str(args.articles),
        "--runs",
        str(args.runs),
    ]
    subprocess.run(command, env=env, check=True)


def main() -> int:
    args = parse_args()
    if args.child:
        measure(args.child, args)
        return 0
    scratch = tempfile.mkdtemp(prefix="pulso-bench-help-")
    env = {
        **os.environ,
        "VAR_DIR": scratch,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LOG_LEVEL": "WARNING",
        # Every timed search is a request from one address: no limit here.
        "HELP_SEARCH_RATE": "1000000/m",
    }
    env.pop("REDIS_URL", None)
    admin_url = os.environ.get("DATABASE_URL", "")
    try:
        if args.only in (None, "postgres"):
            if not admin_url.startswith(("postgres://", "postgresql://")):
                raise SystemExit("PostgreSQL needs DATABASE_URL=postgres://… (or --only sqlite)")
            name = f"pulso_bench_help_{os.getpid()}"
            url = create_postgres_database(admin_url, name)
            try:
                run_child("postgres", args, {**env, "DATABASE_URL": url})
            finally:
                drop_postgres_database(admin_url, name)
        if args.only in (None, "sqlite"):
            url = f"sqlite:///{scratch}/bench.sqlite3"
            run_child("sqlite", args, {**env, "DATABASE_URL": url})
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
