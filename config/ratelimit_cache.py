"""The cache the rate limits count in (`RATELIMIT_USE_CACHE`): Redis, and while Redis is
unreachable or frozen, a count in this process's memory instead of an error page.

A rate limit that raises when its cache is down turns the login, the customer's case link,
the survey page and the API token endpoint into 500s for as long as Redis is away. Failing
open would hand an attacker every password guess during the outage; failing closed would lock
every customer out. So the limits keep holding, per process: each web process counts on its
own until Redis answers again (with N processes a client gets at most N times its budget).

Redis calls get short timeouts, and after a failure Redis is left alone for `RETRY_SECONDS`
(a circuit breaker): one request pays the timeout, the next ones count locally at once, and
one request per interval probes whether Redis is back. Only this alias falls back; the default
cache (the mailbox poll's lock) keeps failing loudly, since a per-process lock is no lock.
"""

import logging
import threading
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# Redis on loopback or in the same network answers in well under a millisecond; half a second
# is a sick Redis, and a request should not wait longer than that for a rate-limit count.
DEFAULT_SOCKET_TIMEOUT = 0.5
DEFAULT_RETRY_SECONDS = 10.0
# The local count holds one small integer per client and limit; culling it early would
# forget the counts of an attack from many addresses.
LOCAL_MAX_ENTRIES = 100_000


class CircuitBreaker:
    """Whether to try Redis now: always while it works; once per `retry_seconds` after it
    failed. Shared by every thread of the process (cache objects are per thread)."""

    def __init__(self, name: str, retry_seconds: float):
        self.name = name
        self.retry_seconds = retry_seconds
        self.down = False
        self.next_probe = 0.0
        self._lock = threading.Lock()

    def allow(self) -> bool:
        with self._lock:
            if not self.down:
                return True
            now = time.monotonic()
            if now < self.next_probe:
                return False
            self.next_probe = now + self.retry_seconds  # this caller is the one probe
            return True

    def failed(self, error: Exception) -> None:
        with self._lock:
            newly = not self.down
            self.down = True
            self.next_probe = time.monotonic() + self.retry_seconds
        if newly:
            logger.warning(
                "Rate limits: Redis unreachable (%s); counting in this process, retrying "
                "every %s s.",
                error,
                self.retry_seconds,
            )

    def succeeded(self) -> None:
        if not self.down:
            return
        with self._lock:
            newly = self.down
            self.down = False
        if newly:
            logger.warning("Rate limits: Redis answers again; counting in Redis.")


_breakers: dict[str, CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(name: str, retry_seconds: float) -> CircuitBreaker:
    with _breakers_lock:
        breaker = _breakers.get(name)
        if breaker is None or breaker.retry_seconds != retry_seconds:
            breaker = _breakers[name] = CircuitBreaker(name, retry_seconds)
        return breaker


class FailSafeRedisCache(BaseCache):
    """Django's RedisCache with a per-process LocMemCache standing in while Redis fails.

    CACHES options: LOCATION the Redis URL; OPTIONS as for RedisCache (socket timeouts default
    to 0.5 s); RETRY_SECONDS how long to leave a failed Redis alone (10)."""

    def __init__(self, server: str, params: dict[str, Any]):
        super().__init__(params)
        options = dict(params.get("OPTIONS") or {})
        options.setdefault("socket_connect_timeout", DEFAULT_SOCKET_TIMEOUT)
        options.setdefault("socket_timeout", DEFAULT_SOCKET_TIMEOUT)
        self._redis = RedisCache(server, {**params, "OPTIONS": options})
        local_params = {**params, "OPTIONS": {"MAX_ENTRIES": LOCAL_MAX_ENTRIES}}
        self._local = LocMemCache(f"ratelimit-fallback:{server}", local_params)
        retry_seconds = float(params.get("RETRY_SECONDS", DEFAULT_RETRY_SECONDS))
        self._breaker = breaker_for(server, retry_seconds)

    @property
    def redis_down(self) -> bool:
        """True while the counts are kept locally."""
        return self._breaker.down

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        if self._breaker.allow():
            try:
                result = getattr(self._redis, method)(*args, **kwargs)
            except (RedisError, OSError) as error:
                self._breaker.failed(error)
            else:
                self._breaker.succeeded()
                return result
        return getattr(self._local, method)(*args, **kwargs)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call("get", key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", key, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", key, version)

    def incr(self, key, delta=1, version=None):
        return self._call("incr", key, delta, version)

    def decr(self, key, delta=1, version=None):
        return self._call("decr", key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", keys, version)

    def clear(self):
        self._local.clear()
        return self._call("clear")

    def close(self, **kwargs):
        self._local.close(**kwargs)
        self._redis.close(**kwargs)
