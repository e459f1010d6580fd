"""Small helpers that read settings from the environment, with dev-friendly defaults."""

import os
import secrets
import socket
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from dj_database_url import DBConfig
from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return default if value in (None, "") else float(value)


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def secret_key_from_env_or_file(path: Path) -> str:
    """Use SECRET_KEY when set; otherwise keep a random key in var/ so a fresh clone runs
    without anyone committing or inventing a secret."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.write_text(key)
    path.chmod(0o600)
    return key


# Where `make run` listens unless PULSO_BIND says otherwise (gunicorn's --bind syntax).
DEFAULT_BIND = "127.0.0.1:8000"
_WILDCARD_HOSTS = {"", "0.0.0.0", "::", "*"}  # noqa: S104 (recognised, not bound to)


def site_url_for_bind(bind: str) -> str:
    """The http:// URL people reach a server bound to `bind` (HOST:PORT, [IPv6]:PORT, HOST)
    at. All interfaces (0.0.0.0, [::]) are reached from elsewhere by the machine's name; a
    Unix socket or an inherited descriptor says nothing: the default then."""
    bind = bind.strip()
    if bind.startswith(("unix:", "fd://")):
        return f"http://{DEFAULT_BIND}"
    if bind.startswith("["):
        host, _, rest = bind[1:].partition("]")
        port = rest.removeprefix(":")
    elif bind.count(":") == 1:
        host, _, port = bind.partition(":")
    else:
        host, port = bind, ""
    port = port or "8000"  # gunicorn's default
    if host in _WILDCARD_HOSTS:
        host = socket.gethostname().lower() or "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def host_of(url: str) -> str:
    """The host of `url` as ALLOWED_HOSTS spells it (IPv6 in brackets)."""
    host = urlsplit(url).hostname or ""
    return f"[{host}]" if ":" in host else host


def replica_database(url: str, primary: DBConfig) -> DBConfig:
    """DATABASES["replica"] from DATABASE_REPLICA_URL: a PostgreSQL streaming replica of the
    primary (`primary`, DATABASES["default"]). A URL that cannot be one stops the start, named;
    the URL itself is not echoed (it may hold a password)."""
    if primary["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL needs a PostgreSQL DATABASE_URL: a replica is a PostgreSQL "
            "streaming replica of it (the embedded SQLite database has none)."
        )
    try:
        replica = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except Exception as error:  # dj-database-url raises ValueError and its own errors
        raise ImproperlyConfigured(
            f"DATABASE_REPLICA_URL is not a database URL: {error}. "
            "Expected postgres://USER:PASSWORD@HOST:PORT/NAME."
        ) from None
    if replica["ENGINE"] != primary["ENGINE"] or not replica["NAME"]:
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL must name a PostgreSQL database "
            "(postgres://USER:PASSWORD@HOST:PORT/NAME), a streaming replica of DATABASE_URL's."
        )
    # A dead replica must cost a page a short wait, not the operating system's minutes.
    replica.setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    # Tests run the replica alias on the primary's test database.
    replica["TEST"] = {"MIRROR": "default"}
    return replica
