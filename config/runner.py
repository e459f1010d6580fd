"""Runs the processes of the Procfile (web, worker, beat) under supervisord: one that dies is
started again and logged, the others go on; Ctrl+C (SIGINT or SIGTERM) stops them all.

    .venv/bin/python -m config.runner [--procfile Procfile]

Why supervisord (PyPI `supervisor`) and not honcho or a loop of ours: honcho stops every
process when one exits (a crashed worker took the web server down), and a restart loop done
right — process groups, back-off, reaping, clean stops — is what supervisord has done for
years. What is ours is only the glue: the supervisord configuration, written from the Procfile
to VAR_DIR/supervisord.conf on every start, and a listener that stops everything when a
process cannot start at all (a web port already taken), rather than running without it.

A process that fails within START_SECONDS of its start is retried with a growing pause
(1 s, 2 s, …); the web server START_RETRIES["web"] times, the others practically forever, so a
worker or beat that cannot start never takes the web server down. Output of every process goes
to the runner's standard output; supervisord's own log (starts, exits, restarts) goes there and
to VAR_DIR/log/supervisord.log. Status and restarts by hand:
`.venv/bin/supervisorctl -c VAR_DIR/supervisord.conf status` (or `restart worker`).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import secrets
import shlex
import signal
import sys
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# A process that exits sooner than this after its start has failed to start.
START_SECONDS = 3
# Failed starts in a row before supervisord gives a process up (FATAL), which stops the runner.
START_RETRIES = {"web": 3}
DEFAULT_START_RETRIES = 10_000
# How long a process gets to stop on SIGTERM (a worker finishing its task) before SIGKILL.
# SIGTERM goes to the process itself (gunicorn's master and Celery's main process stop their
# children in order); SIGKILL, if it comes to that, to its whole process group.
STOP_WAIT_SECONDS = 20
# Unix socket paths longer than this do not fit in sockaddr_un (108 bytes with the NUL).
MAX_SOCKET_PATH = 100
PROCFILE_LINE = re.compile(r"^(?P<name>[A-Za-z0-9_-]+):\s*(?P<command>.+)$")


def read_procfile(path: Path) -> dict[str, str]:
    """The Procfile's processes, in order: `name: command` lines; blank lines and # comments
    are skipped."""
    processes: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = PROCFILE_LINE.match(line)
        if match is None:
            raise ValueError(f"{path}:{number}: expected 'name: command', got {line!r}")
        processes[match["name"]] = match["command"]
    if not processes:
        raise ValueError(f"{path}: no processes")
    return processes


def socket_path(var_dir: Path) -> Path:
    """supervisorctl's socket: in VAR_DIR, or in the temporary folder (named after VAR_DIR)
    when VAR_DIR's path is too long for a Unix socket."""
    path = var_dir / "supervisor.sock"
    if len(str(path)) <= MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha256(str(var_dir).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"pulso-supervisor-{digest}.sock"


def _ini(value: str | Path) -> str:
    """A value as supervisord reads it: it expands %(name)s, so every % is doubled."""
    return str(value).replace("%", "%%")


def supervisord_config(
    processes: dict[str, str], *, var_dir: Path, workdir: Path = BASE_DIR
) -> str:
    """supervisord's configuration for `processes` (name → shell command, as in a Procfile)."""
    log_dir = var_dir / "log"
    sock = socket_path(var_dir)
    python = sys.executable
    # The socket is the owner's only (chmod); the password keeps supervisord from warning.
    password = secrets.token_urlsafe(24)
    sections = [
        f"""[supervisord]
nodaemon=true
user={os.getuid()}
directory={_ini(workdir)}
logfile={_ini(log_dir / "supervisord.log")}
logfile_maxbytes=5MB
logfile_backups=2
pidfile={_ini(var_dir / "supervisord.pid")}
childlogdir={_ini(log_dir)}

[unix_http_server]
file={_ini(sock)}
chmod=0700
username=pulso
password={_ini(password)}

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{_ini(sock)}
username=pulso
password={_ini(password)}

[eventlistener:stop-on-fatal]
command={_ini(python)} -m config.runner --stop-on-fatal
directory={_ini(workdir)}
events=PROCESS_STATE_FATAL
stdout_logfile=NONE
stderr_logfile=/dev/stderr
stderr_logfile_maxbytes=0
"""
    ]
    for priority, (name, command) in enumerate(processes.items(), start=1):
        # Through the shell, as in a Procfile (${PULSO_BIND:-…}); exec: the program's own pid.
        shell = f"/bin/sh -c {shlex.quote('exec ' + command)}"
        retries = START_RETRIES.get(name, DEFAULT_START_RETRIES)
        sections.append(
            f"""[program:{name}]
command={_ini(shell)}
directory={_ini(workdir)}
priority={priority}
autostart=true
autorestart=true
startsecs={START_SECONDS}
startretries={retries}
stopsignal=TERM
stopwaitsecs={STOP_WAIT_SECONDS}
stopasgroup=false
killasgroup=true
environment=PYTHONUNBUFFERED="1"
redirect_stderr=true
stdout_logfile=/dev/stdout
stdout_logfile_maxbytes=0
"""
        )
    return "\n".join(sections)


def write_config(procfile: Path, var_dir: Path) -> Path:
    config = var_dir / "supervisord.conf"
    (var_dir / "log").mkdir(parents=True, exist_ok=True)
    text = supervisord_config(read_procfile(procfile), var_dir=var_dir)
    descriptor = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as f:  # it holds supervisorctl's password
        f.write(text)
    return config


def stop_on_fatal() -> None:
    """supervisord event listener: a process gave up starting (FATAL) → stop supervisord,
    which stops the others, so that `make run` ends with the reason on screen."""
    from supervisor import childutils

    while True:
        headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
        if headers["eventname"] == "PROCESS_STATE_FATAL":
            process = childutils.get_headers(payload.split("\n", 1)[0])
            sys.stderr.write(
                f"pulso: {process.get('processname')} could not be started (see above): "
                "stopping everything\n"
            )
            sys.stderr.flush()
            os.kill(os.getppid(), signal.SIGTERM)  # our parent is supervisord
        childutils.listener.ok(sys.stdout)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m config.runner", description=__doc__)
    parser.add_argument("--procfile", type=Path, default=BASE_DIR / "Procfile")
    parser.add_argument("--stop-on-fatal", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stop_on_fatal:
        stop_on_fatal()
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings  # VAR_DIR, and the folders the processes write

    config = write_config(args.procfile.resolve(), Path(settings.VAR_DIR))
    supervisord = Path(sys.executable).with_name("supervisord")
    sys.stdout.flush()
    os.execv(supervisord, [str(supervisord), "--configuration", str(config)])  # noqa: S606


if __name__ == "__main__":
    main()
