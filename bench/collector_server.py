"""The collector under test: a real ``netwarden collector serve`` process on 127.0.0.1, its
join tokens, and its CPU and memory read from /proc.

Join tokens: a handful through the real CLI (``netwarden collector token create``, proving that
path), the rest through the store API in this process (``Store.create_join_token``, the same
call the CLI makes) because 1,000 CLI processes would take minutes of Python start-up.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bench.procstat import cpu_seconds, status_kib
from bench.targets import BenchError
from netwarden.join_token import format_join_token

READY_TIMEOUT = 60.0  # s: migrations on a fresh database, CA generation, inventory load
TOKEN_TTL = 3600.0
NETWARDEN = [sys.executable, "-m", "netwarden"]


def free_port() -> int:
    """A port nothing listens on, below the kernel's ephemeral range (32768-60999): a port
    from that range can be handed to an outgoing connection (the collector's own, to
    PostgreSQL) between our check and the collector's bind."""
    import random
    import socket

    rng = random.Random()  # noqa: S311 - a port number, not a secret
    for _ in range(100):
        port = rng.randrange(20000, 32000)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise BenchError("no free port in 20000-32000 on 127.0.0.1")


def tree_pids(pid: int) -> list[int]:
    """``pid`` and its descendants (a collector that forks workers is measured whole)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text(encoding="ascii", errors="replace")
        except OSError:
            continue  # it ended while we looked
        ppid = int(raw[raw.rindex(")") + 2 :].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += parents.get(current, [])
    return found


def tree_cpu(pid: int | None) -> float | None:
    """CPU seconds of ``pid`` and its descendants so far (None for no process). A process that
    ended meanwhile is left out: PostgreSQL backends come and go with connections."""
    if pid is None:
        return None
    total = 0.0
    for each in tree_pids(pid):
        try:
            total += cpu_seconds(each)
        except OSError:
            continue
    return total


class Collector:
    """``netwarden collector serve`` as a child process with its own data dir and port."""

    def __init__(
        self,
        inventory: Path,
        data_dir: Path,
        db: str,
        *,
        insecure: bool,
        extra: list[str] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.db = db
        self.insecure = insecure
        self.port = free_port()
        scheme = "http" if insecure else "https"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log = data_dir / "collector.log"
        argv = [
            *NETWARDEN,
            "collector",
            "serve",
            "-i",
            str(inventory),
            "--db",
            db,
            "--data-dir",
            str(data_dir),
            "--listen",
            f"127.0.0.1:{self.port}",
        ]
        if insecure:
            argv.append("--insecure")
        argv += extra or []  # more `collector serve` options (limits, timeouts)
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        self.ca_pem = ""
        self.ca_sha256 = ""

    def tail(self, lines: int = 15) -> str:
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def wait_ready(self) -> None:
        """Wait for /-/ready, then fetch the CA the agents will pin (unverified, on loopback,
        and checked the way an agent checks it: against its SHA-256)."""
        deadline = time.monotonic() + READY_TIMEOUT
        with httpx.Client(verify=False, timeout=2.0) as client:  # noqa: S501 - fetching the CA
            while True:
                if self.proc.poll() is not None:
                    raise BenchError(
                        f"the collector exited ({self.proc.returncode}):\n{self.tail()}"
                    )
                try:
                    if client.get(f"{self.url}/-/ready").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise BenchError(f"collector not ready after {READY_TIMEOUT:.0f} s")
                time.sleep(0.2)
            if not self.insecure:
                self.ca_pem = str(client.get(f"{self.url}/api/v1/ca").json()["ca_pem"])
                der = ssl.PEM_cert_to_DER_cert(self.ca_pem)
                self.ca_sha256 = hashlib.sha256(der).hexdigest()

    def verify(self) -> ssl.SSLContext | bool:
        """What agents verify the collector with: a context trusting only its CA."""
        if self.insecure:
            return False
        context = ssl.create_default_context(cadata=self.ca_pem)
        return context

    def wire_token(self, secret: str) -> str:
        return format_join_token(secret, None if self.insecure else self.ca_sha256)

    def cli_token(self, agent: str, inventory: Path) -> str:
        """One join token through the real CLI, as an admin on the collector host does."""
        argv = [
            *NETWARDEN,
            "collector",
            "token",
            "create",
            "--agent",
            agent,
            "-i",
            str(inventory),
            "--db",
            self.db,
            "--data-dir",
            str(self.data_dir),
            "--output",
            "json",
        ]
        if self.insecure:
            argv.append("--insecure")
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            raise BenchError(f"token create failed: {done.stderr.strip()[-300:]}")
        return str(json.loads(done.stdout)["token"])

    def store_tokens(self, agents: list[tuple[str, str]]) -> dict[str, str]:
        """Join tokens for ``(agent, site)`` pairs straight from the store (fast path)."""
        from netwarden.collector.store import open_store

        store = open_store(self.db)
        try:
            now = time.time()
            return {
                agent: self.wire_token(
                    store.create_join_token(agent, site, TOKEN_TTL, "bench", now)
                )
                for agent, site in agents
            }
        finally:
            store.close()

    def metrics_text(self) -> str:
        """The collector's own /metrics (no auth, like every exporter)."""
        with httpx.Client(verify=self.verify(), timeout=10.0) as client:
            return client.get(f"{self.url}/metrics").text

    def cpu(self) -> float:
        """CPU seconds (user + system) of the collector and its children so far."""
        return tree_cpu(self.proc.pid) or 0.0

    def rss_mib(self) -> tuple[float, float]:
        """(current, peak) resident memory of the collector process, MiB."""
        pid = self.proc.pid
        return status_kib(pid, "VmRSS") / 1024, status_kib(pid, "VmHWM") / 1024

    def stop(self) -> None:
        """SIGTERM (a graceful stop), SIGKILL after 10 s; only our own child, by its handle."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
