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
import threading
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from netwarden.join_token import format_join_token
from tests.cli_in_process import run_in_process
from tests.waiting import wait_for

if TYPE_CHECKING:
    from netwarden.collector.store import Role

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


# run_in_process swaps sys.stdout, sys.argv and os.environ for the whole process: one at a time.
_IN_PROCESS = threading.Lock()


def netwarden_here(
    *args: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``netwarden ARGS`` in the test's own process (``netwarden.cli.main``, the same parsing,
    output and exit code), for commands run on the test's host that are not the subject: a
    subprocess costs 0.4-1.1 CPU-s of interpreter start and imports each time. Thread-safe."""
    with _IN_PROCESS:
        return run_in_process(*args, env=dict(env or {}))


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"{done.args}: exit {done.returncode}\n{done.stderr}"
    return done.stdout


def lab_fault(link: str, *, down: bool) -> None:
    """``netwarden lab fault LINK down|up`` (in the test's process: it only runs ``ip``)."""
    ok(netwarden_here("lab", "fault", link, "down" if down else "up"))


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


def stop_all(procs: list[subprocess.Popen[bytes] | None]) -> None:
    """End our own children together: SIGTERM to each, then wait for each (SIGKILL if one
    lingers); one after the other, a fleet's five agents and two servers took 13 s at a load
    of 40, each shutting down while the others waited their turn."""
    running = [proc for proc in procs if proc is not None and proc.poll() is None]
    for proc in running:
        os.kill(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for proc in running:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            stop_process(proc, signal.SIGKILL)


def enroll_together(
    agents: Iterable[LabAgent], collector_url: str, tokens: Mapping[str, str]
) -> None:
    """``agent enroll`` of every agent in its own namespace (across the lab's WAN, as in the
    field), side by side rather than one after the other: independent subprocesses."""
    everyone = list(agents)
    with ThreadPoolExecutor(max_workers=max(1, len(everyone))) as pool:
        list(pool.map(lambda agent: agent.enroll(collector_url, tokens[agent.agent]), everyone))


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
        wait_for("collector ready", self._ready, 120)  # a hang bound: at a load of 40, 60 s failed

    def _ready(self) -> bool:
        assert self.proc is not None and self.proc.poll() is None, self.log.read_text()
        try:
            with httpx.Client(verify=False, timeout=2) as client:  # readiness only
                return client.get(f"{self.url}/-/ready").status_code == 200
        except httpx.HTTPError:
            return False

    def user_token(self, user: str, role: Role) -> str:
        """A user token from the collector's store, as ``collector token create --user`` makes
        it, without a Python start of the CLI per token (~1 CPU-s each; the command has its own
        tests, here it is only a means)."""
        from netwarden.collector.command_options import db_url, local_actor
        from netwarden.collector.store import open_store  # SQLAlchemy: only for who uses it

        store = open_store(db_url(None, self.data_dir))
        try:
            return store.create_user_token(user, role, local_actor(), time.time())
        finally:
            store.close()

    def join_tokens(self, agents: Iterable[str], ttl: float = 3600) -> dict[str, str]:
        """A join token per agent (its site from the collector's inventory), as ``collector
        token create --agent`` makes it (``nwj.<secret>.<CA sha256>``), from one opening of
        the store."""
        from netwarden.collector.command_options import db_url, local_actor
        from netwarden.collector.store import open_store
        from netwarden.collector.tls import existing_ca_sha256
        from netwarden.inventory import load_inventory

        sites = {a.id: a.site for a in load_inventory([Path(self.inventory)]).agents}
        fingerprint = existing_ca_sha256(self.data_dir)
        assert fingerprint is not None, f"no collector CA in {self.data_dir}"
        store = open_store(db_url(None, self.data_dir))
        try:
            now, actor = time.time(), local_actor()
            return {
                agent: format_join_token(
                    store.create_join_token(agent, sites[agent], ttl, actor, now), fingerprint
                )
                for agent in agents
            }
        finally:
            store.close()

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
        """A ``collector`` CLI command on this collector's store (run on its host), as JSON.

        In the test's process: the store is a directory here, and `collector token create`
        as a subprocess cost 1.07 CPU-s a token (24 a lab tier)."""
        done = netwarden_here("collector", *args, "--data-dir", str(self.data_dir),
                              "--output", "json")  # fmt: skip
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

    def wait_serving(self, timeout: float = 120) -> None:
        """Until its /metrics answers (the agent starts polling before it serves). The default
        is a hang bound: at a load of 26-42 an agent took more than the 30 s it once was."""
        # every 0.5 s: each look is an `ip netns exec` and a curl
        wait_for(f"{self.agent} serving /metrics", lambda: bool(self.metrics_text()), timeout,
                 every=0.5,
                 describe=lambda: self.log.read_text(errors="replace")[-1500:])  # fmt: skip

    def value(self, name: str, **labels: str) -> float | None:
        """The first sample of ``name`` with ``labels`` in one scrape, None if absent."""
        # Only that sample's lines are parsed (as untyped): waits call this a few times a
        # second, and parsing the whole page each time was most of the test process's CPU.
        prefixes = (f"{name}{{", f"{name} ")
        page = self.metrics_text()
        lines = "".join(f"{line}\n" for line in page.splitlines() if line.startswith(prefixes))
        for family in text_string_to_metric_families(lines):
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
        wait_for("prometheus ready", self._ready, 120)  # a hang bound, for a loaded machine

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
