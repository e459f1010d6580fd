"""DATABASE_REPLICA_URL: what it turns on, what it refuses at the start, and that the views
config/replica.py opts in exist (the routing itself: tests/test_replica_routing.py)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from django.urls import URLPattern, URLResolver, get_resolver

from config import replica
from config.env import replica_database

ROOT = Path(__file__).resolve().parent.parent
PRIMARY = {"ENGINE": "django.db.backends.postgresql"}


def _url_names(resolver: URLResolver, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def test_every_view_opted_in_is_a_url_of_pulso():
    assert _url_names(get_resolver()) >= replica.REPLICA_READ_VIEWS


@pytest.mark.parametrize(
    "url",
    [
        "not a url",
        "http://replica/pulso",
        "postgres://pulso:secret@replica:99999/pulso",
        "postgres://replica",
        "sqlite:///replica.sqlite3",
    ],
)
def test_a_replica_url_that_cannot_be_a_replica_stops_the_start_without_echoing_it(url):
    with pytest.raises(ImproperlyConfigured, match="DATABASE_REPLICA_URL") as refused:
        replica_database(url, PRIMARY)
    assert "secret" not in str(refused.value)


def test_the_embedded_database_has_no_replica():
    with pytest.raises(ImproperlyConfigured, match="PostgreSQL DATABASE_URL"):
        replica_database("postgres://u@replica/pulso", {"ENGINE": "django.db.backends.sqlite3"})


def test_the_replica_waits_two_seconds_at_most_to_connect_unless_the_url_says():
    assert replica_database("postgres://u@replica/pulso", PRIMARY)["OPTIONS"] == {
        "connect_timeout": 2
    }
    named = replica_database("postgres://u@replica/pulso?connect_timeout=5", PRIMARY)
    assert named["OPTIONS"]["connect_timeout"] == 5


def test_production_settings_with_a_replica_route_and_pass_the_deploy_check(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")
    } | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "x7!Qm2#vR9$kLp4@Zt8^Wn3&Yh6*Bd1(Fg5)Jc0-Ms_Ux=Ae+Oi",
        "DEBUG": "0",
        "SITE_URL": "https://pulso.example.com",
        "ALLOWED_HOSTS": "pulso.example.com",
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": "postgres://pulso:secret@primary.internal:5432/pulso",
        "DATABASE_REPLICA_URL": "postgres://pulso:secret@replica.internal:5432/pulso",
    }
    script = (
        "import django; django.setup();"
        "from django.conf import settings as s; from django.core.management import call_command;"
        "call_command('check', '--deploy', '--fail-level', 'WARNING');"
        "r = s.DATABASES['replica'];"
        "print(s.DATABASE_ROUTERS, r['HOST'], r['TEST']['MIRROR'], r['OPTIONS'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        "System check identified no issues (0 silenced).",
        "['config.replica.ReplicaRouter'] replica.internal default {'connect_timeout': 2}",
    ]


@pytest.mark.skipif(bool(os.environ.get("DATABASE_REPLICA_URL")), reason="a replica is set")
def test_without_a_replica_url_nothing_is_routed_and_the_middleware_steps_aside():
    assert settings.DATABASE_ROUTERS == []
    assert not replica.replica_configured()
    with pytest.raises(MiddlewareNotUsed):
        replica.ReplicaReadsMiddleware(lambda request: None)
