"""Reads that scale out (config/replica.py): with a replica configured, the list pages,
dashboards, KPI API and exports read from it; writes, reads inside a write transaction, the
reads of a user who just wrote, sessions, users and tokens go to the primary; a dead replica
sends reads to the primary instead of failing the page.

The replica here is a second alias on the same test database (`TEST: MIRROR`), a separate
connection: what it returns was committed, as on a real replica. The tests are transactional
for that reason (a test transaction on the primary would be invisible to it).
"""

import logging
import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import OperationalError, connections, transaction
from django.db.utils import load_backend
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from cases.models import Ticket
from config import replica
from metrics import rollups
from tests.api.helpers import token_client
from tests.factories import make_ticket

# What the primary may still be asked on a page that reads from the replica: who is asking.
WHO_IS_ASKING = {
    "django_session",
    "cases_user",
    "cases_user_groups",
    "knox_authtoken",
    "django_content_type",
    "auth_permission",
    "auth_group",
}

ALIASES = ("default", "replica")
KNOWS_POSITIONS = connections["default"].vendor == "postgresql"
pytestmark = pytest.mark.django_db(transaction=True, databases=list(ALIASES))


@pytest.fixture(autouse=True)
def replica_router():
    replica.forget_replica_health()
    with override_settings(DATABASE_ROUTERS=["config.replica.ReplicaRouter"]):
        yield
    replica.forget_replica_health()


@contextmanager
def queries() -> Iterator[dict[str, CaptureQueriesContext]]:
    """The SQL each alias ran inside the block."""
    captured = {
        alias: CaptureQueriesContext(connections[alias]) for alias in ("default", "replica")
    }
    for capture in captured.values():
        capture.__enter__()
    try:
        yield captured
    finally:
        for capture in captured.values():
            capture.__exit__(None, None, None)


def tables(capture: CaptureQueriesContext) -> set[str]:
    return {
        table
        for query in capture.captured_queries
        for table in re.findall(r'(?:FROM|JOIN|INTO|UPDATE)\s+"?(\w+)"?', query["sql"])
    }


def ticket_reads(capture: CaptureQueriesContext) -> list[str]:
    """The SELECTs on tickets (not the replica's health check)."""
    return [
        query["sql"]
        for query in capture.captured_queries
        if query["sql"].lstrip().upper().startswith("SELECT") and "cases_ticket" in query["sql"]
    ]


def asked_the_replay_position(capture: CaptureQueriesContext) -> int:
    return sum("pg_last_wal_replay_lsn" in query["sql"] for query in capture.captured_queries)


def read_back_where_the_write_is(sql: dict[str, CaptureQueriesContext]) -> None:
    """After a write, tickets are read on the replica once it said it has replayed the write
    (PostgreSQL; the second alias here is the primary itself, so it has), and on the primary
    where no position can be compared (SQLite)."""
    if KNOWS_POSITIONS:
        assert asked_the_replay_position(sql["replica"])
        assert ticket_reads(sql["replica"])
    else:
        assert not ticket_reads(sql["replica"])
        assert ticket_reads(sql["default"])


