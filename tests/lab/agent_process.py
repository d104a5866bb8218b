"""Running `netwarden agent run` as a real process against the lab, and scraping it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.waiting import wait_for


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fast_inventory(source: str, target: Path, interval: str = "1s") -> Path:
    """A copy of the lab inventory with every poll and probe interval set to ``interval``."""
    document = yaml.safe_load(Path(source).read_text())
    for device in document["devices"]:
        if "snmp" in device:
            device["snmp"]["interval"] = interval
        device["icmp"] = {"interval": interval, "count": 5, "timeout": "500ms"}
    for service in document["services"]:
        service["interval"] = interval
    target.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))
    return target


class AgentProcess:
    """`netwarden agent run` in the background (optionally inside a lab namespace)."""

    def __init__(self, inventory: Path, agent: str, log: Path, ns: str | None = None) -> None:
        self.port = free_port()
        argv = [sys.executable, "-m", "netwarden", "agent", "run", "-i", str(inventory),
                "--agent", agent, "--listen", f"127.0.0.1:{self.port}"]  # fmt: skip
        if ns:
            argv = ["ip", "netns", "exec", ns, *argv]
        self.ns = ns
        self.log = log
        # The agent backs up configs and pins SSH host keys by default: into the test's own
        # directory, never into the machine's /var/lib/netwarden.
        env = {
            "NETWARDEN_CONFIG_STORE": str(log.parent / f"configs-{agent}"),
            "NETWARDEN_KNOWN_HOSTS": str(log.parent / f"known_hosts-{agent}"),
            "NETWARDEN_SNMP_ENGINE_FILE": str(log.parent / f"snmp-engine-{agent}.json"),
            **os.environ,
        }
        with log.open("wb") as out:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)

    def get(self, path: str) -> tuple[int, str]:
        url = f"http://127.0.0.1:{self.port}{path}"
        if self.ns:  # the agent listens on the namespace's own loopback
            done = subprocess.run(
                ["ip", "netns", "exec", self.ns, "curl", "-s", "-w", "\n%{http_code}", url],
                capture_output=True, text=True, timeout=30, check=False,
            )  # fmt: skip
            body, _, code = done.stdout.rpartition("\n")
            return int(code or 0), body
        try:
            with urllib.request.urlopen(url, timeout=30) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
        except OSError:
            return 0, ""

    def wait_ready(self, timeout: float = 60) -> None:
        def ready() -> bool:
            assert self.proc.poll() is None, self.log.read_text()
            return self.get("/-/ready")[0] == 200

        wait_for("agent ready", ready, timeout, every=0.25,
                 describe=lambda: self.log.read_text()[-2000:])  # fmt: skip

    def samples(self) -> Samples:
        """name -> [(labels, value)] from one scrape, parsed by prometheus-client's parser."""
        status, body = self.get("/metrics")
        assert status == 200
        return _parse(body)

    def value(self, name: str, **labels: str) -> float | None:
        status, body = self.get("/metrics")
        assert status == 200
        return _pick(_parse(_lines_of(body, name)), name, labels)

    def wait_value(self, name: str, want: float, timeout: float = 30, **labels: str) -> float:
        """Seconds until ``name{labels}`` reads ``want`` on /metrics (fails after ``timeout``).

        A scrape that fails while waiting is a state not reached yet, not the end of the wait:
        on a loaded machine one scrape can outlast its 30 s (a dead agent still fails the wait,
        and ``describe`` then says the scrape failed)."""
        began = time.monotonic()

        def now() -> float | str | None:
            status, body = self.get("/metrics")
            if status != 200:
                return f"scrape failed (HTTP status {status or 'none'})"
            return _pick(_parse(_lines_of(body, name)), name, labels)

        # every 0.25 s (0.1 before): the figure returned is only reported, never asserted
        wait_for(f"{name}{labels} == {want}", lambda: now() == want,
                 timeout, every=0.25, describe=now)  # fmt: skip
        return time.monotonic() - began

    def hup(self) -> None:
        os.kill(self.proc.pid, signal.SIGHUP)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)  # SSH sessions in flight end first
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


Samples = dict[str, list[tuple[dict[str, str], float]]]


def _lines_of(body: str, name: str) -> str:
    """The sample lines of ``name`` alone (parsed as untyped, so under the name exposed): a
    wait looks several times a second, and parsing the whole page was its cost."""
    prefixes = (f"{name}{{", f"{name} ")
    return "".join(f"{line}\n" for line in body.splitlines() if line.startswith(prefixes))


def _parse(body: str) -> Samples:
    found: Samples = {}
    exposed = {line.split("{")[0].split(" ")[0] for line in body.splitlines() if line[:1] != "#"}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            # prometheus-client's parser renames a counter's samples to NAME_total even
            # when the text says NAME (as snmp_exporter's IF-MIB counters do): key by the
            # name actually exposed.
            name = sample.name if sample.name in exposed else family.name
            assert name in exposed, sample.name
            found.setdefault(name, []).append((sample.labels, sample.value))
    return found


def _pick(samples: Samples, name: str, labels: dict[str, str]) -> float | None:
    for got, value in samples.get(name, []):
        if all(got.get(k) == v for k, v in labels.items()):
            return value
    return None
