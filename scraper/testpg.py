"""A throwaway PostgreSQL server on a temporary data directory, for the tests and benchmarks.

It runs the server binaries of the machine (`initdb`, `pg_ctl`; Debian's `postgresql` package),
on 127.0.0.1 and a free port, with trust authentication and without fsync: a scratch server that
starts in about two seconds and is deleted when stopped. The cluster is created with the
`C.UTF-8` locale because `pg_trgm` only makes trigrams of characters the database's locale calls
letters: under the plain `C` locale Chinese text gets no trigrams at all.

PostgreSQL refuses to run as root, so when we are root (CI, containers) every server command runs
as the `postgres` user, in a directory that user owns. Stdlib only.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

SERVER_USER = "postgres"
LOCALE = "C.UTF-8"
# Scratch settings: durability off (a test server is thrown away), room for many workers.
_CONFIG = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "shared_buffers": "64MB",
    "log_line_prefix": "'%m [%p] %u@%d '",
}


class ServerUnavailable(RuntimeError):
    """No PostgreSQL server binaries on this machine, or the server would not start."""


def _binary(name: str) -> str:
    """A server binary: on PATH, else in Debian's versioned directory (newest first)."""
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        raise ServerUnavailable(f"{name} not found: install the PostgreSQL server (Debian: apt-get install postgresql)")
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class TempPostgres:
    """A running scratch server; `url()` names a database on it. Use as a context manager."""

    root: Path
    port: int
    log_statements: bool = False
    _as_user: list[str] = field(default_factory=list)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log_path(self) -> Path:
        return self.root / "server.log"

    def url(self, database: str = "postgres", user: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self._as_user, *args], capture_output=True, text=True, cwd="/")
        if done.returncode:
            raise ServerUnavailable(f"{' '.join(args[:2])} failed: {(done.stderr or done.stdout).strip()[-2000:]}")

    def start(self) -> "TempPostgres":
        if os.geteuid() == 0:
            try:
                account = pwd.getpwnam(SERVER_USER)
            except KeyError as exc:
                raise ServerUnavailable(f"running as root and there is no {SERVER_USER!r} user") from exc
            os.chown(self.root, account.pw_uid, account.pw_gid)
            self._as_user = ["runuser", "-u", SERVER_USER, "--"]
        self._run(_binary("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--encoding=UTF8", f"--locale={LOCALE}", "--no-sync", "--no-instructions")
        config = dict(_CONFIG, port=str(self.port), unix_socket_directories=f"'{self.root}'")
        if self.log_statements:
            config.update(log_connections="on", log_statement="'all'")
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as fh:
            fh.write("".join(f"{key} = {value}\n" for key, value in config.items()))
        self._run(_binary("pg_ctl"), "-D", str(self.data), "-l", str(self.log_path), "-w", "-t", "60", "start")
        return self

    def stop(self) -> None:
        """Stop at once (no checkpoint: the data is thrown away) and delete everything."""
        if (self.data / "postmaster.pid").exists():
            subprocess.run([*self._as_user, _binary("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"],
                           capture_output=True, cwd="/")
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "TempPostgres":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_temp_postgres(*, log_statements: bool = False) -> TempPostgres:
    """Create and start a scratch server (in /tmp: pytest's private temp dirs are closed to the
    `postgres` user). Raises `ServerUnavailable` when it cannot."""
    root = Path(tempfile.mkdtemp(prefix="scraper-pg-"))
    server = TempPostgres(root, _free_port(), log_statements)
    try:
        return server.start()
    except BaseException:
        server.stop()
        raise
