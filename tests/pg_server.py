"""A throwaway PostgreSQL server for a test session (Debian's ``postgresql`` binaries).

``PgServer.start()`` makes a fresh cluster in a new temporary directory (data and socket dir
inside it), listening on 127.0.0.1 on a free port with ``fsync=off``; ``stop()`` stops it
(``pg_ctl stop -m fast``) and removes the directory. Nothing depends on a cluster an earlier
run left, nor on the one Debian's package may have started on 5432. ``initdb`` refuses to run
as root, so as root the commands run as the ``postgres`` system user the package creates.
"""

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from tests.ports import free_port

HINT = "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: run scripts/setup.sh"


class PgUnavailable(Exception):
    """The PostgreSQL binaries are missing or the server would not start (one line)."""


def find_bindir(base: Path = Path("/usr/lib/postgresql")) -> Path:
    """The newest <base>/<version>/bin holding initdb and pg_ctl (Debian's layout)."""
    found = sorted(
        (p for p in base.glob("*/bin") if (p / "initdb").exists() and (p / "pg_ctl").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not found:
        raise PgUnavailable(HINT)
    return found[-1]


@dataclass
class PgServer:
    """One running throwaway server; ``url(db)`` names a database on it."""

    bindir: Path
    root: Path
    port: int
    user: str
    startup_seconds: float = 0.0
    _as_user: list[str] = field(default_factory=list)

    @classmethod
    def start(cls) -> "PgServer":
        """Init and start a fresh cluster; on any failure nothing is left behind."""
        bindir = find_bindir()
        started = time.monotonic()
        root = Path(tempfile.mkdtemp(prefix="netwarden-pg-"))
        as_user: list[str] = []
        user = pwd.getpwuid(os.geteuid()).pw_name
        if os.geteuid() == 0:
            user = "postgres"
            try:
                entry = pwd.getpwnam(user)
            except KeyError as err:
                shutil.rmtree(root, ignore_errors=True)
                raise PgUnavailable(f"no '{user}' system user: {HINT}") from err
            os.chown(root, entry.pw_uid, entry.pw_gid)
            as_user = ["runuser", "-u", user, "--"]
        server = cls(bindir=bindir, root=root, port=free_port(), user=user, _as_user=as_user)
        try:
            server._init_and_start()
        except BaseException:
            server.stop()
            raise
        server.startup_seconds = time.monotonic() - started
        return server

    def _run(self, *args: str) -> None:
        proc = subprocess.run(
            [*self._as_user, *args],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=self.root,
            check=False,
        )
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            raise PgUnavailable(f"{Path(args[0]).name} failed ({proc.returncode}): {tail[0]}")

    def _init_and_start(self) -> None:
        data = self.root / "data"
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            self.user,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        )
        opts = (
            f"-h 127.0.0.1 -p {self.port} -k {self.root} -c fsync=off -c synchronous_commit=off"
            " -c full_page_writes=off -c max_connections=100"
        )
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(self.root / "server.log"),
            "-o",
            opts,
            "-w",
            "-t",
            "30",
            "start",
        )

    def stop(self) -> None:
        """Stop the server if it runs, and remove its directory."""
        try:
            if (self.root / "data" / "postmaster.pid").exists():
                with contextlib.suppress(PgUnavailable, subprocess.TimeoutExpired):
                    self._run(
                        str(self.bindir / "pg_ctl"),
                        "-D",
                        str(self.root / "data"),
                        "-m",
                        "fast",
                        "-w",
                        "stop",
                    )
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        """A ``postgresql://`` URL for ``database`` on this server."""
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=self.user, dbname="postgres", autocommit=True
        )

    @contextlib.contextmanager
    def database(self) -> Iterator[str]:
        """A fresh, empty database for one test; yields its URL and drops it afterwards."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        with self._admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield self.url(name)
        finally:
            with self._admin() as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
