"""A collector, enrolled agents and Prometheus as real processes inside the lab's namespaces.

Every process is started by these helpers and ended by its PID; every wait has a deadline.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import ssl
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.waiting import wait_for

NETWARDEN = [sys.executable, "-m", "netwarden"]
JOB = "netwarden-agents"  # the one scrape job name, as in docs/collector.md and the demo


def in_ns(ns: str | None, argv: list[str]) -> list[str]:
    return ["ip", "netns", "exec", ns, *argv] if ns else argv


def netwarden(
    *args: str, ns: str | None = None, env: Mapping[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run one ``netwarden`` command (in namespace ``ns``) and return what it did."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(in_ns(ns, [*NETWARDEN, *args]), capture_output=True, text=True,
                          timeout=timeout, check=False, env=full_env)  # fmt: skip


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"{done.args}: exit {done.returncode}\n{done.stderr}"
    return done.stdout


def stop_process(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """End our own child by its PID: ``sig`` first, SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    os.kill(proc.pid, sig)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


class LabCollector:
    """``netwarden collector serve`` in a namespace, restartable on the same data dir."""

    def __init__(self, ns: str, listen: str, inventory: str, data_dir: Path, stale: str) -> None:
        self.ns, self.listen, self.inventory, self.data_dir = ns, listen, inventory, data_dir
        self.url = f"https://{listen}"
        self.argv = [*NETWARDEN, "collector", "serve", "-i", inventory, "--data-dir",
                     str(data_dir), "--listen", listen, "--stale-after", stale]  # fmt: skip
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.ca_file = data_dir.parent / "collector-ca.pem"

    @property
    def log(self) -> Path:
        return self.data_dir.parent / f"collector-{self.starts}.log"

    def start(self) -> None:
        self.starts += 1
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(in_ns(self.ns, self.argv), stdout=out,
                                         stderr=subprocess.STDOUT)  # fmt: skip
        wait_for("collector ready", self._ready, 60)

    def _ready(self) -> bool:
        assert self.proc is not None and self.proc.poll() is None, self.log.read_text()
        try:
            with httpx.Client(verify=False, timeout=2) as client:  # readiness only
                return client.get(f"{self.url}/-/ready").status_code == 200
        except httpx.HTTPError:
            return False

    def fetch_ca(self, expected_sha256: str) -> Path:
        """The CA as an agent gets it: unverified, then checked against the join token's hash."""
        with httpx.Client(verify=False, timeout=5) as client:  # checked below
            pem = str(client.get(f"{self.url}/api/v1/ca").json()["ca_pem"])
        assert hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest() == expected_sha256
        self.ca_file.write_text(pem)
        return self.ca_file

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        context = ssl.create_default_context(cafile=str(self.ca_file))
        return httpx.Client(base_url=self.url, verify=context, headers=headers, timeout=10)

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, as a crash or a power cut."""
        assert self.proc is not None
        stop_process(self.proc, signal.SIGKILL)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)

    def cli(self, *args: str) -> dict[str, Any]:
        """A ``collector`` CLI command on this collector's store (run on its host), as JSON."""
        done = netwarden("collector", *args, "--data-dir", str(self.data_dir), "--output", "json")
        return dict(json.loads(ok(done)))


