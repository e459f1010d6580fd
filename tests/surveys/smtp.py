"""Real servers on loopback for the tests (and the benchmark) that must see e-mails cross a
socket: an SMTP server (aiosmtpd) that records what it receives, a real Celery worker in
this process (`celery_worker_in_this_process`), and one in its own process group that can be
SIGKILLed whole (`WorkerProcess`).

    with LoopbackSMTP(kinds=SURVEY_MAILS) as smtp:
        point_django_at(settings, smtp)      # Django's SMTP backend → 127.0.0.1:<free port>
        ...
        assert smtp.wait_for(1)
        [message] = smtp.messages            # email.message.EmailMessage, parsed

The server listens on 127.0.0.1 only, on a port the kernel picks (no race for a free port).
"""

import email
import email.policy
import logging
import os
import re
import signal
import subprocess
import threading
import time
from collections import Counter
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import IO

from aiosmtpd.controller import Controller

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# The surveys app's e-mails (X-Pulso-Mail), apart from the case e-mails a resolution also sends.
SURVEY_MAILS = {"survey-invitation", "survey-reminder", "follow-up-alert"}
# aiosmtpd logs every SMTP command at INFO; only its warnings are worth reading.
logging.getLogger("mail.log").setLevel(logging.WARNING)

# A survey link in an e-mail: `url` (up to the token's slash), `token`, and `csat` for the
# one-click score links (`…/s/<token>/?csat=N`).
SURVEY_LINK = re.compile(
    r"(?P<url>https?://[^\s\"'<>]+?/s/(?P<token>[A-Za-z0-9_-]+)/)(?:\?csat=(?P<csat>\d+))?"
)


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    at: float = field(default_factory=time.monotonic)  # time.monotonic() on arrival


