"""Pulso beside django-helpdesk (issue 12): the same pages of both, served by real gunicorn
servers on PostgreSQL over the same desk, timed over HTTP, with the ratio peer / Pulso.

    .venv/bin/python tests/bench/bench_peer.py --sizes 100000
    make bench-peer PEER_BENCH_ARGS="--sizes 5000 --runs 3"

What it does, for each size (see tests/bench/README.md, "Pulso beside django-helpdesk"):

1. The peer: a virtualenv (--peer-venv, kept for the next run unless --clean) with
   django-helpdesk from the package index (--peer-version, 2.6.1 by default), Django 5.2 (the
   version Pulso runs), psycopg and gunicorn; a minimal Django project for it in a scratch
   folder, on a scratch database `pulso_peer_<pid>`.
2. Pulso's desk: a template copy of the read-only seeded database (`pulso_seed_100k` for
   100 000 tickets, `pulso_seed_1m` for 1 000 000) as `pulso_peer_pulso_<pid>`, migrated; or
   a scratch database seeded by `manage.py seed_bench` for other sizes; or --pulso-database-url
   (an existing desk, never written to by this script; --password must then be the password
   of the two users it logs in as).
3. The same desk in the peer: Pulso's teams become queues, its staff users become staff users
   (same ids and usernames), every ticket a ticket (same id, subject, dates, customer e-mail,
   assignee, mapped status and priority) and every ticket event a follow-up (a reply's event
   carries the reply's text), streamed with COPY from Pulso's database into the peer's.
4. Both under gunicorn (2 sync workers each, 127.0.0.1, free ports; Pulso with the production
   settings: config.settings, DEBUG off, a scratch VAR_DIR, a random SECRET_KEY), a login over
   HTTP on each (session cookie + CSRF token) as the manager and as an agent, then every page
   pair timed: --warmup requests, then the median of --runs.
5. Cleanup: both servers stopped, both databases dropped (DROP DATABASE ... WITH (FORCE)),
   the scratch folders removed; the peer's virtualenv is kept unless --clean.

PostgreSQL only (127.0.0.1:5432, user postgres, --admin-url). It needs the package index for
the first run only (pip, with this machine's pip configuration).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parents[2]

PEER_PACKAGE = "django-helpdesk"
PEER_VERSION = "2.6.1"
# The peer runs on the Django Pulso runs (helpdesk 2.6 supports 5.2 and 6.0), so that the
# framework is not part of the difference.
PEER_REQUIREMENTS = ["Django>=5.2,<6.0", "psycopg[binary]>=3.1", "gunicorn>=23"]
SEEDED_TEMPLATES = {100_000: "pulso_seed_100k", 1_000_000: "pulso_seed_1m"}
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
WORKERS = 2
# A peer report reads every ticket in Python: minutes at a million tickets. Neither gunicorn
# nor the client may give up before it answers.
REQUEST_TIMEOUT = 1800


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000], help="ticket counts")
    parser.add_argument("--runs", type=int, default=5, help="timed requests per page (median)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed requests per page first")
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=20.0,
        help="a page whose first warm-up load takes longer is loaded once (marked *)",
    )
    parser.add_argument(
        "--peer-venv",
        type=Path,
        default=Path(tempfile.gettempdir()) / "pulso-peer-venv",
        help="the peer's virtualenv (made if missing, reused otherwise)",
    )
    parser.add_argument(
        "--peer-version",
        default=PEER_VERSION,
        help=f"django-helpdesk version to install (default {PEER_VERSION}; 'latest': the newest)",
    )
    parser.add_argument("--clean", action="store_true", help="remove the peer's virtualenv after")
    parser.add_argument("--admin-url", default=ADMIN_URL, help="PostgreSQL server (any database)")
    parser.add_argument(
        "--pulso-database-url",
        help="measure this existing Pulso database (read, never written by the script)",
    )
    parser.add_argument(
        "--pulso-template",
        help="template database to copy for Pulso (default: the seeded one for the size)",
    )
    parser.add_argument("--manager", default="bench-manager", help="manager's username")
    parser.add_argument("--agent", default="bench-agent-01", help="agent's username")
    parser.add_argument(
        "--password",
        default=os.environ.get("PULSO_BENCH_PASSWORD"),
        help="with --pulso-database-url: the password of --manager and --agent",
    )
    parser.add_argument("--search", default="case", help="the word searched (in every subject)")
    parser.add_argument("--only", nargs="+", help="measure only the pages whose key starts so")
    parser.add_argument("--keep", action="store_true", help="keep the databases (prints them)")
    args = parser.parse_args()
    if args.pulso_database_url and not args.password:
        parser.error("--pulso-database-url needs --password (or PULSO_BENCH_PASSWORD)")
    if args.pulso_database_url and len(args.sizes) > 1:
        parser.error("--pulso-database-url measures one desk: give one size or none")
    return args


def say(message: str) -> None:
    print(f"bench_peer: {message}", flush=True)


class BenchError(RuntimeError):
    """A step failed; the message says which and why (no traceback needed)."""


# --- PostgreSQL -------------------------------------------------------------------------------


def database_url(admin_url: str, name: str) -> str:
    parts = urlsplit(admin_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def connect(url: str, *, autocommit: bool = False):
    import psycopg

    return psycopg.connect(url, autocommit=autocommit)


def create_database(admin_url: str, name: str, *, template: str | None = None) -> str:
    """CREATE DATABASE, as a template copy when asked. A template copy fails while anybody is
    connected to the template (another benchmark reading it): retried for a minute."""
    import psycopg

    sql = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
    for attempt in range(30):
        try:
            with connect(admin_url, autocommit=True) as admin:
                admin.execute(sql)
            return database_url(admin_url, name)
        except psycopg.errors.ObjectInUse:
            if attempt == 0:
                say(f"{template} is in use by another session; retrying for a minute...")
            time.sleep(2)
    raise BenchError(f"could not copy {template}: somebody stayed connected to it for a minute")


def drop_database(admin_url: str, name: str) -> None:
    with connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_exists(admin_url: str, name: str) -> bool:
    with connect(admin_url, autocommit=True) as admin:
        return admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()


# --- the peer's virtualenv ----------------------------------------------------------------------


def installed_peer_version(venv: Path) -> str | None:
    python = venv / "bin" / "python"
    if not python.exists():
        return None
    found = subprocess.run(
        [str(python), "-c", f"import importlib.metadata as m; print(m.version('{PEER_PACKAGE}'))"],
        capture_output=True,
        text=True,
    )
    return found.stdout.strip() if found.returncode == 0 else None


def ensure_peer_venv(venv: Path, version: str) -> str:
    """The peer's virtualenv with django-helpdesk `version` ('latest': the newest the index
    has), made or completed with pip; returns the installed version."""
    have = installed_peer_version(venv)
    if have and (version == "latest" or have == version):
        say(f"reusing {venv} ({PEER_PACKAGE} {have})")
        return have
    python = venv / "bin" / "python"
    if not python.exists():
        say(f"creating the peer's virtualenv {venv}...")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    wanted = PEER_PACKAGE if version == "latest" else f"{PEER_PACKAGE}=={version}"
    say(f"installing {wanted} {' '.join(PEER_REQUIREMENTS)} from the package index (pip)...")
    pip = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--upgrade", wanted, *PEER_REQUIREMENTS],
        capture_output=True,
        text=True,
    )
    if pip.returncode != 0:
        noise = "is ignored: it is neither a file nor a directory"
        output = "\n".join(
            line for line in (pip.stdout + pip.stderr).splitlines() if noise not in line
        )
        raise BenchError(
            f"pip could not install {wanted} into {venv}. Is the package index (PyPI) "
            f"reachable from here, and does it have that version? "
            f"(`pip download {wanted} --no-deps -d /tmp/x` tells.) pip said:\n{output[-3000:]}"
        )
    have = installed_peer_version(venv)
    say(f"installed {PEER_PACKAGE} {have}")
    return have or "?"


# --- the peer's Django project ------------------------------------------------------------------

# django-helpdesk's installation docs (docs/install.rst, docs/teams.rst) and its demo project:
# contrib.sites (e-mail links), admin, humanize, DRF (its API and datatables views), helpdesk;
# teams mode off, so pinax-teams is not needed. Production-like: DEBUG off, persistent
# connections as Pulso's (conn_max_age 60), Pulso's time zone, 25 tickets a page as Pulso.
PEER_SETTINGS = """\
import os

