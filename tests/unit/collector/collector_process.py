"""A real ``netwarden collector serve`` process on 127.0.0.1, for end-to-end tests."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

NETWARDEN = [sys.executable, "-m", "netwarden"]


def run_cli(
    *args: str, env: dict[str, str] | None = None, umask: int | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``netwarden ARGS`` to completion (with ``umask``: under that umask)."""
    return subprocess.run(with_umask([*NETWARDEN, *args], umask), capture_output=True,
                          text=True, timeout=60, check=False,
                          env={**os.environ, **(env or {})})  # fmt: skip


def with_umask(argv: list[str], mask: int | None) -> list[str]:
    """``argv`` run under ``mask`` (e.g. a shell's usual 022, which leaves new files
    world-readable unless the program narrows them), through sh: preexec_fn is unsafe with
    the threads a test runs."""
    if mask is None:
        return argv
    return ["sh", "-c", f'umask {mask:03o} && exec "$@"', "sh", *argv]


class CollectorProcess:
    """``collector serve`` on ``127.0.0.1:port`` (port 0: any free one, read from its output)."""

    def __init__(
        self,
        inventory: Path,
        data_dir: Path,
        port: int = 0,
        *,
        insecure: bool = False,
        extra: list[str] | None = None,
        umask: int | None = None,
    ):
        self.inventory, self.data_dir, self.port, self.insecure = (
            inventory,
            data_dir,
            port,
            insecure,
        )
        self.extra = list(extra or [])  # more `collector serve` options (--db, --alertmanager)
        self.umask = umask
        self.proc: subprocess.Popen[str] | None = None
        self.lines: queue.Queue[str] = queue.Queue()
        self.ca_sha256: str | None = None

    @property
    def url(self) -> str:
        return f"{'http' if self.insecure else 'https'}://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        args = [*NETWARDEN, "collector", "serve", "-i", str(self.inventory), "--data-dir",
                str(self.data_dir), "--listen", f"127.0.0.1:{self.port}"]  # fmt: skip
        if self.insecure:
            args.append("--insecure")
        args += self.extra
        self.proc = subprocess.Popen(with_umask(args, self.umask), stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)  # fmt: skip
        self._pump_thread = threading.Thread(target=self._pump, daemon=True)
        self._pump_thread.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            if line.startswith("collector listening on "):
                self.port = int(line.rsplit(":", 1)[1])
            if line.startswith("CA sha256 "):
                self.ca_sha256 = line.split()[-1]
            if (line.startswith("collector listening") and self.insecure) or self.ca_sha256:
                try:
                    self._wait_healthy(deadline)
                except AssertionError:
                    self.stop(signal.SIGKILL)  # a test that fails here leaves no collector behind
                    raise
                return
        self.stop(signal.SIGKILL)
        raise AssertionError("collector did not start")

    def _pump(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def _wait_healthy(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/-/ready", verify=False, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("collector never became ready")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        """Send ``sig`` and wait for the exit; returns the exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait(5)
        self._pump_thread.join(5)  # it ends at EOF, once the process is gone
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return code
