"""Start lab daemons detached, record them, and end exactly those (by PID and start time)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Process:
    """A process the lab started; ``started`` (clock ticks since boot) guards against PID reuse."""

    name: str
    pid: int
    started: int
    log: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Process:
        return cls(str(data["name"]), int(data["pid"]), int(data["started"]), str(data["log"]))


def _fields(pid: int) -> list[str] | None:
    """``/proc/PID/stat`` after the command name (state, ppid, ...), or None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: split after the last ')'.
    return raw[raw.rindex(")") + 2 :].split()


def _stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time) of ``pid`` from /proc, or None when it is gone."""
    fields = _fields(pid)
    return None if fields is None else (fields[0], int(fields[19]))


def children(parent: Process) -> list[Process]:
    """The live direct children of a process we started, as processes of ours.

    sshd forks one process per connection; stopping the listener leaves them running, and one
    whose client vanished with a deleted namespace waits for ever (holding that namespace, and
    its user, which ``userdel`` then refuses to remove). Stopping a daemon stops these too.
    """
    return children_of(parent.pid, parent.name) if alive(parent) else []


def children_of(pid: int, name: str) -> list[Process]:
    """The live direct children of ``pid`` (a process the caller started and has not reaped)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _fields(int(entry.name))
        if fields is not None and int(fields[1]) == pid:
            found.append(Process(f"{name} child", int(entry.name), int(fields[19]), ""))
    return found


def start(name: str, argv: list[str], log: Path, env: dict[str, str] | None = None) -> Process:
    """Start ``argv`` in its own session so it outlives the CLI; output goes to ``log``."""
    with log.open("ab") as out:
        child = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )
    stat = _stat(child.pid)
    # The daemon outlives this Popen object on purpose; mark it handled so Popen does not warn
    # "still running" when collected. `stop` reaps it if it is still our child.
    child.returncode = 0
    return Process(name, child.pid, stat[1] if stat else 0, str(log))


def _reap(pid: int) -> None:
    """Collect the exit status of a child we started, so it does not linger as a zombie."""
    # Not our child when an earlier `netwarden` run started it: init reaps it then.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def alive(proc: Process) -> bool:
    """True while the very process we started runs (a zombie counts as ended)."""
    stat = _stat(proc.pid)
    return stat is not None and stat[1] == proc.started and stat[0] not in ("Z", "X")


def stop(procs: list[Process], timeout: float = 3.0) -> list[str]:
    """SIGTERM every live process and its direct children (see ``children``), SIGKILL what is
    left after ``timeout``; return the names of the killed."""
    procs = [*procs, *(child for proc in procs for child in children(proc))]
    for proc in procs:
        _signal(proc, signal.SIGTERM)
    _wait_gone(procs, timeout)
    killed = [proc.name for proc in procs if _signal(proc, signal.SIGKILL)]
    _wait_gone(procs, 2.0)
    return killed


def _signal(proc: Process, sig: signal.Signals) -> bool:
    """Send ``sig`` to ``proc`` if it still runs; False when it had ended. It may end between
    the check and the signal: an sshd connection's process leaving as the lab stops did, under
    load, and the stop failed with ProcessLookupError."""
    if not alive(proc):
        return False
    try:
        os.kill(proc.pid, sig)
    except ProcessLookupError:
        return False
    return True


def _wait_gone(procs: list[Process], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        for proc in procs:
            _reap(proc.pid)
        if not any(alive(p) for p in procs) or time.monotonic() > deadline:
            return
        time.sleep(0.02)


def last_lines(path: str, count: int = 3) -> str:
    """The last lines of a log, joined for a one-line error message."""
    try:
        lines = Path(path).read_text(errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return " | ".join(lines[-count:]) or "(empty log)"