SECRET_KEY = os.environ["PEER_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "helpdesk",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "peerdesk.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]
WSGI_APPLICATION = "peerdesk.wsgi.application"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ["PEER_DB_NAME"],
        "USER": os.environ["PEER_DB_USER"],
        "PASSWORD": os.environ.get("PEER_DB_PASSWORD", ""),
        "HOST": os.environ["PEER_DB_HOST"],
        "PORT": os.environ["PEER_DB_PORT"],
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
SITE_ID = 1
USE_TZ = True
TIME_ZONE = "America/Bogota"
LANGUAGE_CODE = "en-us"
STATIC_URL = "/static/"
STATIC_ROOT = os.path.join(os.path.dirname(__file__), "static")
MEDIA_ROOT = os.path.join(os.path.dirname(__file__), "media")
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGIN_URL = "helpdesk:login"
LOGIN_REDIRECT_URL = "helpdesk:home"
HELPDESK_TEAMS_MODE_ENABLED = False
HELPDESK_DEFAULT_SETTINGS = {"tickets_per_page": 25}
"""

PEER_URLS = """\
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("helpdesk/", include("helpdesk.urls", namespace="helpdesk")),
]
"""

PEER_WSGI = """\
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerdesk.settings")
application = get_wsgi_application()
"""

# Run in the peer's virtualenv: its queues and staff users through its own models (a queue's
# save() makes its permission, a user's save() its helpdesk settings), as an admin would.
PEER_PEOPLE = """\
import json
import sys