class LabAgent:
    """An enrolled agent (``agent enroll`` then ``agent run --state-dir``) in a namespace."""

    def __init__(self, agent: str, ns: str, address: str, state_dir: Path) -> None:
        self.agent, self.ns, self.address, self.state_dir = agent, ns, address, state_dir
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = state_dir.parent / f"{agent}.log"

    def enroll(self, collector_url: str, token: str) -> None:
        ok(netwarden("agent", "enroll", "--collector", collector_url, "--token", token,
                     "--state-dir", str(self.state_dir), ns=self.ns))  # fmt: skip

    def start(
        self, *, advertise: bool, heartbeat: float, summary: float, extra: tuple[str, ...] = ()
    ) -> None:
        argv = [*NETWARDEN, "agent", "run", "--state-dir", str(self.state_dir),
                "--listen", self.address, "--heartbeat-interval", f"{heartbeat:g}",
                "--summary-interval", f"{summary:g}",
                # the lab inventory backs device configs up over SSH: keep them in our temp dir
                "--config-store", str(self.state_dir.parent / f"{self.agent}-configs")]  # fmt: skip
        if advertise:
            argv += ["--advertise", self.address]
        argv += extra
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(in_ns(self.ns, argv), stdout=out,
                                         stderr=subprocess.STDOUT)  # fmt: skip

    def metrics_text(self) -> str:
        """/metrics fetched from inside the agent's namespace (works while its WAN is down)."""
        assert self.proc is not None and self.proc.poll() is None, self.log.read_text()
        done = subprocess.run(
            in_ns(self.ns, ["curl", "-s", "-m", "5", f"http://{self.address}/metrics"]),
            capture_output=True, text=True, timeout=15, check=False,
        )  # fmt: skip
        return done.stdout if done.returncode == 0 else ""

    def wait_serving(self, timeout: float = 30) -> None:
        """Until its /metrics answers (the agent starts polling before it serves)."""
        wait_for(f"{self.agent} serving /metrics", lambda: bool(self.metrics_text()), timeout,
                 describe=lambda: self.log.read_text(errors="replace")[-1500:])  # fmt: skip

    def value(self, name: str, **labels: str) -> float | None:
        """The first sample of ``name`` with ``labels`` in one scrape, None if absent."""
        for family in text_string_to_metric_families(self.metrics_text()):
            for sample in family.samples:
                if sample.name == name and all(sample.labels.get(k) == v
                                               for k, v in labels.items()):  # fmt: skip
                    return float(sample.value)
        return None

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)


class Prometheus:
    """A real Prometheus (Debian's) whose only job discovers agents through the collector."""

    def __init__(self, ns: str, listen: str, folder: Path, sd_url: str, token: str,
                 ca_file: Path) -> None:  # fmt: skip
        self.ns, self.url, self.folder = ns, f"http://{listen}", folder
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "token").write_text(token)
        (folder / "token").chmod(0o600)
        config = {
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
            "scrape_configs": [{
                "job_name": JOB,
                # Series carry the device's own site: keep it (SD's site is the agent's).
                "honor_labels": True,
                "http_sd_configs": [{
                    "url": sd_url, "refresh_interval": "1s",
                    # Prometheus 2.42 sends the bare token unless the type is spelled out.
                    "authorization": {"type": "Bearer",
                                      "credentials_file": str(folder / "token")},
                    "tls_config": {"ca_file": str(ca_file)},
                }],
            }],
        }  # fmt: skip
        (folder / "prometheus.yml").write_text(json.dumps(config))  # JSON is valid YAML
        argv = ["prometheus", f"--config.file={folder / 'prometheus.yml'}",
                f"--storage.tsdb.path={folder / 'data'}",
                f"--web.listen-address={listen}"]  # fmt: skip
        self.log = folder / "prometheus.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(in_ns(ns, argv), stdout=out, stderr=subprocess.STDOUT)
        wait_for("prometheus ready", self._ready, 30)

    def _ready(self) -> bool:
        assert self.proc.poll() is None, self.log.read_text()[-2000:]
        try:
            return httpx.get(f"{self.url}/-/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def api(self, path: str, **params: str) -> Any:
        resp = httpx.get(f"{self.url}/api/v1/{path}", params=params, timeout=10)
        resp.raise_for_status()
        body = resp.json()
        assert body["status"] == "success", body
        return body["data"]

    def active_targets(self) -> list[dict[str, Any]]:
        return list(self.api("targets", state="active")["activeTargets"])

    def stop(self) -> None:
        stop_process(self.proc)
