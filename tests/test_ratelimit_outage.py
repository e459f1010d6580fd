"""A cache outage never takes the public pages down: with the rate limits' Redis stopped, or
frozen (SIGSTOP), the login, the customer's case link, the survey page and the API token
endpoint answer as usual (never 500, never slowly), and their limits still hold, counted in
the process until Redis is back.

Each test starts a redis-server of its own on a free loopback port (never the shared one)."""

import os
import shutil
import signal
import socket
import subprocess
import time

import pytest
import redis
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from cases import services as case_services
from cases.services import issue_access_token
from config.ratelimit_cache import CircuitBreaker
from surveys.models import SurveyInvitation
from surveys.services import token_for
from tests.factories import make_ticket

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]

# The breaker leaves a failed Redis alone this long before one request probes it again.
RETRY_SECONDS = 1.0
# A request may pay one Redis timeout (connect + read, 0.5 s each), never more.
SLOWEST_REQUEST = 1.5


class OwnRedis:
    """redis-server on a free loopback port, in a temporary folder, saving nothing."""

    def __init__(self, folder):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"redis://127.0.0.1:{self.port}/0"
        client = redis.Redis.from_url(self.url, socket_timeout=0.5)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.client = client

    def keys(self) -> int:
        return self.client.dbsize()

    def freeze(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.thaw()
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path, settings):
    server = OwnRedis(tmp_path)
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {
            "BACKEND": "config.ratelimit_cache.FailSafeRedisCache",
            "LOCATION": server.url,
            "RETRY_SECONDS": RETRY_SECONDS,
        },
    }
    yield server
    server.stop()


@pytest.fixture
def pages(ana, team_n1, customer):
    """The four public doors, each a callable → (HTTP status, seconds taken)."""
    ticket = make_ticket(by=ana, customer=customer, team=team_n1, assignee=ana)
    case_link = reverse("portal:ticket", kwargs={"token": issue_access_token(ticket)})
    case_services.add_reply(ticket=ticket, by=ana, body="Here is the fix.")
    case_services.resolve_ticket(ticket=ticket, by=ana, resolution="Fixed it.")
    survey = reverse(
        "surveys:answer", args=[token_for(SurveyInvitation.objects.get(ticket=ticket))]
    )
    browser = Client(raise_request_exception=False)
    api = APIClient(raise_request_exception=False)

    def timed(call):
        started = time.monotonic()
        response = call()
        return response.status_code, time.monotonic() - started

    return {
        # A fresh browser each time: a signed-in one is sent on without a password check.
        "login": lambda password="pulso-test": timed(
            lambda: Client(raise_request_exception=False).post(
                reverse("login"), {"username": "ana", "password": password}
            )
        ),
        "case link": lambda: timed(lambda: browser.get(case_link)),
        "survey": lambda: timed(lambda: browser.get(survey)),
        "api token": lambda password="pulso-test": timed(
            lambda: api.post(
                reverse("api:auth-token"),
                {"username": "ana", "password": password},
                format="json",
            )
        ),
    }


def visit_every_page(pages) -> dict[str, tuple[int, float]]:
    return {name: visit() for name, visit in pages.items()}


EXPECTED = {"login": 302, "case link": 200, "survey": 200, "api token": 200}


def assert_served(outcomes: dict[str, tuple[int, float]]) -> None:
    assert {name: code for name, (code, _s) in outcomes.items()} == EXPECTED
    slow = {name: s for name, (_c, s) in outcomes.items() if s > SLOWEST_REQUEST}
    assert not slow, f"too slow: {slow}"


def test_with_redis_up_the_limits_count_in_redis(own_redis, pages):
    assert_served(visit_every_page(pages))
    pages["login"]("wrong")
    assert own_redis.keys() > 0


def test_a_stopped_redis_takes_no_page_down(own_redis, pages):
    own_redis.stop()
    assert_served(visit_every_page(pages))
    assert_served(visit_every_page(pages))


def test_a_frozen_redis_takes_no_page_down_and_costs_at_most_one_timeout(
    own_redis, pages, monkeypatch
):
    own_redis.freeze()
    first = visit_every_page(pages)
    assert_served(first)
    # After the first timeout the breaker is open: the next requests do not try Redis, but
    # for one probe per RETRY_SECONDS (counted, not timed: a loaded machine is slow anyway).
    tries: list[bool] = []
    allow = CircuitBreaker.allow

    def counted(breaker: CircuitBreaker) -> bool:
        tried = allow(breaker)
        tries.append(tried)
        return tried

    monkeypatch.setattr(CircuitBreaker, "allow", counted)
    started = time.monotonic()
    again = visit_every_page(pages)
    elapsed = time.monotonic() - started
    assert_served(again)
    assert len(tries) >= len(again)  # every page counted its rate limit
    assert sum(tries) <= 1 + int(elapsed / RETRY_SECONDS), (sum(tries), elapsed)


def test_the_limits_still_hold_while_redis_is_down(own_redis, pages, settings):
    settings.LOGIN_RATE = "3/5m"
    settings.SURVEY_RATE = "4/m"
    own_redis.stop()
    assert [pages["login"]("wrong")[0] for _ in range(3)] == [200, 200, 200]
    assert pages["login"]()[0] == 429
    assert pages["api token"]()[0] == 429  # the same budget, counted locally
    assert [pages["survey"]()[0] for _ in range(5)] == [200, 200, 200, 200, 429]


def test_the_limits_hold_while_redis_is_frozen(own_redis, pages, settings):
    settings.LOGIN_RATE = "3/5m"
    own_redis.freeze()
    assert [pages["api token"]("wrong")[0] for _ in range(3)] == [400, 400, 400]
    assert pages["api token"]()[0] == 429


def test_the_counts_go_back_to_redis_once_it_answers_again(own_redis, pages):
    own_redis.freeze()
    assert_served(visit_every_page(pages))
    own_redis.thaw()
    own_redis.client.flushdb()
    time.sleep(RETRY_SECONDS + 0.2)
    pages["login"]("wrong")  # the probe: Redis answers, the breaker closes
    pages["api token"]("wrong")
    assert own_redis.keys() > 0