import django

django.setup()

from django.contrib.auth import get_user_model
from django.db import connection
from helpdesk.models import Queue

spec = json.load(sys.stdin)
queues = {}
for queue in spec["queues"]:
    made = Queue.objects.create(
        title=queue["title"],
        slug=queue["slug"],
        allow_public_submission=False,
        allow_email_submission=False,
    )
    queues[queue["team_id"]] = made.pk
User = get_user_model()
for person in spec["users"]:
    user = User(
        id=person["id"],
        username=person["username"],
        email=person["email"],
        first_name=person["first_name"],
        last_name=person["last_name"],
        is_staff=True,
        is_active=True,
    )
    if person["password"]:
        user.set_password(person["password"])
    else:
        user.set_unusable_password()
    user.save()
with connection.cursor() as cursor:
    cursor.execute(
        "SELECT setval(pg_get_serial_sequence('auth_user', 'id'), "
        "(SELECT COALESCE(MAX(id), 1) FROM auth_user))"
    )
json.dump({"queues": queues}, sys.stdout)
"""


@dataclass
class Peer:
    venv: Path
    project: Path
    url: str  # its database

    def env(self, secret_key: str) -> dict[str, str]:
        parts = urlsplit(self.url)
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
        }
        env.update(
            DJANGO_SETTINGS_MODULE="peerdesk.settings",
            PYTHONPATH=str(self.project),
            PEER_SECRET_KEY=secret_key,
            PEER_DB_NAME=parts.path.lstrip("/"),
            PEER_DB_USER=parts.username or "postgres",
            PEER_DB_PASSWORD=parts.password or "",
            PEER_DB_HOST=parts.hostname or "127.0.0.1",
            PEER_DB_PORT=str(parts.port or 5432),
        )
        return env

    def run(self, args: list[str], secret_key: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [str(self.venv / "bin" / "python"), *args],
            cwd=self.project,
            env=self.env(secret_key),
            input=stdin,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise BenchError(f"peer: {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout


def write_peer_project(folder: Path) -> Path:
    package = folder / "peerdesk"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text(PEER_SETTINGS)
    (package / "urls.py").write_text(PEER_URLS)
    (package / "wsgi.py").write_text(PEER_WSGI)
    (package / "people.py").write_text(PEER_PEOPLE)
    return folder


# --- the desk, copied from Pulso's database into the peer's -------------------------------------


def slug_of(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "queue"
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    taken.add(slug)
    return slug


def people_spec(pulso_url: str, logins: dict[str, str]) -> dict:
    """Pulso's teams (and a queue for tickets without a team) and staff users, with the
    password of the users the benchmark logs in as."""
    with connect(pulso_url) as pulso:
        teams = pulso.execute("SELECT id, name FROM cases_team ORDER BY id").fetchall()
        users = pulso.execute(
            "SELECT id, username, email, first_name, last_name FROM cases_user ORDER BY id"
        ).fetchall()
    taken: set[str] = set()
    queues = [{"team_id": str(t), "title": name, "slug": slug_of(name, taken)} for t, name in teams]
    queues.append({"team_id": "none", "title": "No team", "slug": slug_of("no team", taken)})
    return {
        "queues": queues,
        "users": [
            {
                "id": uid,
                "username": username,
                "email": email,
                "first_name": first,
                "last_name": last,
                "password": logins.get(username),
            }
            for uid, username, email, first, last in users
        ],
    }


# helpdesk statuses: 1 Open, 2 Reopened, 3 Resolved, 4 Closed, 5 Duplicate; "pending" is Open
# with on_hold. Priorities: 1 Critical, 2 High, 3 Normal, 4 Low, 5 Very Low.
TICKETS_SQL = """
SELECT t.id, t.subject, t.created_at, t.updated_at, NULLIF(c.email, ''),
       CASE t.status WHEN 'resolved' THEN 3 WHEN 'closed' THEN 4
            ELSE CASE WHEN t.reopen_count > 0 THEN 2 ELSE 1 END END,
       t.status = 'pending', t.description, NULLIF(t.resolution, ''),
       CASE t.priority WHEN 'urgent' THEN 1 WHEN 'high' THEN 2 WHEN 'normal' THEN 3 ELSE 4 END,
       t.resolution_due_at, NULL::timestamptz, t.assignee_id, q.queue_id,
       md5(t.id::text || random()::text)::uuid::text, NULL::int, NULL::int
