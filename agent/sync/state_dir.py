"""The agent's state dir: everything an enrolled agent needs to run without the collector.

One directory per agent (several agents on one host use different ones), mode 0700::

    agent.json        {"agent", "site", "collector", "insecure", "enrolled_at"}
    credential        the agent credential ``nwa.<id>.<secret>`` (0600; read through a Secret
                      reference ``file:<dir>/credential``, never logged)
    ca.pem            the collector CA pinned at enrolment (absent when enrolled --insecure)
    assignment.json   the last assignment: an inventory document (JSON is valid YAML), the
                      inventory the agent polls from, with or without the collector
    assignment.etag   its ETag. Written after assignment.json, so a crash between the two only
                      costs one refetch (the old ETag no longer matches and the collector
                      answers 200 again)
    queue.db          the disk queue of results (SQLite in WAL mode: also -wal and -shm files)
    events.db         the events queue (traps, syslog): its own bound, same format
    jobs.db           the jobs this agent ran and their results (SQLite, WAL), so a job the
                      collector delivers again is answered from it, never run twice
    agent.lock        flock()ed while an agent or an enrolment uses the dir; holds the pid
    agent.env         optional: NETWARDEN_AGENT_ARGS for the systemd unit (install-service)
    known_hosts/      the SSH host key pinned for each device (agent/ssh/identity.py)
    config-revisions.json  per device, the last configuration commit sent to the collector

Every file the agent rewrites is written atomically (temp file, fsync, rename, fsync of the
directory): a power cut leaves the old or the new version, never half of one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

from netwarden.errors import NetwardenError, UsageError
from netwarden.fs import first_missing
from netwarden.secret import Secret


@dataclass(frozen=True)
class AgentIdentity:
    """What agent.json holds: who this agent is and where its collector is."""

    agent: str
    site: str
    collector: str
    insecure: bool
    enrolled_at: float


def atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` so that readers (and a crash) see old or new, never half."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    # The mode is set at creation, so a credential is never readable by others, even briefly.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)  # O_CREAT's mode is filtered by the umask
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # makes the rename itself durable
    finally:
        os.close(dir_fd)


class StateDir:
    """The files of one agent's state dir (see the module docstring for the layout)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path).absolute()
        self.identity_path = self.path / "agent.json"
        self.credential_path = self.path / "credential"
        self.ca_path = self.path / "ca.pem"
        self.assignment_path = self.path / "assignment.json"
        self.etag_path = self.path / "assignment.etag"
        self.queue_path = self.path / "queue.db"
        self.events_path = self.path / "events.db"
        self.jobs_path = self.path / "jobs.db"
        self.lock_path = self.path / "agent.lock"
        self.env_path = self.path / "agent.env"
        self.revisions_path = self.path / "config-revisions.json"

    def create(self) -> None:
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)

    def is_enrolled(self) -> bool:
        return self.identity_path.exists()

    @contextlib.contextmanager
    def lock(self, *, undo_on_error: bool = False) -> Iterator[None]:
        """Hold the dir for this process; a second agent on the same dir is refused.

        With ``undo_on_error``, a block that fails leaves nothing this call created: the dir
        (and any parent made for it) when it did not exist, else the lock file. Enrolment uses
        it, so that a failed first attempt leaves no half state dir for the next to trip on.
        """
        created = first_missing(self.path)
        lock_existed = self.lock_path.exists()
        self.create()
        handle: IO[str] = open(self.lock_path, "a+", encoding="ascii")  # noqa: SIM115
        try:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "?"
                raise NetwardenError(
                    f"state dir {self.path} is in use by another netwarden agent (pid {holder})"
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            try:
                yield
            except BaseException:
                if undo_on_error:
                    # Still under the lock: nobody can have started using what is removed.
                    self._undo(created, lock_existed)
                raise
        finally:
            handle.close()  # closing the descriptor releases the lock

    def _undo(self, created: Path | None, lock_existed: bool) -> None:
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        elif not lock_existed:
            self.lock_path.unlink(missing_ok=True)

    def read_identity(self) -> AgentIdentity:
        """agent.json, or a usage error telling the admin to enrol first."""
        try:
            data = json.loads(self.identity_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UsageError(
                f"state dir {self.path} is not enrolled: run `netwarden agent enroll` first"
            ) from None
        except (OSError, ValueError) as exc:
            raise NetwardenError(f"cannot read {self.identity_path}: {exc}") from exc
        try:
            return AgentIdentity(
                agent=str(data["agent"]),
                site=str(data["site"]),
                collector=str(data["collector"]),
                insecure=bool(data["insecure"]),
                enrolled_at=float(data["enrolled_at"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise NetwardenError(f"{self.identity_path} is damaged (missing {exc})") from exc

    def write_identity(self, identity: AgentIdentity) -> None:
        text = json.dumps(asdict(identity), indent=2) + "\n"
        atomic_write(self.identity_path, text.encode())

    def credential(self) -> Secret:
        """The credential as a reference: its value is read only where a request is made."""
        return Secret(f"file:{self.credential_path}")

    def write_credential(self, credential: str) -> None:
        atomic_write(self.credential_path, credential.encode() + b"\n", mode=0o600)

    def ca_pem(self) -> str | None:
        try:
            return self.ca_path.read_text(encoding="ascii")
        except FileNotFoundError:
            return None

    def write_ca(self, pem: str) -> None:
        atomic_write(self.ca_path, pem.encode("ascii"))

    def has_assignment(self) -> bool:
        return self.assignment_path.exists()

    def read_etag(self) -> str | None:
        """The ETag of the stored assignment (None without one, so the first fetch is a 200)."""
        if not self.has_assignment():
            return None
        try:
            return self.etag_path.read_text(encoding="ascii").strip() or None
        except FileNotFoundError:
            return None

    def write_assignment(self, body: bytes, etag: str) -> None:
        """Store a new assignment, then its ETag (see the module docstring for why this order)."""
        atomic_write(self.assignment_path, body)
        atomic_write(self.etag_path, etag.encode("ascii") + b"\n")

    def forget_agent_data(self) -> None:
        """Remove what belonged to a previous enrolment (re-enrolment as another agent)."""
        for path in (
            self.assignment_path,
            self.etag_path,
            self.queue_path,
            self.events_path,
            self.revisions_path,
            self.jobs_path,
        ):
            path.unlink(missing_ok=True)
            for suffix in ("-wal", "-shm"):
                path.with_name(path.name + suffix).unlink(missing_ok=True)
