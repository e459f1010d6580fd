"""A real IMAP server on loopback for the tests that must poll a mailbox: Debian's dovecot
(package dovecot-imapd), run in the foreground from a throwaway directory, with one user.

    with LoopbackIMAP() as imap:
        imap.append(b"From: ana@example.com\\r\\nSubject: Hi\\r\\n\\r\\nHello\\r\\n")
        for name, value in imap.settings().items():   # IMAP_HOST, IMAP_PORT, IMAP_USER…
            setattr(settings, name, value)
        ...                                           # the app polls the mailbox
        [uid] = imap.uids(criteria="SEEN")            # what the app left behind
        assert "\\\\Seen" in imap.flags(uid)

In a pytest test, use the fixture instead (it skips when dovecot is missing, or fails when
PULSO_REQUIRE_IMAP=1 — CI sets it):

    from tests.imap_fixtures import imap_server as imap_server_fixture  # noqa: F401

    def test_polls(imap_server): ...

Plain IMAP, no TLS, PLAIN/LOGIN authentication. The server listens on 127.0.0.1 only, on a
free port (dovecot cannot bind port 0: a port is picked by binding 127.0.0.1:0 and closing the
socket, and the start is retried with another port if somebody took it meanwhile).

Everything dovecot needs — its configuration, sockets, state, log and the Maildir — lives in
one temporary directory removed by stop(); nothing under /etc/dovecot or /run/dovecot is read
or written, so a system dovecot (the package starts one on 143/993) doesn't matter. As root,
dovecot's own processes run as its system users (`dovenull` for the login process, `dovecot`
for the internal ones) and the mail belongs to `mail` (uid 8): dovecot refuses mail access as
uid 0. As any other user, everything runs as that user (no chroot either way).

A start takes ~50 ms, a stop ~10 ms (SIGKILL to the process group: dovecot's own SIGTERM
shutdown sleeps a fixed second), so every test can have its own server. A refused login takes
0.5 s (dovecot flushes failures on a fixed timer; the growing per-IP penalty is switched off).
stop() removes the log too: read `imap.log()` before it when debugging.
"""

import atexit
import grp
import imaplib
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TypeVar

DOVECOT = "/usr/sbin/dovecot"
REQUIRE_ENV = "PULSO_REQUIRE_IMAP"

Data = TypeVar("Data")


def dovecot_binary() -> str | None:
    if os.path.exists(DOVECOT):
        return DOVECOT
    return shutil.which("dovecot")


def dovecot_available() -> bool:
    """True when the dovecot binary is installed (apt-get install dovecot-imapd)."""
    return dovecot_binary() is not None


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (it may be taken again before it is used)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def process_group_alive(pgid: int) -> bool:
    """True while a process of group `pgid` is still running (zombies don't count)."""
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError):
            # pid (comm) state ppid pgrp …: comm may hold spaces and parentheses
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
                return True
    return False


def _quote(mailbox: str) -> str:
    """An IMAP quoted string: imaplib sends mailbox names as given."""
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(response: tuple[str, Data], what: str) -> Data:
    """The data of an imaplib answer, or IMAP4.error when the server did not say OK."""
    typ, data = response
    if typ != "OK":
        raise imaplib.IMAP4.error(f"{what}: {typ} {data!r}")
    return data


