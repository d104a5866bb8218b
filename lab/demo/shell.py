"""Commands the demo runs, shown as an admin would type them, and the processes it starts.

Every command has a timeout; every background process is recorded with its PID and ended by
that PID (SIGTERM, then SIGKILL if it lingers). Waits are bounded in time and in attempts.
"""

from __future__ import annotations

import math
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO, TypeVar

from netwarden.lab.demo.runner import StepFailed

T = TypeVar("T")
NETWARDEN = [sys.executable, "-m", "netwarden"]


def in_ns(ns: str | None, argv: Sequence[str]) -> list[str]:
    return ["ip", "netns", "exec", ns, *argv] if ns else list(argv)


@dataclass
class Shell:
    """Runs ``netwarden`` commands for the demo and echoes them with their output."""

    out: TextIO
    env: dict[str, str] = field(default_factory=dict)
    # Steps run commands from several threads (agents enrol in parallel): one command's line
    # and its output are printed together.
    lock: threading.Lock = field(default_factory=threading.Lock)

    def netwarden(
        self,
        *args: str,
        ns: str | None = None,
        show: bool = True,
        timeout: float = 120,
        env: Mapping[str, str] | None = None,
    ) -> str:
        """Run ``netwarden ARGS`` (in namespace ``ns``); its output, or StepFailed on exit != 0."""
        shown = " ".join(shlex.quote(a) for a in ("netwarden", *_masked(args)))
        if ns:
            shown = f"ip netns exec {ns} {shown}"
        done = subprocess.run(
            in_ns(ns, [*NETWARDEN, *args]),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env={**os.environ, **self.env, **(env or {})},
        )
        if done.returncode != 0:
            raise StepFailed(f"`{shown}` exited {done.returncode}: {_last_line(done.stderr)}")
        if show:
            self.say(f"$ {shown}\n{done.stdout.rstrip()}".rstrip())
        return done.stdout

    def say(self, text: str) -> None:
        with self.lock:
            print(text, file=self.out, flush=True)


def _masked(args: Sequence[str]) -> list[str]:
    """The arguments as shown: a join token is a secret until used, so it is not printed."""
    return ["<join token>" if i and args[i - 1] == "--token" else a for i, a in enumerate(args)]


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no message)"


@dataclass
class Processes:
    """The demo's background processes, each ended by its PID."""

    folder: Path
    started: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def start(self, name: str, argv: Sequence[str], ns: str | None = None) -> Path:
        log = self.folder / f"{name}.log"
        with log.open("ab") as sink:
            proc = subprocess.Popen(in_ns(ns, argv), stdout=sink, stderr=subprocess.STDOUT)
        self.started.append((name, proc))
        return log

    def check_alive(self, name: str) -> None:
        """StepFailed with the end of its log if ``name`` has exited (no point waiting on)."""
        for started, proc in self.started:
            if started == name and proc.poll() is not None:
                log = (self.folder / f"{name}.log").read_text(errors="replace")
                raise StepFailed(f"{name} exited {proc.returncode}: {_last_line(log)}")

    def pids(self) -> dict[str, int]:
        return {name: proc.pid for name, proc in self.started if proc.poll() is None}

    def stop_all(self) -> None:
        for _, proc in reversed(self.started):
            stop(proc)
        self.started.clear()


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def wait_for(
    what: str,
    check: Callable[[], T | None],
    timeout: float,
    every: float = 0.5,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call ``check`` until it returns something truthy and return it; StepFailed naming
    ``what`` after ``timeout`` s (or as many attempts as that allows, whichever comes first)."""
    deadline = clock() + timeout
    last: object = None
    for _ in range(math.ceil(timeout / max(every, 0.01)) + 2):
        try:
            value = check()
        except StepFailed:
            raise
        except Exception as exc:
            value, last = None, exc
        else:
            last = value
        if value:
            return value
        if clock() >= deadline:
            break
        sleep(every)
    raise StepFailed(f"{what}: not seen within {timeout:g} s (last: {_short(last)})")


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."
