"""How many passwords anyone may try, for the login form, the admin's login and the API's
token endpoint alike (one set of budgets: switching doors gains nothing).

Three budgets count failed passwords (a right password gives its count back):

- account + address (`LOGIN_RATE`, tight): the owner who mistypes, or one attacker on one
  account.
- account (`LOGIN_ACCOUNT_RATE`, softer): an attack on one account from many addresses. Once
  spent, it refuses only addresses that already tried this account in its window; an address
  with no attempt on the account still gets its try, so the owner signing in from their own
  address gets in while the attacker's addresses stay refused. An attacker spreading over many
  addresses gets one guess per address per window.
- address (`LOGIN_IP_RATE`): one address trying many accounts (password spraying).

Every attempt is counted (an atomic add + incr on the rate-limit cache) BEFORE its password is
checked, and only attempts whose count fits are checked: concurrent requests cannot all slip
in between a check and a count. Windows are fixed, like django-ratelimit's; keys hold hashes,
never usernames or addresses.
"""

import hashlib
import re
import time
import unicodedata
from contextlib import suppress
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest

from config.client_ip import rate_limit_address

RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# A counter lives a little longer than its window, so a late increment never recreates it.
EXPIRY_FUDGE = 5


def parse_rate(rate: str) -> tuple[int, int]:
    """django-ratelimit's syntax: `10/5m` → (10, 300)."""
    match = RATE.match(rate)
    if not match:
        raise ValueError(f"Not a rate: {rate!r} (expected e.g. 10/5m).")
    count, multiplier, unit = match.groups()
    return int(count), int(multiplier or 1) * PERIODS[unit]


def normalise_username(username: str) -> str:
    """One budget per account however its name is typed (`Ana`, `ana `, full-width)."""
    return unicodedata.normalize("NFKC", username).strip().casefold()[:150]


@dataclass
class Counter:
    """One fixed-window count in the rate-limit cache."""

    key: str
    limit: int
    seconds_left: int
    ttl: int

    @classmethod
    def of(cls, budget: str, rate: str, *parts: str) -> "Counter":
        limit, period = parse_rate(rate)
        now = int(time.time())
        window = now // period
        digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
        return cls(
            key=f"login:{budget}:{period}:{window}:{digest}",
            limit=limit,
            seconds_left=(window + 1) * period - now,
            ttl=period + EXPIRY_FUDGE,
        )

    def increment(self) -> int:
        cache = caches[settings.RATELIMIT_USE_CACHE]
        for _attempt in range(3):
            if cache.add(self.key, 1, self.ttl):
                return 1
            try:
                return cache.incr(self.key)
            except ValueError:  # expired between the add and the incr: start again
                continue
        return self.limit + 1  # a cache that cannot count refuses rather than lets through

    def decrement(self) -> None:
        with suppress(ValueError):  # the window is over: nothing to give back
            caches[settings.RATELIMIT_USE_CACHE].decr(self.key)


class LoginAttempt:
    """One password about to be checked: `begin()` counts it (or refuses it), then exactly
    one of `finish(password_wrong=...)` or nothing if `begin()` refused."""

    def __init__(self, request: HttpRequest, username: str):
        self.account = normalise_username(username)
        self.address = rate_limit_address(request)
        self.retry_after = 0
        self._held: list[Counter] = []

    def _budgets(self) -> tuple[Counter, Counter, Counter, Counter]:
        account_rate = settings.LOGIN_ACCOUNT_RATE
        return (
            Counter.of("pair", settings.LOGIN_RATE, self.account, self.address),
            # Attempts from this address on this account over the account's window: whether
            # the address is one the account's budget refuses once it is spent.
            Counter.of("seen", account_rate, self.account, self.address),
            Counter.of("account", account_rate, self.account),
            Counter.of("address", settings.LOGIN_IP_RATE, self.address),
        )

    def begin(self) -> bool:
        """Count this attempt in every budget. False, with nothing counted and `retry_after`
        set, when a budget refuses it: its password must not be checked."""
        pair, seen, account, address = self._budgets()
        refused_by = None
        if self._hold(pair) > pair.limit:
            refused_by = pair
        else:
            tried_before = self._hold(seen) > 1
            if self._hold(account) > account.limit and tried_before:
                refused_by = account
            elif self._hold(address) > address.limit:
                refused_by = address
        if refused_by is None:
            return True
        self.retry_after = max(refused_by.seconds_left, 1)
        self._release()
        return False

    def finish(self, *, password_wrong: bool) -> None:
        """A wrong password keeps its counts; a right one (or a check that never happened)
        gives them back."""
        if not password_wrong:
            self._release()
        self._held = []

    def _hold(self, counter: Counter) -> int:
        count = counter.increment()
        self._held.append(counter)
        return count

    def _release(self) -> None:
        for counter in self._held:
            counter.decrement()
        self._held = []