FROM cases_ticket t
LEFT JOIN cases_customer c ON c.id = t.customer_id
JOIN (VALUES {queues}) AS q(team, queue_id) ON q.team = COALESCE(t.team_id::text, 'none')
"""
TICKET_COLUMNS = (
    "id, title, created, modified, submitter_email, status, on_hold, description, resolution, "
    "priority, due_date, last_escalation, assigned_to_id, queue_id, secret_key, kbitem_id, "
    "merged_to_id"
)
# One follow-up per ticket event: Pulso's timeline shows the same number of entries (a reply
# and its event are one entry). Status changes carry helpdesk's new_status.
FOLLOWUPS_SQL = """
SELECT e.id, e.at,
       CASE e.kind WHEN 'created' THEN 'Ticket Opened' WHEN 'replied' THEN 'Comment'
            WHEN 'note' THEN 'Comment' WHEN 'customer_replied' THEN 'E-Mail Received'
            WHEN 'assigned' THEN 'Assigned' WHEN 'resolved' THEN 'Resolved'
            WHEN 'reopened' THEN 'Reopened' WHEN 'closed' THEN 'Closed'
            ELSE initcap(replace(e.kind, '_', ' ')) END,
       COALESCE(r.body, ''), COALESCE(r.public, true),
       CASE e.kind WHEN 'resolved' THEN 3 WHEN 'reopened' THEN 2 WHEN 'closed' THEN 4 END,
       e.ticket_id, e.actor_id
FROM cases_ticketevent e
LEFT JOIN cases_reply r
       ON e.kind IN ('replied', 'note', 'customer_replied')
      AND r.id = (e.data ->> 'reply_id')::bigint
"""
FOLLOWUP_COLUMNS = "id, date, title, comment, public, new_status, ticket_id, user_id"


def stream(source, target, select: str, table: str, columns: str) -> None:
    """COPY rows out of Pulso's database straight into the peer's (text format, no Python
    per row)."""
    with (
        source.cursor().copy(f"COPY ({select}) TO STDOUT") as rows_out,
        target.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as rows_in,
    ):
        for block in rows_out:
            rows_in.write(block)


def copy_desk(pulso_url: str, peer_url: str, queues: dict[str, int]) -> dict[str, int]:
    values = ", ".join(f"('{team}', {queue})" for team, queue in queues.items())
    with connect(pulso_url) as source, connect(peer_url) as target, target.transaction():
        superuser = target.execute(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
        ).fetchone()[0]
        if superuser:  # ids are Pulso's, parents first: skip the per-row FK triggers
            target.execute("SET LOCAL session_replication_role = replica")
        stream(
            source,
            target,
            TICKETS_SQL.format(queues=values),
            "helpdesk_ticket",
            TICKET_COLUMNS,
        )
        stream(source, target, FOLLOWUPS_SQL, "helpdesk_followup", FOLLOWUP_COLUMNS)
        for table in ("helpdesk_ticket", "helpdesk_followup"):
            target.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
    with connect(peer_url, autocommit=True) as target:
        # What autovacuum does to a table that grew slowly (as metrics.seed does for Pulso).
        for table in ("helpdesk_ticket", "helpdesk_followup", "auth_user", "helpdesk_queue"):
            target.execute(f"VACUUM (ANALYZE) {table}")
        counts = {
            table: target.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
            for table in ("helpdesk_ticket", "helpdesk_followup")
        }
    return counts


# --- what is measured ---------------------------------------------------------------------------


@dataclass
class Desk:
    """Facts of the desk both sides serve, read from Pulso's database."""

    tickets: int
    events: int
    replies: int
    customers: int
    team_id: int  # the agent's (first) team
    team_name: str
    queue_id: int  # its queue in the peer
    ticket_id: int  # the ticket whose page is opened
    first_day: date


