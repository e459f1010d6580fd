"""Forty password guesses at the same moment: the budget is counted before any password is
checked, so at most the budget's worth of passwords is ever checked, however the requests
interleave. (Before, with DRF's throttle counting in Redis, 40 racing requests got 15–17
passwords checked against a limit of 10 on a dev server, and 21 to 40 here.)

Needs PostgreSQL (real connections in real threads); with REDIS_URL the counts live in Redis,
as in production.
"""

import os
import threading
import time
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from cases.login_guard import parse_rate
from cases.models import User
from tests.racing import at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL"
    ),
]

THREADS = 40
# What a real password hash costs, roughly: the window in which unsynchronised checks race.
HASH_SECONDS = 0.05


@pytest.fixture
def rate_limit_cache(settings):
    """The counts in Redis when REDIS_URL is set (under a prefix of this run only)."""
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        settings.CACHES = {
            **settings.CACHES,
            "ratelimit": {
                "BACKEND": "config.ratelimit_cache.FailSafeRedisCache",
                "LOCATION": redis_url,
                "KEY_PREFIX": f"race-{uuid.uuid4().hex}",
            },
        }
    return "redis" if redis_url else "local memory"


@pytest.fixture
def checked_passwords(monkeypatch):
    """Counts every password check, each taking as long as a real hash would."""
    checked = []
    lock = threading.Lock()
    original = User.check_password

    def check_password(user, raw_password):
        with lock:
            checked.append(raw_password)
        time.sleep(HASH_SECONDS)
        return original(user, raw_password)

    monkeypatch.setattr(User, "check_password", check_password)
    return checked


def api_guess(number: int):
    return lambda: (
        APIClient(REMOTE_ADDR="203.0.113.66")
        .post(
            reverse("api:auth-token"),
            {"username": "ana", "password": f"guess-{number}"},
            format="json",
        )
        .status_code
    )


def form_guess(number: int):
    return lambda: (
        Client(REMOTE_ADDR="203.0.113.66")
        .post(reverse("login"), {"username": "ana", "password": f"guess-{number}"})
        .status_code
    )


def test_forty_racing_guesses_on_the_token_endpoint_check_at_most_the_budget(
    settings, ana, rate_limit_cache, checked_passwords
):
    budget, _period = parse_rate(settings.LOGIN_RATE)
    outcomes = at_once([api_guess(i) for i in range(THREADS)])

    assert sorted(outcomes, key=str) == sorted([400] * budget + [429] * (THREADS - budget), key=str)
    assert len(checked_passwords) == budget, rate_limit_cache


def test_racing_guesses_through_both_doors_share_one_budget(
    settings, ana, rate_limit_cache, checked_passwords
):
    budget, _period = parse_rate(settings.LOGIN_RATE)
    calls = [api_guess(i) if i % 2 else form_guess(i) for i in range(THREADS)]
    outcomes = at_once(calls)

    assert all(code in (200, 400, 429) for code in outcomes), outcomes
    assert outcomes.count(429) == THREADS - budget
    assert len(checked_passwords) == budget, rate_limit_cache