def writes(capture: CaptureQueriesContext) -> list[str]:
    return [
        query["sql"]
        for query in capture.captured_queries
        if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


@contextmanager
def replica_at_a_closed_port() -> Iterator[None]:
    """The replica alias pointing at a loopback port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings_dict = {
        **connections["replica"].settings_dict,
        "ENGINE": "django.db.backends.postgresql",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "NAME": "pulso",
        "USER": "pulso",
        "PASSWORD": "",
        "OPTIONS": {"connect_timeout": 2},
    }
    dead = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, "replica")
    alive = connections["replica"]
    connections["replica"] = dead
    try:
        yield
    finally:
        dead.close()
        connections["replica"] = alive


UNASSIGNED = reverse("cases:queue") + "?queue=unassigned"


@pytest.fixture
def queue_ticket(ana, team_n1):
    return make_ticket(by=ana, team=team_n1, assignee=ana, subject="Router ticket on the queue")


# --- which reads go where ---------------------------------------------------------------------


def test_the_ticket_queue_reads_its_tickets_from_the_replica(client, ana, queue_ticket):
    client.force_login(ana)
    with queries() as sql:
        response = client.get(reverse("cases:queue"))
    assert response.status_code == 200
    assert "Router ticket on the queue" in response.content.decode()
    assert "cases_ticket" in tables(sql["replica"])
    assert tables(sql["default"]) <= WHO_IS_ASKING
    assert "django_session" in tables(sql["default"])
    assert "django_session" not in tables(sql["replica"])


MANAGER_PAGES = [
    reverse("metrics:dashboard"),
    reverse("metrics:my_dashboard"),
    reverse("metrics:export", args=["agents"]),
    reverse("cases:customer_list"),
    reverse("surveys:response_list"),
    reverse("surveys:follow_up_list"),
]


def test_dashboards_lists_and_exports_read_from_the_replica(client, marta, queue_ticket):
    client.force_login(marta)
    for url in MANAGER_PAGES:
        with queries() as sql:
            response = client.get(url)
        assert response.status_code == 200, url
        assert tables(sql["replica"]) - WHO_IS_ASKING, url
        assert tables(sql["default"]) <= WHO_IS_ASKING, url


def test_a_streamed_export_reads_its_rows_from_the_replica(client, marta, queue_ticket):
    client.force_login(marta)
    response = client.get(reverse("surveys:response_export"))
    with queries() as sql:
        body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    assert "surveys_surveyresponse" in tables(sql["replica"])
    assert tables(sql["default"]) <= WHO_IS_ASKING


def test_the_api_lists_and_kpis_read_from_the_replica_and_the_token_from_the_primary(
    marta, queue_ticket
):
    api = token_client(marta)
    for name in ("api:ticket-list", "api:customer-list", "metrics_api:metrics-summary"):
        with queries() as sql:
            response = api.get(reverse(name))
        assert response.status_code == 200, name
        assert tables(sql["replica"]) - WHO_IS_ASKING, name
        assert "knox_authtoken" in tables(sql["default"]), name
        assert tables(sql["default"]) <= WHO_IS_ASKING, name
        assert not tables(sql["replica"]) & {"knox_authtoken", "django_session"}, name


def test_a_ticket_page_is_not_opted_in_and_reads_the_primary(client, ana, queue_ticket):
    client.force_login(ana)
    with queries() as sql:
        response = client.get(reverse("cases:ticket_detail", args=[queue_ticket.pk]))
    assert response.status_code == 200
    assert not sql["replica"].captured_queries


def test_code_outside_the_opt_in_reads_the_primary(queue_ticket):
    with queries() as sql:
        assert Ticket.objects.count() == 1
    assert not sql["replica"].captured_queries


def test_periodic_tasks_read_and_write_the_primary(ana, queue_ticket):
    from cases.tasks import check_sla, close_resolved_tickets
    from metrics.tasks import refresh_rollups
    from surveys.tasks import sweep_invitations

    with queries() as sql:
        for task in (check_sla, close_resolved_tickets, refresh_rollups, sweep_invitations):
            task.apply()
    assert sql["default"].captured_queries
    assert not sql["replica"].captured_queries


def test_writes_go_to_the_primary_and_what_follows_reads_them_back(queue_ticket):
    with replica.reading_from_replica(), queries() as sql:
        assert Ticket.objects.filter(subject="Renamed").count() == 0
        Ticket.objects.filter(pk=queue_ticket.pk).update(subject="Renamed")
        with queries() as after:
            assert Ticket.objects.filter(subject="Renamed").count() == 1
    assert writes(sql["default"])
    assert not writes(sql["replica"])
    read_back_where_the_write_is(after)


def test_reads_inside_a_transaction_go_to_the_primary(queue_ticket):
    with replica.reading_from_replica():
        with queries() as sql, transaction.atomic():
            ticket = Ticket.objects.get(pk=queue_ticket.pk)
            assert ticket.customer.email
        assert not ticket_reads(sql["replica"])
        assert not sql["replica"].captured_queries
        with queries() as sql:
            Ticket.objects.get(pk=queue_ticket.pk)
        assert len(ticket_reads(sql["replica"])) == 1


# --- read your own writes ---------------------------------------------------------------------


def test_after_creating_a_ticket_the_agent_reads_it_back_where_it_is_written(
    client, ana, bruno, team_n1
):
    client.force_login(ana)
    created = client.post(
        reverse("cases:ticket_create"),
        {
            "email": "nuevo@cliente.example",
            "name": "Nuevo Cliente",
            "subject": "Created a moment ago",
            "description": "Since this morning.",
            "channel": "phone",
            "priority": "normal",
        },
    )
    assert created.status_code == 302

    with queries() as sql:
        queue = client.get(UNASSIGNED)
    assert "Created a moment ago" in queue.content.decode()
    read_back_where_the_write_is(sql)

    # Another agent wrote nothing: the replica serves them without a question.
    other = type(client)()
    other.force_login(bruno)
    with queries() as sql:
        other.get(UNASSIGNED)
    assert ticket_reads(sql["replica"])
    assert not asked_the_replay_position(sql["replica"])

    later = timezone.now() + timedelta(seconds=replica.settings.REPLICA_PIN_SECONDS + 1)
    with time_machine.travel(later, tick=False), queries() as sql:
        client.get(UNASSIGNED)
    assert ticket_reads(sql["replica"])
    assert not asked_the_replay_position(sql["replica"])


def test_an_api_client_that_wrote_reads_it_back_where_it_is_written(ana, team_n1):
    api = token_client(ana)
    created = api.post(
        reverse("api:ticket-list"),
        {
            "subject": "Created through the API",
            "description": "Just now.",
            "channel": "email",
            "customer": {"email": "lucia@example.com", "name": "Lucía Torres"},
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    with queries() as sql:
        listed = api.get(reverse("api:ticket-list"))
    assert "Created through the API" in listed.content.decode()
    read_back_where_the_write_is(sql)


@pytest.mark.skipif(not KNOWS_POSITIONS, reason="WAL positions are PostgreSQL's")
def test_a_replica_short_of_the_writers_position_is_waited_for_briefly_then_skipped(
    client, ana, queue_ticket
):
    client.force_login(ana)
    # A position the replica will not reach: the user wrote something it has not replayed.
    cache.set(replica.PIN_KEY.format(user_id=ana.pk), "FFFFFFFF/FFFFFF00", 60)
    with override_settings(REPLICA_CATCH_UP_SECONDS=0.05), queries() as sql:
        started = time.monotonic()
        response = client.get(reverse("cases:queue"))
        took = time.monotonic() - started
    assert "Router ticket on the queue" in response.content.decode()
    assert asked_the_replay_position(sql["replica"]) >= 2  # asked again while waiting
    assert not ticket_reads(sql["replica"])
    assert ticket_reads(sql["default"])
    assert took >= 0.05


def test_a_dashboard_that_brings_its_rollups_up_to_date_reads_them_back_where_they_are(
    client, marta, ana, queue_ticket
):
    rollups.rebuild()
    make_ticket(by=ana, team=queue_ticket.team, subject="A change the rollups lack")
    client.force_login(marta)
    with queries() as sql:
        response = client.get(reverse("metrics:dashboard"))
    assert response.status_code == 200
    assert {"metrics_rollupchange"} <= tables(sql["default"])  # the refresh, on the primary
    assert writes(sql["default"])
    assert not writes(sql["replica"])
    rollup_tables = {"metrics_createdrollup", "metrics_resolvedrollup", "metrics_surveyrollup"}
    if KNOWS_POSITIONS:
        assert asked_the_replay_position(sql["replica"])
        assert tables(sql["replica"]) & rollup_tables
    else:
        assert not tables(sql["replica"]) & rollup_tables


# --- a replica that is not there --------------------------------------------------------------


@pytest.fixture
def replica_log(caplog, monkeypatch):
    """The router's warnings, even after an in-process Celery worker of an earlier test set up
    logging again (which disables every logger that existed before it)."""
    logger = logging.getLogger("config.replica")
    monkeypatch.setattr(logger, "disabled", False)
    monkeypatch.setattr(logger, "propagate", True)
    caplog.set_level(logging.WARNING, logger="config.replica")
    return caplog


def test_an_unreachable_replica_sends_reads_to_the_primary_with_one_warning(
    client, ana, queue_ticket, replica_log
):
    client.force_login(ana)
    with replica_at_a_closed_port(), CaptureQueriesContext(connections["default"]) as primary:
        first = client.get(reverse("cases:queue"))
        second = client.get(reverse("cases:queue"))
    for response in (first, second):
        assert response.status_code == 200
        assert "Router ticket on the queue" in response.content.decode()
    assert "cases_ticket" in tables(primary)
    warnings = [r for r in replica_log.records if r.name == "config.replica"]
    assert len(warnings) == 1  # checked once per REPLICA_CHECK_SECONDS, not per request
    assert "unreachable" in warnings[0].getMessage()


def test_a_replica_that_dies_under_a_page_is_answered_from_the_primary(
    client, ana, queue_ticket, replica_log
):
    client.force_login(ana)
    assert replica.replica_is_usable()  # known good: the next page goes straight to it
    with replica_at_a_closed_port():
        response = client.get(reverse("cases:queue"))
    assert response.status_code == 200
    assert "Router ticket on the queue" in response.content.decode()
    assert any("unreachable" in r.getMessage() for r in replica_log.records)


def test_a_query_the_replica_cancels_is_answered_from_the_primary(client, ana, queue_ticket):
    def cancelled(execute, sql, params, many, context):
        if "cases_ticket" in sql:
            raise OperationalError("canceling statement due to conflict with recovery")
        return execute(sql, params, many, context)

    client.force_login(ana)
    with connections["replica"].execute_wrapper(cancelled):
        response = client.get(reverse("cases:queue"))
    assert response.status_code == 200
    assert "Router ticket on the queue" in response.content.decode()
    assert replica.replica_is_usable()  # it answers: the next page reads it again


def test_the_replica_is_read_again_once_it_answers(client, ana, queue_ticket):
    client.force_login(ana)
    with replica_at_a_closed_port():
        client.get(reverse("cases:queue"))
    with override_settings(REPLICA_CHECK_SECONDS=0), queries() as sql:
        client.get(reverse("cases:queue"))
    assert "cases_ticket" in tables(sql["replica"])


@pytest.mark.parametrize(
    ("in_recovery", "bytes_behind", "seconds_since_replay", "too_far_behind"),
    [
        (False, None, None, False),  # no standby: a second connection to the primary
        (True, 0, 3600, False),  # an idle desk: everything replayed, however long ago
        (True, -120, 3600, False),  # it replayed past the primary's position we read
        (True, 8192, 2, False),  # busy: a little behind, a transaction replayed just now
        (True, 8192, 61, True),  # replication stopped a minute ago
        (True, None, None, True),  # nothing replayed since the standby started
    ],
)
def test_a_replica_is_too_far_behind_only_while_it_has_wal_left_to_replay_for_too_long(
    in_recovery, bytes_behind, seconds_since_replay, too_far_behind
):
    problem = replica.lag_problem(
        in_recovery=in_recovery,
        bytes_behind=bytes_behind,
        seconds_since_replay=seconds_since_replay,
        limit=60,
    )
    assert (problem is not None) == too_far_behind
