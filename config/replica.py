"""Reads that scale out: with `DATABASE_REPLICA_URL` set, the pages that only read a lot — the
KPI dashboards and the metrics API, the CSV exports, the ticket queue and the other lists —
read from a PostgreSQL streaming replica; everything else stays on the primary.

The rule is opt-in and narrow, so that nothing reads stale data by accident:

- Only the views named in `REPLICA_READ_VIEWS`, on GET or HEAD, read from the replica
  (`ReplicaReadsMiddleware`), and code that says so explicitly (`reading_from_replica()`).
  Services, tasks, management commands, the admin and every other page read the primary.
- Writes always go to the primary, and so do reads inside a transaction on the primary
  (`transaction.atomic`, a service): a read that a write may depend on.
- Nobody misses their own writes. After a request wrote, and for a user whose earlier request
  wrote (the pin, kept `REPLICA_PIN_SECONDS` in the shared cache, so on every web host and for
  API clients too), the replica serves only once it has replayed the primary's WAL up to that
  write, waiting at most `REPLICA_CATCH_UP_SECONDS`; else the primary does. The agent who
  creates a ticket finds it in the queue the redirect shows; the dashboard that brings its
  rollups up to date on the primary reads them from the replica a few milliseconds later.
  Where the position cannot be known (not PostgreSQL: the test suite's SQLite), the primary.
- Sessions, users, API tokens and permissions are always read from the primary: a password
  change, a revoked token or a removed role takes effect at once.
- A replica that does not answer, or that is behind the primary with its newest replayed
  transaction older than `REPLICA_MAX_LAG_SECONDS` (replication stopped or far behind), is
  left alone: reads go to the primary, a warning is logged, and it is checked again every
  `REPLICA_CHECK_SECONDS`. A page whose replica query fails (the replica went away, or
  cancelled the query in a conflict with replication) is answered from the primary instead
  of with a 500.
"""

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import MiddlewareNotUsed
from django.db import DEFAULT_DB_ALIAS, Error, InterfaceError, OperationalError, connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

log = logging.getLogger(__name__)

REPLICA = "replica"

# URL names (namespace:name) whose GET reads from the replica. List pages, dashboards, KPI
# endpoints and exports: large reads where a second of lag is invisible. Never a page that
# decides what the user may do next from what it reads (a ticket's page, a form).
REPLICA_READ_VIEWS: frozenset[str] = frozenset(
    {
        "cases:queue",
        "cases:customer_list",
        "metrics:dashboard",
        "metrics:my_dashboard",
        "metrics:export",
        "surveys:response_list",
        "surveys:response_export",
        "surveys:follow_up_list",
        "api:ticket-list",
        "api:customer-list",
        "surveys_api:response-list",
        "surveys_api:follow-up-list",
        "metrics_api:metrics-summary",
        "metrics_api:metrics-timeseries",
        "metrics_api:metrics-breakdown",
        "metrics_api:metrics-drivers",
    }
)
READ_ONLY_METHODS = frozenset({"GET", "HEAD"})
# Who may do what: read where it was last written, whatever asks.
PRIMARY_ONLY_APPS = frozenset({"auth", "admin", "contenttypes", "sessions", "knox"})
PIN_KEY = "replica-pin:{user_id}"


@dataclass
class ReadState:
    """What the current request (or `reading_from_replica` block) may read from where."""

    request: HttpRequest | None = None
    opted_in: bool = False  # this view or block reads from the replica
    wrote: bool = False  # something was written: the replica must have it before serving
    replica_ok: bool | None = None  # decided at the first read that could use the replica
    used_replica: bool = False


_state: ContextVar[ReadState | None] = ContextVar("pulso_replica_reads", default=None)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES and any(
        router == "config.replica.ReplicaRouter" or isinstance(router, ReplicaRouter)
        for router in settings.DATABASE_ROUTERS
    )


def _primary_only(model: type[Model]) -> bool:
    return (
        model._meta.app_label in PRIMARY_ONLY_APPS
        or model._meta.label_lower == settings.AUTH_USER_MODEL.lower()
    )


