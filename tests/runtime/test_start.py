"""Starting Pulso on a fresh VAR_DIR, in both modes: every folder a process writes exists
before any process needs it (celery beat died at start on PostgreSQL + Redis for want of
VAR_DIR/celery/), and in the embedded mode the links in e-mails follow where `make run`
listens (PULSO_BIND)."""

import json
import os
import subprocess
import time
from io import StringIO

import pytest
from django.core.management import call_command

from config.env import host_of, site_url_for_bind
from tests.runtime.processes import BASE_DIR, PYTHON

WRITTEN_FOLDERS = ["celery", "log", "mail", "media", "staticfiles"]
PRODUCTION = {
    "DATABASE_URL": "postgres://pulso@127.0.0.1:1/pulso",  # never connected to here
    "REDIS_URL": "redis://127.0.0.1:1/0",
}
READ_SETTINGS = """
import json
from django.conf import settings
print(json.dumps({
    "SITE_URL": settings.SITE_URL,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "CSRF_TRUSTED_ORIGINS": settings.CSRF_TRUSTED_ORIGINS,
    "STATIC_ROOT": str(settings.STATIC_ROOT),
    "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    "EMAIL_FILE_PATH": str(settings.EMAIL_FILE_PATH),
    "CELERY_BEAT_SCHEDULE_FILENAME": settings.CELERY_BEAT_SCHEDULE_FILENAME,
}))
"""


def environment(var_dir, **env: str) -> dict[str, str]:
    unset = {"DATABASE_URL", "REDIS_URL", "SITE_URL", "PULSO_BIND", "ALLOWED_HOSTS"}
    base = {k: v for k, v in os.environ.items() if k not in unset}
    return {**base, "DJANGO_SETTINGS_MODULE": "config.settings", "VAR_DIR": str(var_dir), **env}


def settings_of(var_dir, **env: str) -> dict:
    """The production settings (config.settings) as a process started with `env` sees them."""
    result = subprocess.run(
        [str(PYTHON), "-c", READ_SETTINGS],
        cwd=BASE_DIR,
        env=environment(var_dir, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("mode", ["embedded", "production"])
def test_every_folder_a_process_writes_is_made_by_the_settings(tmp_path, mode):
    var_dir = tmp_path / "var"
    seen = settings_of(var_dir, **(PRODUCTION if mode == "production" else {}))

    assert sorted(p.name for p in var_dir.iterdir() if p.is_dir()) == WRITTEN_FOLDERS
    for name in ("STATIC_ROOT", "MEDIA_ROOT", "EMAIL_FILE_PATH"):
        assert os.path.isdir(seen[name]), name
    assert os.path.isdir(os.path.dirname(seen["CELERY_BEAT_SCHEDULE_FILENAME"]))


def test_links_follow_the_address_make_run_listens_on(tmp_path):
    seen = settings_of(tmp_path, PULSO_BIND="127.0.0.1:8300")
    assert seen["SITE_URL"] == "http://127.0.0.1:8300"
    assert seen["CSRF_TRUSTED_ORIGINS"] == ["http://127.0.0.1:8300"]

    # Nothing said: as before.
    assert settings_of(tmp_path)["SITE_URL"] == "http://127.0.0.1:8000"
    # SITE_URL said: it wins (a proxy in front, say).
    said = settings_of(tmp_path, PULSO_BIND="127.0.0.1:8300", SITE_URL="https://desk.example.com/")
    assert said["SITE_URL"] == "https://desk.example.com"
    # Outside the embedded mode PULSO_BIND is not Pulso's address: SITE_URL must be set.
    production = settings_of(tmp_path, PULSO_BIND="127.0.0.1:8300", **PRODUCTION)
    assert production["SITE_URL"] == "http://127.0.0.1:8000"


def test_listening_on_every_interface_links_to_the_machine_by_name(tmp_path):
    seen = settings_of(tmp_path, PULSO_BIND="0.0.0.0:8300")  # noqa: S104
    hostname = os.uname().nodename.lower()
    assert seen["SITE_URL"] == f"http://{hostname}:8300"
    # …and answers requests for that name (the links would be refused otherwise).
    assert hostname in seen["ALLOWED_HOSTS"]
    assert {"localhost", "127.0.0.1", "[::1]"} <= set(seen["ALLOWED_HOSTS"])
    # An explicit ALLOWED_HOSTS is kept as it is.
    kept = settings_of(tmp_path, PULSO_BIND="0.0.0.0:8300", ALLOWED_HOSTS="desk.lan")  # noqa: S104
    assert kept["ALLOWED_HOSTS"] == ["desk.lan"]


@pytest.mark.parametrize(
    ("bind", "url"),
    [
        ("127.0.0.1:8300", "http://127.0.0.1:8300"),
        ("192.168.1.20:80", "http://192.168.1.20:80"),
        ("localhost", "http://localhost:8000"),
        ("[::1]:8300", "http://[::1]:8300"),
        ("unix:/run/pulso.sock", "http://127.0.0.1:8000"),
        (" 127.0.0.1:8300 ", "http://127.0.0.1:8300"),
    ],
)
def test_site_url_for_each_form_of_bind(bind, url):
    assert site_url_for_bind(bind) == url


def test_allowed_hosts_spell_ipv6_in_brackets():
    assert host_of("http://[::1]:8300") == "[::1]"
    assert host_of("https://desk.example.com") == "desk.example.com"


@pytest.mark.skipif(
    not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")),
    reason="needs DATABASE_URL and REDIS_URL (PostgreSQL + Redis, as in production)",
)
def test_celery_beat_starts_clean_on_a_fresh_var_dir_with_postgres_and_redis(tmp_path):
    var_dir = tmp_path / "var"
    env = environment(
        var_dir, DATABASE_URL=os.environ["DATABASE_URL"], REDIS_URL=os.environ["REDIS_URL"]
    )
    with open(tmp_path / "beat.log", "wb") as log:
        beat = subprocess.Popen(
            [str(BASE_DIR / ".venv" / "bin" / "celery"), "-A", "config", "beat"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    schedule = var_dir / "celery"
    try:
        # A loaded machine takes a while to start Celery: until the schedule is written…
        deadline = time.monotonic() + 60
        while beat.poll() is None and time.monotonic() < deadline:
            if list(schedule.glob("beat-schedule*")):
                break
            time.sleep(0.2)
        time.sleep(3)  # …and a few seconds more, still up
        still_up = beat.poll() is None
    finally:
        beat.terminate()
        beat.wait(20)
    output = (tmp_path / "beat.log").read_text()
    assert still_up, output
    assert "FileNotFoundError" not in output
    assert list(schedule.glob("beat-schedule*")), f"beat wrote no schedule: {output}"


def test_the_banner_shows_the_address_the_links_use(settings, db):
    settings.SITE_URL = "http://127.0.0.1:8300"
    out = StringIO()
    call_command("welcome", stdout=out)
    assert "http://127.0.0.1:8300/tickets/" in out.getvalue()
    assert "8000" not in out.getvalue()
