"""The benchmark's handle on the netwarden worker process (bench/snmp_netwarden.py): start it,
send it poll requests, and read its CPU and peak RSS from /proc like the other tools'."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.procstat import Run, cpu_seconds, peak_rss_mib, rss_mib
from bench.snmp_netwarden import DEFAULT_SESSION
from bench.targets import V3, BenchError, Device

REPO = Path(__file__).resolve().parent.parent
HELLO_TIMEOUT = 30.0  # s to start Python and import the client


class ClientMissingError(BenchError):
    """netwarden's SNMP client is not written yet: its column says n/a instead of a figure."""


def device_json(device: Device) -> dict[str, Any]:
    """What the worker needs to reach a device; sent over its stdin, never on a command line."""
    creds = device.creds
    raw: dict[str, Any]
    if isinstance(creds, V3):
        raw = {
            "user": creds.user,
            "auth_protocol": creds.auth_protocol,
            "auth_password": creds.auth_password,
            "priv_protocol": creds.priv_protocol,
            "priv_password": creds.priv_password,
        }
    else:
        raw = {"community": creds.community}
    return {
        "name": device.name,
        "host": device.host,
        "timeout": device.timeout,
        "retries": device.retries,
        "creds": raw,
    }


class NetwardenTool:
    """netwarden polling ``devices``: through DevicePoller when asked and available (the
    agent's real path), else through the session's bulk_walk of ``roots``."""

    def __init__(
        self,
        devices: Sequence[Device],
        roots: Sequence[str],
        concurrency: int,
        max_repetitions: int,
        log: Path,
        *,
        want_poller: bool,
        name: str = "netwarden",
    ) -> None:
        self.name = name
        self.devices = [device_json(d) for d in devices]
        self.roots = list(roots)
        self.concurrency = concurrency
        self.max_repetitions = max_repetitions
        self.log = log
        self.want_poller = want_poller
        self.use_poller = False
        self.note = ""
        self.proc: subprocess.Popen[bytes] | None = None
        self._buffer = b""

    def start(self) -> None:
        """Start the worker; raise ClientMissingError while the client does not exist."""
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bench.snmp_netwarden"],
                cwd=REPO,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
            )
        hello = self._ask({"op": "hello"}, HELLO_TIMEOUT)
        if hello["client"]:
            print(f"bench: netwarden: {hello['session']}: {hello['client']}", file=sys.stderr)
            raise ClientMissingError("n/a (client missing)")
        self.use_poller = self.want_poller and not hello["poller"]
        if self.use_poller:
            self.note = "DevicePoller.poll (agent path)"
        elif self.want_poller:
            self.note = "session bulk_walk (DevicePoller missing)"
        else:
            self.note = "session bulk_walk (client alone)"
        if hello["session"] != ":".join(DEFAULT_SESSION):
            self.note += f"; session {hello['session']}"

    def _ask(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        assert self.proc is not None
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(request).encode() + b"\n")
        self.proc.stdin.flush()
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:  # ends at the deadline or when the worker exits
            left = deadline - time.monotonic()
            if left <= 0:
                raise BenchError(f"the netwarden worker did not answer in {timeout:g} s")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise BenchError(f"the netwarden worker exited; see {self.log}")
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def run(self) -> Run:
        """Poll every device once, measuring the worker's CPU around the request."""
        assert self.proc is not None
        timeout = max(float(d["timeout"]) for d in self.devices) * 4
        request = {
            "op": "poll",
            "devices": self.devices,
            "roots": self.roots,
            "concurrency": self.concurrency,
            "poller": self.use_poller,
            "timeout": timeout,
            "max_repetitions": self.max_repetitions,
        }
        budget = 120.0 + timeout * (len(self.devices) / self.concurrency + 1)
        cpu0, start = cpu_seconds(self.proc.pid), time.perf_counter()
        reply = self._ask(request, budget)
        wall, cpu1 = time.perf_counter() - start, cpu_seconds(self.proc.pid)
        if not reply["ok"]:
            raise BenchError(f"netwarden: {reply['error']}")
        if reply["errors"]:
            print(f"netwarden: e.g. {reply['errors'][0]}", file=sys.stderr)
        return Run(
            cpu=cpu1 - cpu0,
            wall=wall,
            units=reply["polled"],
            items=reply["varbinds"],
            failed=reply["failed"],
        )

    def peak_rss(self) -> float | None:
        return peak_rss_mib(self.proc.pid) if self.proc is not None else None

    def steady_rss(self) -> float | None:
        """VmRSS now, after the last repetition."""
        return rss_mib(self.proc.pid) if self.proc is not None else None

    def stop(self) -> None:
        """Ask the worker to quit; end it by its own handle if it does not."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(b'{"op": "quit"}\n')
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
