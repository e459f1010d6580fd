"""The process runner (config/runner.py, what `make run` starts): a process that dies is started
again and logged while the others go on; a web server that cannot start at all stops the
runner; stopping the runner stops everything. Small stand-in programs here; the real web,
worker and beat run under it in test_soak.py."""

import os
import signal
import threading
import urllib.request
from pathlib import Path

import pytest

from config.runner import read_procfile, socket_path, supervisord_config
from tests.runtime.processes import Runner, alive, free_port, wait_until

SLEEPER = '.venv/bin/python -c "import time; print(\\"started\\", flush=True); time.sleep(600)"'


def procfile(tmp_path: Path) -> Path:
    path = tmp_path / "Procfile"
    path.write_text(
        "# stand-ins for gunicorn, the Celery worker and beat\n"
        "web: .venv/bin/python -m http.server ${STAND_IN_PORT:-1} --bind 127.0.0.1\n"
        f"worker: {SLEEPER}\n"
        f"beat: {SLEEPER}\n"
    )
    return path


def answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def runner(tmp_path):
    port = free_port()
    with Runner(tmp_path / "var", {"STAND_IN_PORT": str(port)}, procfile(tmp_path)) as started:
        started.port = port
        assert wait_until(lambda: answers(port), timeout=30), started.log()
        assert wait_until(lambda: all(started.running(n) for n in ("web", "worker", "beat")))
        yield started


class Poller(threading.Thread):
    """Asks the web server every 50 ms while a test does its worst; counts the failures."""

    def __init__(self, port: int):
        super().__init__(daemon=True)
        self.port, self.ok, self.failed = port, 0, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.05):
            if answers(self.port):
                self.ok += 1
            else:
                self.failed += 1

    def __enter__(self) -> "Poller":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.done.set()
        self.join(5)


def kill_and_see_it_back(runner: Runner, name: str) -> None:
    victim = runner.pid(name)
    assert victim
    os.killpg(victim, signal.SIGKILL)  # the whole process, pool children and all
    assert wait_until(lambda: runner.pid(name) not in (0, victim), timeout=15), runner.log()
    assert wait_until(lambda: runner.running(name), timeout=15)
    assert not alive(victim)


def test_a_killed_worker_or_beat_comes_back_and_the_web_server_keeps_serving(runner):
    web = runner.pid("web")
    assert web
    with Poller(runner.port) as poller:
        kill_and_see_it_back(runner, "worker")
        kill_and_see_it_back(runner, "beat")

    assert runner.pid("web") == web  # untouched
    assert poller.ok > 0 and poller.failed == 0
    log = runner.log()
    for name in ("worker", "beat"):
        assert f"exited: {name} (terminated by SIGKILL; not expected)" in log
        assert log.count(f"spawned: '{name}'") == 2


def test_stopping_the_runner_stops_every_process(runner):
    pids = [runner.pid(name) for name in ("web", "worker", "beat")]
    assert all(pids)

    runner.process.send_signal(signal.SIGTERM)  # what Ctrl+C (SIGINT) does too
    runner.process.wait(40)

    assert wait_until(lambda: not any(alive(pid) for pid in pids), timeout=10)
    assert not answers(runner.port)


def test_a_web_server_that_cannot_start_stops_the_runner_with_the_reason(tmp_path):
    port = free_port()
    with Runner(tmp_path / "var", {"STAND_IN_PORT": str(port)}, procfile(tmp_path)) as first:
        assert wait_until(lambda: answers(port), timeout=30)
        second = Runner(tmp_path / "var2", {"STAND_IN_PORT": str(port)}, procfile(tmp_path))
        second.start()
        try:
            second.process.wait(60)  # three failed starts (the port is taken), then it stops
        finally:
            second.stop()
        log = second.log()
        assert "gave up: web entered FATAL state" in log
        assert "pulso: web could not be started" in log
        assert "Address already in use" in log
        assert answers(port) and first.running("web")  # the other desk was not disturbed


def test_the_procfile_is_read_as_name_and_shell_command(tmp_path):
    path = tmp_path / "Procfile"
    path.write_text("# comment\n\nweb: gunicorn --bind ${PULSO_BIND:-127.0.0.1:8000}\nbeat: x %h\n")
    processes = read_procfile(path)
    assert processes == {"web": "gunicorn --bind ${PULSO_BIND:-127.0.0.1:8000}", "beat": "x %h"}

    config = supervisord_config(processes, var_dir=tmp_path)
    # Run through the shell (the ${…:-…} default), % doubled for supervisord's expansion.
    assert "command=/bin/sh -c 'exec gunicorn --bind ${PULSO_BIND:-127.0.0.1:8000}'" in config
    assert "command=/bin/sh -c 'exec x %%h'" in config

    path.write_text("web gunicorn\n")
    with pytest.raises(ValueError, match="expected 'name: command'"):
        read_procfile(path)


def test_a_long_var_dir_gets_a_socket_path_that_fits(tmp_path):
    deep = tmp_path / ("d" * 120)
    assert socket_path(tmp_path) == tmp_path / "supervisor.sock"
    assert len(str(socket_path(deep))) <= 100
    assert socket_path(deep) == socket_path(deep)  # the same every start: supervisorctl finds it
