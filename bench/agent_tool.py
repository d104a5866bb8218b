"""The benchmark's handle on a whole ``netwarden agent run`` (pull mode) polling the fleet:
imports, inventory load, scheduled polls and /metrics, measured from /proc like the other
tools. Its row answers issue 11 section 4: the agent process within snmp_exporter's RSS."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.procstat import Run, cpu_seconds, peak_rss_mib, rss_mib
from bench.targets import V3, BenchError, Device

REPO = Path(__file__).resolve().parent.parent
AGENT_ID = "bench-agent"
SITE = "scale"
START_TIMEOUT = 60.0  # s until /metrics answers (Python start-up, imports, inventory load)
SCRAPE_EVERY = 2.0  # s between looks at /metrics while a poll round runs (as a fast Prometheus)
_LAST_SUCCESS = re.compile(
    rb'^netwarden_snmp_last_success_timestamp_seconds\{device="([^"]+)"[^}]*\} (\S+)$', re.M
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def agent_inventory(
    devices: Sequence[Device], credentials: dict[str, Any], interval: float
) -> dict[str, Any]:
    """One pull-mode agent polling ``devices`` with the lab's own credential entries (file:
    references to the lab's secrets, so no secret is written here)."""
    return {
        "province": "bench",
        "agents": [{"id": AGENT_ID, "site": SITE, "metrics": "pull"}],
        "sites": [{"id": SITE, "name": "scale devices", "kind": "agency"}],
        "devices": [
            {
                "id": d.name,
                "site": SITE,
                "address": d.host,
                "role": "switch",
                "snmp": {
                    "credential": "snmp-lab-v3" if isinstance(d.creds, V3) else "snmp-lab-v2",
                    "timeout": f"{d.timeout:g}s",
                    "retries": d.retries,
                    "interval": f"{interval:g}s",
                },
                "icmp": {"enabled": False},
            }
            for d in devices
        ],
        "credentials": credentials,
    }


class AgentTool:
    """``netwarden agent run`` on a generated inventory of the fleet. A repetition is one
    scheduled round: it ends when every device has a successful poll that started after the
    repetition did. CPU includes serving /metrics to this benchmark every SCRAPE_EVERY s."""

    def __init__(
        self,
        devices: Sequence[Device],
        credentials: dict[str, Any],
        work: Path,
        *,
        concurrency: int,
        interval: float,
        name: str = "netwarden-agent",
        checkout: Path = REPO,
    ) -> None:
        self.name = name
        self.devices = list(devices)
        self.credentials = credentials
        self.work = work
        self.concurrency = concurrency
        self.interval = interval
        self.note = f"agent run, pull, polls every {interval:g} s, max-in-flight {concurrency}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.steady: float | None = None
        # `python -m` imports netwarden from the current directory first: another checkout's
        # agent (e.g. main's, for a before/after in the same run) runs from its directory.
        self.checkout = checkout
        if checkout != REPO:
            self.note += f"; from {checkout}"

    def start(self) -> None:
        inventory = self.work / f"{self.name}-inventory.json"
        document = agent_inventory(self.devices, self.credentials, self.interval)
        inventory.write_text(json.dumps(document), encoding="utf-8")
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}/metrics"
        argv = [sys.executable, "-m", "netwarden", "agent", "run", "-i", str(inventory),
                "--agent", AGENT_ID, "--listen", f"127.0.0.1:{port}",
                "--max-in-flight", str(self.concurrency), "--log-level", "warning",
                "--spool-dir", str(self.work / f"{self.name}-spool")]  # fmt: skip
        with (self.work / f"{self.name}.log").open("ab") as log:
            self.proc = subprocess.Popen(argv, cwd=self.checkout, stdout=log, stderr=log)
        deadline = time.monotonic() + START_TIMEOUT
        while self._scrape() is None:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise BenchError(f"the agent did not serve /metrics; see {self.name}.log")
            time.sleep(0.2)

    def _scrape(self) -> bytes | None:
        try:
            with urllib.request.urlopen(self.url, timeout=30) as answer:  # noqa: S310 - loopback
                page: bytes = answer.read()
                return page
        except OSError:
            return None

    def _polled_since(self, since: float) -> int:
        page = self._scrape() or b""
        return sum(1 for _, stamp in _LAST_SUCCESS.findall(page) if float(stamp) >= since)

    def run(self) -> Run:
        """Wait for one scheduled round of every device; devices not polled in two intervals
        (plus their timeouts) count as failed."""
        assert self.proc is not None
        since = time.time()
        cpu0, start = cpu_seconds(self.proc.pid), time.perf_counter()
        budget = 2 * self.interval + 2 * max(d.timeout * (d.retries + 1) for d in self.devices)
        deadline = time.monotonic() + budget
        polled = 0
        while polled < len(self.devices) and time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"the agent exited; see {self.name}.log")
            time.sleep(SCRAPE_EVERY)
            polled = self._polled_since(since)
        wall, cpu1 = time.perf_counter() - start, cpu_seconds(self.proc.pid)
        self.steady = rss_mib(self.proc.pid)
        return Run(cpu=cpu1 - cpu0, wall=wall, units=polled, items=0,
                   failed=len(self.devices) - polled)  # fmt: skip

    def peak_rss(self) -> float | None:
        return peak_rss_mib(self.proc.pid) if self.proc is not None else None

    def steady_rss(self) -> float | None:
        """VmRSS at the end of the last round: what the agent holds between rounds."""
        return self.steady

    def stop(self) -> None:
        """SIGTERM, as an admin stops it; killed by its own handle if it does not stop."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