def read_desk(pulso_url: str, agent: str, queues: dict[str, int]) -> Desk:
    with connect(pulso_url) as pulso:

        def one(sql: str, params: list | None = None):
            return pulso.execute(sql, params or []).fetchone()

        tickets, first_day = one("SELECT count(*), min(created_at)::date FROM cases_ticket")
        if not tickets:
            raise BenchError("Pulso's database has no tickets")
        [events] = one("SELECT count(*) FROM cases_ticketevent")
        [replies] = one("SELECT count(*) FROM cases_reply")
        [customers] = one("SELECT count(*) FROM cases_customer")
        team = one(
            "SELECT t.id, t.name FROM cases_team t JOIN cases_team_members m ON m.team_id = t.id "
            "JOIN cases_user u ON u.id = m.user_id WHERE u.username = %s ORDER BY t.id LIMIT 1",
            [agent],
        )
        if team is None:
            raise BenchError(f"{agent} is in no team in Pulso's database")
        # A closed ticket from the middle of the history with a typical timeline (7 events).
        ticket = one(
            "SELECT e.ticket_id FROM cases_ticketevent e JOIN cases_ticket t ON t.id = e.ticket_id "
            "WHERE t.status = 'closed' AND t.id >= (SELECT (min(id) + max(id)) / 2 "
            "FROM cases_ticket) GROUP BY e.ticket_id HAVING count(*) >= 7 "
            "ORDER BY e.ticket_id LIMIT 1"
        ) or one("SELECT max(id) FROM cases_ticket")
    return Desk(
        tickets=tickets,
        events=events,
        replies=replies,
        customers=customers,
        team_id=team[0],
        team_name=team[1],
        queue_id=queues[str(team[0])],
        ticket_id=ticket[0],
        first_day=first_day,
    )


@dataclass
class Page:
    """One pair: what a user of each product opens for the same need."""

    key: str
    label: str
    who: str  # "manager" | "agent": who is logged in on both sides
    pulso: str | None  # path
    peer: str | None  # path; a ticket list also loads its rows (datatables JSON)
    peer_rows: bool = False  # the peer's list: HTML + the datatables request its script makes
    note: str = ""
    peer_matches: int | None = None  # the peer list's recordsFiltered: what the filter matched


ACTIVE = "status=1&status=2"  # helpdesk's default list: Open and Reopened


def pages(desk: Desk, word: str) -> list[Page]:
    tomorrow = date.today() + timedelta(days=1)
    history = f"period=custom&from={desk.first_day.isoformat()}&to={tomorrow.isoformat()}"
    every = "&".join(f"status={s}" for s in ("new", "open", "pending", "resolved", "closed"))
    q = desk.queue_id
    return [
        Page(
            "list",
            "ticket list, first page (active, newest first)",
            "manager",
            "/tickets/?queue=all",
            "/helpdesk/tickets/",
            True,
        ),
        Page(
            "list-team",
            f"filtered: one team's active tickets ({desk.team_name})",
            "manager",
            f"/tickets/?queue=all&team={desk.team_id}",
            f"/helpdesk/tickets/?queue={q}&{ACTIVE}",
            True,
        ),
        Page(
            "list-closed",
            "closed tickets, first page",
            "manager",
            "/tickets/?queue=all&status=closed",
            "/helpdesk/tickets/?status=4",
            True,
        ),
        Page(
            "search-active",
            f"search '{word}' (in every subject), active tickets",
            "manager",
            f"/tickets/?queue=all&q={word}",
            f"/helpdesk/tickets/?q={word}&{ACTIVE}",
            True,
        ),
        Page(
            "search-all",
            f"search '{word}', every status",
            "manager",
            f"/tickets/?queue=all&q={word}&{every}",
            f"/helpdesk/tickets/?q={word}",
            True,
        ),
        Page(
            "ticket",
            "a ticket's page (closed, 7 events)",
            "manager",
            f"/tickets/{desk.ticket_id}/",
            f"/helpdesk/tickets/{desk.ticket_id}/",
        ),
        Page(
            "agent-home",
            "agent's overview: own tickets, unassigned, counts",
            "agent",
            "/tickets/",
            "/helpdesk/dashboard/",
        ),
        Page(
            "agent-team-closed",
            "agent: own team's closed tickets",
            "agent",
            "/tickets/?queue=teams&status=closed",
            f"/helpdesk/tickets/?queue={q}&status=4",
            True,
        ),
        Page(
            "dashboard",
            "manager's dashboard (Pulso: last 30 days; peer: reports page)",
            "manager",
            "/metrics/",
            "/helpdesk/reports/",
        ),
        Page(
            "report-queue-month",
            "whole history by team and month",
            "manager",
            f"/metrics/?{history}",
            "/helpdesk/reports/queuemonth/",
        ),
        Page(
            "report-days-to-close",
            "whole history: time to close by month",
            "manager",
            f"/metrics/?{history}",
            "/helpdesk/reports/daysuntilticketclosedbymonth/",
        ),
        Page(
            "report-agents",
            "whole history by agent",
            "manager",
            f"/metrics/?{history}",
            "/helpdesk/reports/userstatus/",
        ),
        Page("customers", "customers list", "manager", "/customers/", None, note="peer: none"),
        Page(
            "api",
            "API: ticket list, first page",
            "manager",
            "/api/v1/tickets/",
            "/helpdesk/api/tickets/",
        ),
        Page(
            "api-closed",
            "API: closed tickets, first page",
            "manager",
            "/api/v1/tickets/?status=closed",
            "/helpdesk/api/tickets/?status=4",
        ),
    ]