class LoopbackIMAP:
    """A throwaway dovecot on 127.0.0.1:<free port> with one mailbox user."""

    host = "127.0.0.1"
    user = "support"
    password = "imap-test-password"  # noqa: S105 (a loopback test server)
    mail_owner = "mail"  # the system user the Maildir belongs to when running as root
    start_timeout = 10.0
    port_attempts = 5

    def __init__(self, tmp_dir: Path | None = None):
        """`tmp_dir`: where to create the throwaway directory (default: the system's temp
        dir). When running as root its path must be traversable by others (so not pytest's
        0700 `tmp_path`): the mail processes run as `mail`."""
        self.tmp_parent = Path(tmp_dir) if tmp_dir is not None else None
        self.dir: Path | None = None
        self.port = 0
        self.process: subprocess.Popen | None = None

    # --- lifecycle --------------------------------------------------------------------------

    @property
    def log_path(self) -> Path:
        assert self.dir is not None, "started: the log is in the directory start() made"
        return self.dir / "dovecot.log"

    def log(self) -> str:
        """Dovecot's log so far (empty when not started)."""
        if self.dir is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    def start(self) -> "LoopbackIMAP":
        binary = dovecot_binary()
        if binary is None:
            raise RuntimeError("dovecot not found: apt-get install dovecot-imapd")
        if self.process is not None:
            raise RuntimeError("already started")
        self.dir = Path(tempfile.mkdtemp(prefix="dovecot-", dir=self.tmp_parent))
        try:
            self._prepare()
            for _attempt in range(self.port_attempts):
                self.port = free_port(self.host)
                self._write_config()
                if self._launch(binary):
                    atexit.register(self.stop)  # no orphan dovecot if a test run is aborted
                    return self
            raise RuntimeError(
                f"dovecot could not bind a free port in {self.port_attempts} attempts:\n"
                + self.log()
            )
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop dovecot and every child of it, then remove the temporary directory."""
        atexit.unregister(self.stop)
        self._kill()
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self) -> "LoopbackIMAP":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _ids(self) -> tuple[str, str, str, int, int]:
        """(login user, internal user, internal group, mail uid, mail gid)."""
        if os.geteuid() != 0:  # dovecot cannot switch users: all of it runs as us
            me = pwd.getpwuid(os.geteuid())
            group = grp.getgrgid(me.pw_gid).gr_name
            return me.pw_name, me.pw_name, group, me.pw_uid, me.pw_gid
        owner = pwd.getpwnam(self.mail_owner)
        return "dovenull", "dovecot", "dovecot", owner.pw_uid, owner.pw_gid

    def _prepare(self) -> None:
        assert self.dir is not None, "start() made the directory first"
        *_users, uid, gid = self._ids()
        self.dir.chmod(0o755)  # mkdtemp's 0700 would lock the mail processes out
        self._check_traversable(uid)
        for name in ("run", "state"):
            (self.dir / name).mkdir()
        mail = self.dir / "mail"
        mail.mkdir()
        os.chown(mail, uid, gid)
        passwd = self.dir / "passwd"
        passwd.write_text(f"{self.user}:{{PLAIN}}{self.password}::::::\n")
        passwd.chmod(0o644)  # read by the auth process, which runs as the internal user

    def _check_traversable(self, uid: int) -> None:
        if uid == os.geteuid():
            return
        assert self.dir is not None, "start() made the directory first"
        for parent in self.dir.parents:
            st = parent.stat()
            if not st.st_mode & stat.S_IXOTH and st.st_uid != uid:
                raise RuntimeError(
                    f"{parent} is not traversable by uid {uid}, who must reach the Maildir "
                    f"under {self.dir}: give LoopbackIMAP another tmp_dir"
                )

    def _write_config(self) -> None:
        login, internal, internal_group, uid, gid = self._ids()
        d = self.dir
        assert d is not None, "start() made the directory first"
        (d / "dovecot.conf").write_text(
            f"""\
