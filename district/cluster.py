"""A private PostgreSQL cluster in a directory of our own, on a free loopback port.

Why: the district needs PostgreSQL and a technician's laptop or a CI box may have the binaries
but no server running (Debian puts `initdb` and `pg_ctl` in /usr/lib/postgresql/<major>/bin, off
the PATH). `hall district` without a DSN starts one under var/district/pg, the way the hall starts
its own Mosquitto; the tests start one to restart PostgreSQL under a running ingest without
touching the machine's own service. Trust authentication on a Unix socket in the cluster's own
directory and on 127.0.0.1 only: the cluster is for this machine's own programs.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

START_TIMEOUT_S = 60.0
LOOPBACK = "127.0.0.1"


class ClusterError(RuntimeError):
    """The private cluster cannot be made or started; the message says why in one sentence."""


def pg_binary(name: str) -> str | None:
    """The path of a PostgreSQL server program (initdb, pg_ctl, postgres), or None."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return candidates[-1] if candidates else None


def free_port(host: str = LOOPBACK) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class PrivateCluster:
    """`with PrivateCluster(dir) as pg: pg.dsn("postgres")`; `stop()`, `start()`, `kill()` at will
    (the port stays the same, so clients reconnect to the same address)."""

    def __init__(self, directory: str | Path, port: int | None = None, user: str = "postgres"):
        self.directory = Path(directory)
        self.data = self.directory / "data"
        self.port = port or free_port()
        self.user = user
        self.initdb, self.pg_ctl = pg_binary("initdb"), pg_binary("pg_ctl")
        if not (self.initdb and self.pg_ctl):
            raise ClusterError("PostgreSQL's initdb and pg_ctl are not installed (apt install postgresql)")
        self._as = _unprivileged() if os.geteuid() == 0 else []

    def __enter__(self) -> PrivateCluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def dsn(self, dbname: str = "postgres") -> str:
        return f"host={LOOPBACK} port={self.port} user={self.user} dbname={dbname}"

    def _make(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if self._as:
            owner = self._as[2]
            shutil.chown(self.directory, owner, owner)
        run = subprocess.run(
            [
                *self._as,
                self.initdb,
                "-D",
                str(self.data),
                "-U",
                self.user,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--locale=C",
            ],
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            raise ClusterError(f"initdb failed: {run.stderr.strip().splitlines()[-1:]}")

    def start(self) -> PrivateCluster:
        if not (self.data / "PG_VERSION").exists():
            self._make()
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses={LOOPBACK} -c fsync=on "
            "-c max_connections=100 -c shared_buffers=64MB"
        )
        run = subprocess.run(
            [
                *self._as,
                self.pg_ctl,
                "-D",
                str(self.data),
                "-l",
                str(self.directory / "server.log"),
                "-o",
                options,
                "-w",
                "-t",
                str(int(START_TIMEOUT_S)),
                "start",
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "LC_ALL": "C"},
        )
        if run.returncode != 0:
            raise ClusterError(f"PostgreSQL did not start on port {self.port}; see {self.directory / 'server.log'}")
        return self

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                [*self._as, self.pg_ctl, "-D", str(self.data), "-m", mode, "-w", "stop"], capture_output=True
            )

    def kill(self) -> None:
        """Stop at once, as a crash would (`immediate`: no checkpoint; recovery at the next start)."""
        self.stop("immediate")

    @property
    def running(self) -> bool:
        run = subprocess.run([*self._as, self.pg_ctl, "-D", str(self.data), "status"], capture_output=True)
        return run.returncode == 0


def _unprivileged() -> list[str]:
    """PostgreSQL refuses to run as root: as root, run its programs as the `postgres` user (the
    Debian package's), or `nobody`. The cluster's directory must be reachable by that user."""
    import pwd

    for user in ("postgres", "nobody"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            continue
        runuser = shutil.which("runuser")
        if runuser:
            return [runuser, "-u", user, "--"]
    raise ClusterError("PostgreSQL will not run as root and there is no postgres or nobody user to run it as")


def wait_until_ready(dsn: str, timeout: float = START_TIMEOUT_S) -> None:
    """Poll until PostgreSQL at `dsn` takes connections (after a start or a restart)."""
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            psycopg.connect(dsn, connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"PostgreSQL at port {dsn.split('port=')[-1].split()[0]} did not accept connections"
                ) from None
            time.sleep(0.1)