class ReplicaRouter:
    """Reads on the replica only where `ReadState.opted_in` says so and nothing forbids it."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        state = _state.get()
        if state is None or not state.opted_in or _primary_only(model):
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS  # a read that a write in this transaction may depend on
        if state.replica_ok is None:
            state.replica_ok = _replica_may_serve(state)
        if not state.replica_ok:
            return DEFAULT_DB_ALIAS
        state.used_replica = True
        return REPLICA

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        state = _state.get()
        if state is not None and not _primary_only(model):
            state.wrote = True
            state.replica_ok = None  # the next read asks whether the replica has this write
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        aliases = {DEFAULT_DB_ALIAS, REPLICA}
        if obj1._state.db in aliases and obj2._state.db in aliases:
            return True  # the same rows: the replica is a copy of the primary
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        if db == REPLICA:
            return False  # it follows the primary's schema by replication
        return None


@contextmanager
def reading_from_replica() -> Iterator[None]:
    """Reads inside the block may come from the replica, by the rules of an opted-in view (for
    read-mostly code outside a request, a report say): writes inside still go to the primary,
    and the reads after one wait for the replica to have it or go to the primary."""
    state = _state.get()
    if state is not None:
        opted_in, state.opted_in = state.opted_in, True
        try:
            yield
        finally:
            state.opted_in = opted_in
        return
    token = _state.set(ReadState(opted_in=True))
    try:
        yield
    finally:
        _state.reset(token)


# --- is the replica fit to read from? ---------------------------------------------------------

# On the replica: is it a standby, how many bytes of the primary's WAL (at the position read
# just before) it has still to replay, and how old its newest replayed transaction is (its
# commit time on the primary).
_STANDBY_SQL = (
    "SELECT pg_is_in_recovery(), pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn())::float8,"
    " EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8"
)


@dataclass
class _Health:
    usable: bool
    checked_at: float


_health: dict[str, _Health] = {}
_health_lock = threading.Lock()


def primary_position() -> str | None:
    """Where the primary's WAL is written up to now (PostgreSQL: `pg_current_wal_lsn()`, which
    a committed write lies before); None where there is no such thing."""
    primary = connections[DEFAULT_DB_ALIAS]
    if primary.vendor != "postgresql":
        return None
    with primary.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        return cursor.fetchone()[0]


def lag_problem(
    *,
    in_recovery: bool,
    bytes_behind: float | None,
    seconds_since_replay: float | None,
    limit: float,
) -> str | None:
    """Why a replica is too far behind to read, or None. A standby that has replayed all the
    WAL the primary had written is current however idle the desk; one still behind is too
    far behind once the newest transaction it replayed was committed more than `limit`
    seconds ago (replication stopped, or replay fell behind)."""
    if not in_recovery:
        return None  # not a standby: a second connection to the primary (the tests')
    if bytes_behind is not None and bytes_behind <= 0:
        return None
    if seconds_since_replay is None:
        return "no transaction replayed since it started"
    if seconds_since_replay > limit:
        return (
            f"{bytes_behind or 0:.0f} bytes of WAL behind the primary, its newest transaction "
            f"committed {seconds_since_replay:.0f} s ago (limit {limit} s)"
        )
    return None


def _probe(alias: str) -> str | None:
    """None if the replica answers and is recent enough; otherwise why not."""
    connection = connections[alias]
    primary_wal = primary_position() if connection.vendor == "postgresql" else None
    try:
        if connection.connection is not None and not connection.is_usable():
            connection.close()
        connection.ensure_connection()
        if primary_wal is None:
            return None
        with connection.cursor() as cursor:
            cursor.execute(_STANDBY_SQL, [primary_wal])
            in_recovery, bytes_behind, seconds_since_replay = cursor.fetchone()
    except Error as error:
        with suppress(Error):
            connection.close()
        return f"unreachable ({str(error).strip() or type(error).__name__})"
    return lag_problem(
        in_recovery=in_recovery,
        bytes_behind=bytes_behind,
        seconds_since_replay=seconds_since_replay,
        limit=settings.REPLICA_MAX_LAG_SECONDS,
    )


def replica_is_usable(alias: str = REPLICA, *, recheck: bool = False) -> bool:
    """Whether reads may go to the replica now; probed at most every REPLICA_CHECK_SECONDS
    per process (connect timeout: the URL's, 2 s by default), so a dead replica costs one
    request one connection attempt per interval, not every request."""
    now = time.monotonic()
    with _health_lock:
        known = _health.get(alias)
        if (
            not recheck
            and known is not None
            and now - known.checked_at < settings.REPLICA_CHECK_SECONDS
        ):
            return known.usable
    problem = _probe(alias)
    with _health_lock:
        was_usable = _health[alias].usable if alias in _health else True
        _health[alias] = _Health(usable=problem is None, checked_at=time.monotonic())
    if problem is not None and was_usable:
        log.warning(
            "Database replica %r: %s; reading from the primary, checking again every %s s.",
            alias,
            problem,
            settings.REPLICA_CHECK_SECONDS,
        )
    elif problem is None and not was_usable:
        log.warning("Database replica %r is usable again; list pages read from it.", alias)
    return problem is None


def forget_replica_health() -> None:
    """Probe again at the next read (tests; a process that knows the replica changed)."""
    with _health_lock:
        _health.clear()


# --- read your own writes ---------------------------------------------------------------------

# A write whose WAL position cannot be known: only the primary surely has it.
UNKNOWN_POSITION = "?"
# Not a standby (the tests' second connection to the primary): it has everything.
_REPLAYED_SQL = "SELECT COALESCE(pg_last_wal_replay_lsn(), pg_current_wal_lsn()) >= %s::pg_lsn"
CATCH_UP_POLL_SECONDS = 0.005
PIN_CACHE_RETRY_SECONDS = 10.0
_pin_cache_down_until = 0.0


def _lsn(position: str) -> int:
    high, low = position.split("/")
    return (int(high, 16) << 32) + int(low, 16)


def replica_has_replayed(position: str, *, wait: float, alias: str = REPLICA) -> bool:
    """Whether the replica has replayed the primary's WAL up to `position`, asking again every
    few milliseconds for at most `wait` seconds (streaming replication on one network is
    usually milliseconds behind). An unknown position, or a replica that cannot say: no."""
    connection = connections[alias]
    if position == UNKNOWN_POSITION or connection.vendor != "postgresql":
        return False
    deadline = time.monotonic() + wait
    while True:
        try:
            with connection.cursor() as cursor:
                cursor.execute(_REPLAYED_SQL, [position])
                (replayed,) = cursor.fetchone()
        except Error:
            return False
        if replayed:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(CATCH_UP_POLL_SECONDS)


def _replica_may_serve(state: ReadState) -> bool:
    """The replica is usable and has every write this request and this user must see."""
    if not replica_is_usable():
        return False
    positions = []
    pinned = _pinned_position(state.request)
    if pinned is not None:
        positions.append(pinned)
    if state.wrote:
        try:
            positions.append(primary_position() or UNKNOWN_POSITION)
        except Error:
            return False
    if not positions:
        return True
    if UNKNOWN_POSITION in positions:
        return False
    latest = max(positions, key=_lsn)
    return replica_has_replayed(latest, wait=settings.REPLICA_CATCH_UP_SECONDS)


def _user_id(request: HttpRequest | None) -> int | None:
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


def _pinned_position(request: HttpRequest | None) -> str | None:
    """The primary's position after this request's user last wrote, if within
    REPLICA_PIN_SECONDS; UNKNOWN_POSITION while the cache cannot tell."""
    global _pin_cache_down_until
    user_id = _user_id(request)
    if user_id is None:
        return None
    if time.monotonic() < _pin_cache_down_until:
        return UNKNOWN_POSITION
    try:
        return cache.get(PIN_KEY.format(user_id=user_id))
    except Exception as error:  # the cache backend's own errors (Redis, …)
        _pin_cache_down_until = time.monotonic() + PIN_CACHE_RETRY_SECONDS
        log.warning("Replica pin unreadable (%s); reading from the primary.", error)
        return UNKNOWN_POSITION


def pin_to_primary(user_id: int) -> None:
    """Until the replica has replayed what this user has written so far, their reads, on any
    web host, come from the primary."""
    global _pin_cache_down_until
    if time.monotonic() < _pin_cache_down_until:
        return  # everyone reads the primary meanwhile
    try:
        position = primary_position() or UNKNOWN_POSITION
    except Error:
        position = UNKNOWN_POSITION
    try:
        cache.set(PIN_KEY.format(user_id=user_id), position, settings.REPLICA_PIN_SECONDS)
    except Exception as error:
        _pin_cache_down_until = time.monotonic() + PIN_CACHE_RETRY_SECONDS
        log.warning("Replica pin not stored (%s); reading from the primary.", error)


# --- the middleware ---------------------------------------------------------------------------


def _within(state: ReadState, chunks: Iterable[bytes]) -> Iterator[bytes]:
    """A streamed response (a CSV export) is read after the view returned: give each chunk
    the request's reading rules back."""
    iterator = iter(chunks)
    while True:
        token = _state.set(state)
        try:
            chunk = next(iterator, None)
        finally:
            _state.reset(token)
        if chunk is None:
            return
        yield chunk


class ReplicaReadsMiddleware:
    """Opts the views of REPLICA_READ_VIEWS in, pins users who wrote to the primary's position,
    and answers a page again from the primary when the replica fails under it. Installed only
    with a replica."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        if not replica_configured():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        state = ReadState(request=request)
        token = _state.set(state)
        try:
            response = self.get_response(request)
        finally:
            _state.reset(token)
        if request.method not in READ_ONLY_METHODS or state.wrote:
            user_id = _user_id(request)
            if user_id is not None:
                pin_to_primary(user_id)
        if (
            state.opted_in
            and isinstance(response, StreamingHttpResponse)  # what `response.streaming` means
            and not response.is_async
        ):
            # Not async: the content is the synchronous iterator of bytes.
            chunks = cast(Iterator[bytes], response.streaming_content)
            response.streaming_content = _within(state, chunks)
        return response

    def process_view(
        self, request: HttpRequest, view_func: Callable, view_args: tuple, view_kwargs: dict
    ) -> None:
        state = _state.get()
        match = request.resolver_match
        if (
            state is not None
            and request.method in READ_ONLY_METHODS
            and match is not None
            and match.view_name in REPLICA_READ_VIEWS
        ):
            state.opted_in = True

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A read-only view that read the replica and then hit a connection error (the replica
        went away) or a cancelled query (a conflict with the replica's recovery) is run once
        more, on the primary. Safe: only GET and HEAD views ever read the replica."""
        state = _state.get()
        if (
            state is None
            or not state.used_replica
            or not isinstance(exception, (OperationalError, InterfaceError))
        ):
            return None
        replica_is_usable(recheck=True)  # a replica that is gone is left alone from now on
        log.warning(
            "Database replica failed under %s (%s); answering from the primary.",
            request.path,
            str(exception).strip() or type(exception).__name__,
        )
        state.opted_in = False
        match = request.resolver_match
        assert match is not None, "process_exception runs only for a resolved view"
        return match.func(request, *match.args, **match.kwargs)
