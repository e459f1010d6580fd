import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_production_settings_pass_the_deploy_check_with_no_warnings(tmp_path):
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
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_https_site_turns_on_secure_cookies_hsts_and_redirects(tmp_path):
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS > 0, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE)"
    )
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings",
        VAR_DIR=str(tmp_path),
        SITE_URL="https://pulso.example.com",
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["True", "True", "True", "True", "True", "Lax"]


def _deploy_check(tmp_path, **env_changes: str) -> subprocess.CompletedProcess:
    env = (
        {
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "SECRET_KEY")
        }
        | {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "0",
            "SITE_URL": "https://pulso.example.com",
            "ALLOWED_HOSTS": "pulso.example.com",
            "VAR_DIR": str(tmp_path),
        }
        | env_changes
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_shared_database_without_a_shared_secret_key_is_warned_about(tmp_path):
    # Several hosts on one PostgreSQL would each make up their own key: sessions and survey
    # links would break between them.
    database = {"DATABASE_URL": "postgres://pulso@127.0.0.1:5432/pulso"}
    made_up = _deploy_check(tmp_path, **database)
    assert made_up.returncode != 0
    assert "pulso.W001" in made_up.stdout + made_up.stderr
    shared = _deploy_check(tmp_path, SECRET_KEY="k3!Pq9#vT2$mLx7@Zr4^Wb8&Yc1*Hd6(Fj0)", **database)
    assert "pulso.W001" not in shared.stdout + shared.stderr
    # One machine with the embedded database keeps its own key quietly.
    assert "pulso.W001" not in _deploy_check(tmp_path).stdout