class _Handler:
    def __init__(self, server: "LoopbackSMTP"):
        self.server = server

    async def handle_DATA(self, smtp, session, envelope):  # aiosmtpd's hook name
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        self.server._record(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class _Controller(Controller):
    """aiosmtpd's threaded controller, bound to port 0: the real port is read back from the
    listening socket before the controller's own readiness check connects to it."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class LoopbackSMTP:
    """Collects every message it receives; thread-safe; waits for counts. With `kinds`, only
    those of our e-mails (their `X-Pulso-Mail` header, e.g. "survey-invitation") are counted;
    the others are accepted and kept in `others`."""

    host = "127.0.0.1"

    def __init__(self, kinds: set[str] | None = None):
        self.kinds = kinds
        self.others: list[Received] = []
        self.received: list[Received] = []
        self._changed = threading.Condition()
        self._controller = _Controller(_Handler(self), hostname=self.host, port=0)

    @property
    def port(self) -> int:
        return self._controller.port

    def start(self) -> "LoopbackSMTP":
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> "LoopbackSMTP":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _record(self, received: Received) -> None:
        with self._changed:
            if self.kinds is not None and received.message["X-Pulso-Mail"] not in self.kinds:
                self.others.append(received)
                return
            self.received.append(received)
            self._changed.notify_all()

    @property
    def messages(self) -> list[EmailMessage]:
        with self._changed:
            return [r.message for r in self.received]

    def count(self) -> int:
        with self._changed:
            return len(self.received)

    def to(self, address: str) -> list[EmailMessage]:
        """The messages whose envelope named `address` as a recipient."""
        with self._changed:
            return [r.message for r in self.received if address in r.rcpt_tos]

    def per_recipient(self) -> Counter:
        with self._changed:
            return Counter(rcpt for r in self.received for rcpt in r.rcpt_tos)

    def wait_for(self, count: int, timeout: float = 20.0) -> bool:
        """True as soon as at least `count` messages arrived; False after `timeout` s."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
            return True

    def clear(self) -> None:
        with self._changed:
            self.received.clear()
            self.others.clear()


def point_django_at(settings, smtp: LoopbackSMTP) -> None:
    """Make Django's real SMTP backend talk to `smtp` (pytest-django `settings` fixture)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp.host
    settings.EMAIL_PORT = smtp.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False


def smtp_environment(smtp: LoopbackSMTP) -> dict[str, str]:
    """The same, as environment variables for a worker subprocess running config.settings."""
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": smtp.host,
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
        "EMAIL_USE_TLS": "0",
        "EMAIL_USE_SSL": "0",
    }


def text_part(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None, f"a text/plain part in {message['Subject']!r}"
    return body.get_content()


def html_part(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("html",))
    assert body is not None, f"a text/html part in {message['Subject']!r}"
    return body.get_content()


def survey_links(text: str) -> list[re.Match]:
    """Every survey link in a text or HTML body, in order (see SURVEY_LINK)."""
    return list(SURVEY_LINK.finditer(text))


def wait_until(condition, timeout: float = 20.0, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())


@contextmanager
def celery_worker_in_this_process(app):
    """A real Celery worker (solo pool, in a thread) consuming the configured broker — Redis
    when REDIS_URL is set, the filesystem transport otherwise. Eager mode is off inside."""
    from celery._state import _set_task_join_will_block, task_join_will_block
    from celery.contrib.testing.worker import start_worker

    app.loader.import_module("celery.contrib.testing.tasks")
    eager = app.conf.task_always_eager
    join_will_block = task_join_will_block()
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        app.conf.task_always_eager = eager
        # Starting a worker marks the whole process as "inside a task", so a later test's
        # `result.get()` would raise; give the process back as it was.
        _set_task_join_will_block(join_will_block)


# --- a real worker in its own process -------------------------------------------------------


def database_url(connection) -> str:
    """DATABASE_URL for a subprocess that must use the database `connection` uses (in a test:
    the test database)."""
    from urllib.parse import quote

    s = connection.settings_dict
    if connection.vendor == "postgresql":
        password = f":{quote(s['PASSWORD'], safe='')}" if s.get("PASSWORD") else ""
        port = f":{s['PORT']}" if s.get("PORT") else ""
        host = s.get("HOST") or "localhost"
        return (
            f"postgres://{quote(s.get('USER') or '', safe='')}{password}@{host}{port}/{s['NAME']}"
        )
    if connection.vendor == "sqlite":
        name = str(s["NAME"])
        if name == ":memory:" or name.startswith("file:"):
            raise ValueError("an in-memory SQLite database cannot be shared with a subprocess")
        return f"sqlite:///{os.path.abspath(name)}"
    raise ValueError(f"no DATABASE_URL for {connection.vendor}")


class WorkerProcess:
    """`celery -A config worker` in its own process group (so it can be killed whole), with
    config.settings — not the test settings — and the environment given."""

    def __init__(
        self,
        *,
        env: dict[str, str],
        concurrency: int = 2,
        log_path=None,
        name: str = "w",
        extra_args: tuple[str, ...] = (),
    ):
        self.env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env}
        self.concurrency = concurrency
        self.extra_args = extra_args
        self.log_path = log_path
        self.name = f"{name}-{os.getpid()}-{time.monotonic_ns()}@%h"
        self.process: subprocess.Popen | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> "WorkerProcess":
        command = [
            str(BASE_DIR / ".venv" / "bin" / "celery"),
            "-A",
            "config",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            str(self.concurrency),
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
            "-n",
            self.name,
            *self.extra_args,
        ]
        self._log = open(self.log_path or os.devnull, "ab")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: SIGKILL reaches every child
        )
        return self

    def kill(self) -> None:
        """SIGKILL the whole worker, main process and pool children alike."""
        if self.process:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self._close_log()

    def stop(self, timeout: float = 15.0) -> None:
        """Warm shutdown (SIGTERM to the main process, which stops its children), then
        SIGKILL to the whole group if that takes longer than `timeout`."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout)
        if self.process:
            with suppress(ProcessLookupError):  # nothing of the group may outlive it
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self._close_log()

    def _close_log(self) -> None:
        if self._log:
            self._log.close()
            self._log = None

    def __enter__(self) -> "WorkerProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