# --- servers and HTTP ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    name: str
    command: list[str]
    env: dict[str, str]
    cwd: Path
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_path: str) -> None:
        import requests

        command = [*self.command, "--bind", f"127.0.0.1:{self.port}"]
        with self.log.open("w") as log:
            # A session of its own: stopped whole (master and workers) at the end.
            self.process = subprocess.Popen(
                command,
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if requests.get(self.base + ready_path, timeout=5).status_code == 200:
                    say(f"{self.name} is up on {self.base} (pid {self.process.pid})")
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        tail = self.log.read_text()[-3000:]
        raise BenchError(f"{self.name} did not start on {self.base}:\n{tail}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass


def login(base: str, path: str, username: str, password: str):
    """A logged-in session: the login form's CSRF token and cookie, then the POST."""
    import requests

    session = requests.Session()
    form = session.get(base + path, timeout=60)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    if form.status_code != 200 or token is None:
        raise BenchError(f"{base}{path}: no login form (HTTP {form.status_code})")
    answer = session.post(
        base + path,
        data={"csrfmiddlewaretoken": token[1], "username": username, "password": password},
        headers={"Referer": base + path},
        allow_redirects=False,
        timeout=60,
    )
    if answer.status_code != 302:
        raise BenchError(f"{base}{path}: {username} could not log in (HTTP {answer.status_code})")
    return session


DATATABLES = re.compile(r'"(/[^"]*datatables_ticket_list/[^"]*)"')
# What DataTables asks for the first page of 25 rows, newest first (column 5 is "created"),
# as after a click on the column: Pulso's lists open newest first.
DATATABLES_PARAMS = {
    "draw": "1",
    "start": "0",
    "length": "25",
    "search[value]": "",
    "search[regex]": "false",
    "order[0][column]": "5",
    "order[0][dir]": "desc",
}


def fetch(session, base: str, page: Page, side: str) -> float:
    """One load of the page on one side, in seconds, checked (HTTP 200, no redirect)."""
    path = page.pulso if side == "pulso" else page.peer
    assert path is not None, f"{side} has a page for {page.key} (run_size skips a side without)"
    started = time.perf_counter()
    answer = session.get(base + path, allow_redirects=False, timeout=REQUEST_TIMEOUT)
    if answer.status_code != 200:
        raise BenchError(f"{side} {path}: HTTP {answer.status_code}\n{answer.text[:500]}")
    if side == "peer" and page.peer_rows:
        found = DATATABLES.search(answer.text)
        if found is None:
            raise BenchError(f"peer {path}: no datatables URL in the page")
        rows = session.get(
            base + found[1].replace("&amp;", "&"),
            params=DATATABLES_PARAMS,
            allow_redirects=False,
            timeout=REQUEST_TIMEOUT,
        )
        if rows.status_code != 200 or "recordsFiltered" not in rows.text:
            raise BenchError(f"peer rows of {path}: HTTP {rows.status_code}\n{rows.text[:500]}")
        body = rows.json()
        page.peer_matches = body["recordsFiltered"]
        if len(body["data"]) != min(25, page.peer_matches):
            raise BenchError(f"peer rows of {path}: {len(body['data'])} rows on the first page")
    return time.perf_counter() - started


def timed(
    load: Callable[[], float], runs: int, warmup: int, max_seconds: float
) -> tuple[float, int]:
    """(median seconds, runs): `warmup` untimed loads, then `runs` timed ones; a page whose
    first load took more than `max_seconds` is not loaded again (that load is the figure)."""
    first = load()
    if first > max_seconds:
        return first, 1
    for _ in range(warmup - 1):
        load()
    return statistics.median(load() for _ in range(runs)), runs


# --- one size, end to end -----------------------------------------------------------------------


def pulso_env(var_dir: Path, database: str, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "PULSO_BIND")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database,
        VAR_DIR=str(var_dir),
        SECRET_KEY=secrets.token_urlsafe(48),
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL=f"http://127.0.0.1:{port}",
        LOG_LEVEL=os.environ.get("LOG_LEVEL", "WARNING"),
    )
    return env


def manage(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise BenchError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def password_hash(password: str) -> str:
    """The password as Django stores it (this process never sets Pulso up otherwise)."""
    from django.conf import settings

    if not settings.configured:
        settings.configure()
    from django.contrib.auth.hashers import make_password

    return make_password(password)


class Scratch:
    """Everything one size made, undone in reverse order whatever happened."""

    def __init__(self, admin_url: str, keep: bool):
        self.admin_url, self.keep = admin_url, keep
        self.databases: list[str] = []
        self.folders: list[Path] = []
        self.servers: list[Server] = []

    def database(self, name: str, template: str | None = None) -> str:
        url = create_database(self.admin_url, name, template=template)
        self.databases.append(name)
        return url

    def folder(self, prefix: str) -> Path:
        path = Path(tempfile.mkdtemp(prefix=prefix))
        self.folders.append(path)
        return path

    def close(self) -> None:
        for server in reversed(self.servers):
            server.stop()
        for name in self.databases:
            if self.keep:
                say(f"kept {database_url(self.admin_url, name)}")
            else:
                drop_database(self.admin_url, name)
        for path in self.folders:
            shutil.rmtree(path, ignore_errors=True)


def prepare_pulso(args, size: int, scratch: Scratch, var_dir: Path, password: str) -> str:
    """Pulso's database for this size: copied, seeded, or the one given."""
    if args.pulso_database_url:
        say(f"Pulso: {args.pulso_database_url} as it is (read, not migrated)")
        return args.pulso_database_url
    name = f"pulso_peer_pulso_{os.getpid()}"
    template = args.pulso_template or SEEDED_TEMPLATES.get(size)
    if template and not database_exists(args.admin_url, template):
        if args.pulso_template:
            raise BenchError(f"no database {template} on {args.admin_url}")
        template = None
    started = time.monotonic()
    env = pulso_env(var_dir, database_url(args.admin_url, name), 0)
    if template:
        say(f"Pulso: copying {template} to {name}...")
        scratch.database(name, template=template)
        manage(env, "migrate", "--no-input", "--verbosity", "0")
    else:
        say(f"Pulso: seeding {size:,} tickets into {name} (manage.py seed_bench)...")
        scratch.database(name)
        manage(env, "migrate", "--no-input", "--verbosity", "0")
        manage(env, "seed_bench", "--tickets", str(size), "--quiet")
    url = database_url(args.admin_url, name)
    with connect(url) as pulso:
        changed = pulso.execute(
            "UPDATE cases_user SET password = %s, is_active = true WHERE username = ANY(%s)",
            [password_hash(password), [args.manager, args.agent]],
        ).rowcount
    if changed != 2:
        raise BenchError(f"Pulso's database lacks {args.manager} or {args.agent}")
    say(f"Pulso: ready in {time.monotonic() - started:.0f} s")
    return url


def prepare_peer(args, scratch: Scratch, pulso_url: str, password: str, secret: str):
    """The peer's database: migrated, its people made, Pulso's desk copied in."""
    name = f"pulso_peer_{os.getpid()}"
    started = time.monotonic()
    peer = Peer(args.peer_venv, write_peer_project(scratch.folder("pulso-peer-project-")), "")
    peer.url = scratch.database(name)
    say(f"peer: migrating {name}...")
    peer.run(["-m", "django", "migrate", "--no-input", "--verbosity", "0"], secret)
    spec = people_spec(pulso_url, {args.manager: password, args.agent: password})
    made = json.loads(peer.run(["-m", "peerdesk.people"], secret, stdin=json.dumps(spec)))
    say(f"peer: copying the desk from Pulso's database ({len(spec['queues'])} queues)...")
    counts = copy_desk(pulso_url, peer.url, made["queues"])
    say(
        f"peer: {counts['helpdesk_ticket']:,} tickets, {counts['helpdesk_followup']:,} "
        f"follow-ups, ready in {time.monotonic() - started:.0f} s"
    )
    return peer, made["queues"]


def run_size(args, size: int) -> list[tuple[Page, float | None, int, float | None, int]]:
    scratch = Scratch(args.admin_url, args.keep)
    password = secrets.token_urlsafe(16)
    secret = secrets.token_urlsafe(48)
    try:
        var_dir = scratch.folder("pulso-peer-var-")
        pulso_url = prepare_pulso(args, size, scratch, var_dir, password)
        if args.pulso_database_url:
            password = args.password
        peer, queues = prepare_peer(args, scratch, pulso_url, password, secret)
        desk = read_desk(pulso_url, args.agent, queues)
        say(
            f"desk: {desk.tickets:,} tickets, {desk.events:,} events, {desk.replies:,} replies, "
            f"{desk.customers:,} customers; agent's team {desk.team_name}; "
            f"ticket page #{desk.ticket_id}"
        )
        gunicorn = [
            *("--workers", str(WORKERS), "--timeout", str(REQUEST_TIMEOUT)),
            "--no-control-socket",
        ]
        pulso = Server(
            "Pulso",
            [str(Path(sys.executable).with_name("gunicorn")), "config.wsgi", *gunicorn],
            {},
            BASE_DIR,
            var_dir / "gunicorn-pulso.log",
        )
        pulso.env = pulso_env(var_dir, pulso_url, pulso.port)
        helpdesk = Server(
            "django-helpdesk",
            [str(peer.venv / "bin" / "gunicorn"), "peerdesk.wsgi", *gunicorn],
            peer.env(secret),
            peer.project,
            var_dir / "gunicorn-peer.log",
        )
        for server, ready in ((pulso, "/accounts/login/"), (helpdesk, "/helpdesk/login/")):
            scratch.servers.append(server)
            server.start(ready)
        sessions = {
            ("pulso", who): login(pulso.base, "/accounts/login/", user, password)
            for who, user in (("manager", args.manager), ("agent", args.agent))
        }
        sessions |= {
            ("peer", who): login(helpdesk.base, "/helpdesk/login/", user, password)
            for who, user in (("manager", args.manager), ("agent", args.agent))
        }
        rows: list[tuple[Page, float | None, int, float | None, int]] = []
        # Pulso's whole-history dashboard answers three of the peer's reports: loaded once.
        measured: dict[tuple[str, str, str], tuple[float, int]] = {}
        for page in pages(desk, args.search):
            if args.only and not any(page.key.startswith(p) for p in args.only):
                continue
            figures: list[tuple[float | None, int]] = []  # (median seconds, runs) of each side
            for side, server, path in (("pulso", pulso, page.pulso), ("peer", helpdesk, page.peer)):
                if path is None:
                    figures.append((None, 0))
                    continue
                session = sessions[(side, page.who)]

                def load(session=session, server=server, side=side, page=page) -> float:
                    return fetch(session, server.base, page, side)

                key = (side, page.who, path)
                if key not in measured:
                    measured[key] = timed(load, args.runs, args.warmup, args.max_seconds)
                figures.append(measured[key])
            (pulso_seconds, pulso_runs), (peer_seconds, peer_runs) = figures
            rows.append((page, pulso_seconds, pulso_runs, peer_seconds, peer_runs))
            matched = "" if page.peer_matches is None else f" (peer list: {page.peer_matches:,})"
            pulso_ms, peer_ms = cell(pulso_seconds, pulso_runs), cell(peer_seconds, peer_runs)
            say(f"  {page.key}: Pulso {pulso_ms}, peer {peer_ms}{matched}")
        return rows
    finally:
        scratch.close()


# --- the report ---------------------------------------------------------------------------------


def cell(seconds: float | None, runs: int) -> str:
    if seconds is None:
        return "—"
    return f"{seconds * 1000:,.0f} ms" + ("*" if runs == 1 else "")


def report(size: int, version: str, rows: list) -> None:
    header = ("page", "who", "Pulso", "django-helpdesk", "peer / Pulso")
    lines = [header]
    for page, pulso, pulso_runs, peer, peer_runs in rows:
        ratio = f"{peer / pulso:.1f}×" if pulso and peer else "—"
        lines.append((page.label, page.who, cell(pulso, pulso_runs), cell(peer, peer_runs), ratio))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    print(f"\n{size:,} tickets — Pulso vs django-helpdesk {version} (median, HTTP, gunicorn)")
    for i, line in enumerate(lines):
        print(
            "| "
            + " | ".join(
                c.ljust(widths[j]) if j < 2 else c.rjust(widths[j]) for j, c in enumerate(line)
            )
            + " |"
        )
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    print("\nURLs (Pulso | django-helpdesk; a peer list adds its datatables rows request):")
    for page, *_ in rows:
        print(f"- {page.key}: {page.pulso} | {page.peer or page.note}")
    print("* a single load (the first took longer than --max-seconds)", flush=True)


@contextmanager
def stopped_by_sigterm() -> Iterator[None]:
    """SIGTERM (make interrupted, a CI timeout) cleans up like Ctrl+C does."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main() -> int:
    args = parse_args()
    sys.path.insert(0, str(BASE_DIR))
    try:
        import psycopg
        import requests  # noqa: F401 - the HTTP client, checked before anything is made
    except ImportError as missing:
        print(f"bench_peer: {missing}; run it with Pulso's .venv/bin/python", file=sys.stderr)
        return 2
    try:
        with stopped_by_sigterm():
            try:
                with connect(args.admin_url, autocommit=True) as admin:
                    server = admin.execute("SHOW server_version").fetchone()[0]
            except psycopg.OperationalError as error:
                raise BenchError(f"no PostgreSQL at {args.admin_url}: {error}") from error
            version = ensure_peer_venv(args.peer_venv, args.peer_version)
            say(
                f"PostgreSQL {server}, {os.cpu_count()} CPUs; {WORKERS} gunicorn workers each; "
                f"median of {args.runs} after {args.warmup} warm-up loads"
            )
            for size in args.sizes:
                report(size, version, run_size(args, size))
    except BenchError as error:
        print(f"bench_peer: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench_peer: interrupted; cleaned up", file=sys.stderr)
        return 130
    finally:
        if args.clean and args.peer_venv.exists():
            shutil.rmtree(args.peer_venv, ignore_errors=True)
            say(f"removed {args.peer_venv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