# Written by tests/mailserver.py; nothing else is included.
base_dir = {d}/run
state_dir = {d}/state
instance_name = pulso-test-{os.getpid()}-{self.port}
log_path = {d}/dovecot.log
info_log_path = {d}/dovecot.log
protocols = imap
listen = {self.host}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
auth_verbose = yes
default_login_user = {login}
default_internal_user = {internal}
default_internal_group = {internal_group}
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:{d}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {d}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/mail/%u
}}
# No chroot: only root may chroot, and nothing here needs the protection.
service anvil {{
  chroot =
  # no auth penalty: it delays the logins after a failed one from 127.0.0.1 by 2-15 s
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {self.host}
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""
        )

    def _launch(self, binary: str) -> bool:
        """Start dovecot; True once it greets, False if its port was taken (retry)."""
        assert self.dir is not None, "start() made the directory first"
        for previous in (self.log_path, self.dir / "dovecot.stderr"):  # an earlier attempt's
            previous.unlink(missing_ok=True)
        with (self.dir / "dovecot.stderr").open("wb") as stderr:
            self.process = subprocess.Popen(
                [binary, "-F", "-c", str(self.dir / "dovecot.conf")],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,  # its own process group: stop() reaches every child
            )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            returncode = self.process.poll()
            if returncode is not None:
                log = self.log() + self._stderr()
                self._kill()
                if "Address already in use" in log:
                    return False
                raise RuntimeError(f"dovecot exited with status {returncode}:\n{log}")
            if self._greets():
                return True
            time.sleep(0.02)
        log = self.log() + self._stderr()
        self._kill()
        raise RuntimeError(f"dovecot did not greet on port {self.port} in time:\n{log}")

    def _stderr(self) -> str:
        assert self.dir is not None, "started: dovecot's stderr is in the directory start() made"
        path = self.dir / "dovecot.stderr"
        return path.read_text(errors="replace") if path.exists() else ""

    def _greets(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=1) as s:
                return s.recv(1024).startswith(b"* OK")
        except OSError:
            return False

    def _kill(self) -> None:
        """SIGKILL the whole process group at once. Not SIGTERM: dovecot's master then sleeps
        a fixed second for its log process to drain, and nothing here is worth keeping."""
        if self.process is None:
            return
        pgid = self.process.pid
        with suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        self.process.wait(5)
        self.process = None
        # The children are orphans now (init reaps them); wait until none of them can still
        # write into the directory stop() is about to remove.
        deadline = time.monotonic() + 5
        while process_group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.005)

    # --- the mailbox, seen from outside -----------------------------------------------------

    def settings(self) -> dict:
        """The app's IMAP settings pointing at this server (plain IMAP, no TLS)."""
        return {
            "IMAP_HOST": self.host,
            "IMAP_PORT": self.port,
            "IMAP_USER": self.user,
            "IMAP_PASSWORD": self.password,
            "IMAP_SSL": False,
            "IMAP_STARTTLS": False,
        }

    @contextmanager
    def client(self, folder: str | None = None, readonly: bool = False) -> Iterator[imaplib.IMAP4]:
        """A logged-in imaplib.IMAP4, with `folder` selected if given; logs out after."""
        imap = imaplib.IMAP4(self.host, self.port, timeout=10)
        try:
            _check(imap.login(self.user, self.password), "LOGIN")
            if folder is not None:
                _check(imap.select(_quote(folder), readonly=readonly), f"SELECT {folder}")
            yield imap
        finally:
            with suppress(OSError, imaplib.IMAP4.error):
                imap.logout()

    def append(self, raw: bytes, folder: str = "INBOX", seen: bool = False) -> None:
        """Deliver `raw` (an RFC 5322 message; bare LF line endings are fine) to `folder`."""
        with self.client() as imap:
            flags = r"(\Seen)" if seen else None
            _check(imap.append(_quote(folder), flags, None, raw), "APPEND")

    def uids(self, folder: str = "INBOX", criteria: str = "ALL") -> list[int]:
        """UID SEARCH `criteria` (e.g. "UNSEEN", "SEEN", 'SUBJECT "x"') in `folder`."""
        with self.client(folder, readonly=True) as imap:
            [found] = _check(imap.uid("SEARCH", criteria), "UID SEARCH")
            return [int(uid) for uid in found.split()]

    def flags(self, uid: int, folder: str = "INBOX") -> set[str]:
        """The flags of message `uid`, e.g. {"\\\\Seen"}; without \\Recent, which only says
        which session saw the message first (and is gone from IMAP4rev2)."""
        with self.client(folder, readonly=True) as imap:
            data = _check(imap.uid("FETCH", str(uid), "(FLAGS)"), "UID FETCH FLAGS")
            for item in data:
                if isinstance(item, bytes) and re.search(rb"\bUID %d\b" % uid, item):
                    flags = {flag.decode() for flag in imaplib.ParseFlags(item)}
                    return flags - {"\\Recent"}
            raise LookupError(f"no message with UID {uid} in {folder}")

    def fetch(self, uid: int, folder: str = "INBOX") -> bytes:
        """The whole message `uid` as stored (CRLF line endings), without marking it seen."""
        with self.client(folder, readonly=True) as imap:
            data = _check(imap.uid("FETCH", str(uid), "(BODY.PEEK[])"), "UID FETCH BODY")
            for item in data:
                if isinstance(item, tuple):
                    return item[1]
            raise LookupError(f"no message with UID {uid} in {folder}")

    def create_folder(self, name: str) -> None:
        with self.client() as imap:
            _check(imap.create(_quote(name)), f"CREATE {name}")

    def folders(self) -> list[str]:
        """Every mailbox name, as LIST returns it (ASCII names)."""
        with self.client() as imap:
            names = []
            for line in _check(imap.list(), "LIST"):
                assert isinstance(line, bytes), f"LIST answers a line per mailbox: {line!r}"
                match = re.match(rb'\(.*?\) (?:"[^"]*"|NIL) (?P<name>.+)$', line)
                assert match is not None, f"LIST answers (flags) delimiter name: {line!r}"
                name = match["name"].decode()
                names.append(name[1:-1] if name.startswith('"') else name)
            return names


def require_dovecot() -> None:
    """In a test: skip it when dovecot is not installed — or fail it when PULSO_REQUIRE_IMAP
    is set (CI), so that a missing package cannot pass for a green run."""
    import pytest

    if dovecot_available():
        return
    message = f"dovecot not found at {DOVECOT}: apt-get install dovecot-imapd"
    if os.environ.get(REQUIRE_ENV):
        pytest.fail(f"{message} ({REQUIRE_ENV} is set)", pytrace=False)
    pytest.skip(message)


def imap_server_fixture() -> Iterator[LoopbackIMAP]:
    """Body of the `imap_server` pytest fixture (tests/imap_fixtures.py): a started
    LoopbackIMAP, stopped afterwards; see require_dovecot() for when it skips or fails."""
    require_dovecot()
    with LoopbackIMAP() as server:
        yield server
