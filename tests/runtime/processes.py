"""The runner (`python -m config.runner`, what `make run` starts) as a test drives it: in its own
process group, on a VAR_DIR of the test's, asked about its processes through supervisorctl."""

import os
import signal
import socket
import subprocess
import time
from contextlib import suppress
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent
PYTHON = BASE_DIR / ".venv" / "bin" / "python"
SUPERVISORCTL = BASE_DIR / ".venv" / "bin" / "supervisorctl"


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, timeout: float = 30.0, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class Runner:
    """`python -m config.runner` with `env` (over a clean copy of os.environ without
    DATABASE_URL/REDIS_URL unless given) and its output appended to VAR_DIR/runner.log."""

    def __init__(self, var_dir: Path, env: dict[str, str], procfile: Path | None = None):
        self.var_dir = var_dir
        self.log_path = var_dir / "runner.log"
        self.procfile = procfile
        base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
        self.env = {**base, "DJANGO_SETTINGS_MODULE": "config.settings", "VAR_DIR": str(var_dir)}
        self.env.update(env)
        self.process: subprocess.Popen | None = None

    def start(self) -> "Runner":
        command = [str(PYTHON), "-m", "config.runner"]
        if self.procfile:
            command += ["--procfile", str(self.procfile)]
        self.var_dir.mkdir(parents=True, exist_ok=True)
        # Appending: supervisord and the processes all write to it (/dev/stdout).
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=BASE_DIR,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def ctl(self, *args: str) -> str:
        result = subprocess.run(
            [str(SUPERVISORCTL), "-c", str(self.var_dir / "supervisord.conf"), *args],
            capture_output=True,
            text=True,
            timeout=30,
            env=self.env,
        )
        return result.stdout

    def pid(self, name: str) -> int:
        """The running pid of process `name`, 0 if it is not running."""
        text = self.ctl("pid", name).strip()
        return int(text) if text.isdigit() else 0

    def running(self, name: str) -> bool:
        return " RUNNING " in f" {self.ctl('status', name)} "

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, timeout: float = 40.0) -> int | None:
        """SIGTERM (supervisord stops its processes), then SIGKILL to whatever is left."""
        if self.process is None:
            return None
        pids = [self.pid(name) for name in ("web", "worker", "beat")] if self.alive() else []
        with suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        for pid in pids:  # each program runs in a process group of its own
            if pid:
                with suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
        return self.process.returncode

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def __enter__(self) -> "Runner":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
