"""The lab as Prometheus sees it in a province: the collector in the data centre, an enrolled
agent at every site, and a real Prometheus scraping the agents (found through the collector's
HTTP SD, job ``netwarden-agents`` with ``honor_labels: true``) and the collector's /metrics
(job ``netwarden-collector``). For the dashboards' and the availability report's tests.

The lab's inventory gets what those tests need on top: the core router polled every second
(outages measured to the second), the agency switches pinged from the core (an agency's
reachability from the core side) and a portal check that fails (a failed probe is data too).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import httpx
import yaml

from netwarden.inventory import load_inventory
from tests.lab.conftest import Lab
from tests.lab.fleet_lab import LabAgent, LabCollector, enroll_together, in_ns, stop_all, wait_for
from tests.unit.incidents.webhooks import BASE, alert, body

DC_HOST_NS, DC_HOST = "nwl-dc-db", "198.18.10.6"
COLLECTOR_LISTEN = f"{DC_HOST}:9440"
PROMETHEUS_LISTEN = f"{DC_HOST}:19090"
AGENTS = {
    "agent-core": ("nwl-core", "198.18.100.1:9430"),
    "agent-so-khcn": ("nwl-a1", "198.18.1.2:9430"),
    "agent-so-tc": ("nwl-a2", "198.18.2.2:9430"),
    # Behind NAT: pushes (not scraped); it runs so the collector sees the whole fleet.
    "agent-p-phan-dinh-phung": ("nwl-a3", "198.18.1.2:9430"),
    "agent-dc": ("nwl-dc", "198.18.10.1:9430"),
}
SCRAPED = sorted(set(AGENTS) - {"agent-p-phan-dinh-phung"})
# Agencies whose switch the core can ping (the NAT'd one drops what starts outside).
SNMP_INSTANCE_IS_DEVICE = {
    "source_labels": ["__name__", "device"],
    "regex": "(if|sys|hr)[A-Z].*;(.+)",
    "target_label": "instance",
    "replacement": "$2",
}
REACHABLE_SWITCHES = {"so-khcn": "198.18.1.2", "so-tc": "198.18.2.2"}
# The switch whose running configuration a test may change, the namespace its IOS-like CLI
# reads, and the address that change adds (on lo: it moves no traffic and no IF-MIB label).
CHANGED_DEVICE, CHANGED_DEVICE_NS, CHANGED_ADDRESS = "sw-dc-core", "nwl-dc", "198.18.200.1/32"


def observed_inventory(lab_inventory: Path, out: Path) -> Path:
    document = yaml.safe_load(lab_inventory.read_text(encoding="utf-8"))
    for device in document["devices"]:
        if device["id"] == "core-rtr":
            device["snmp"] |= {"interval": "1s", "timeout": "500ms", "retries": 0}
        if device["id"] == CHANGED_DEVICE:
            # The change shows from the backup after it until the next (an instant query
            # sees it only then): 20 s (the lab's 30 s) is still several of the dashboard
            # test's passes over every query, each 5 s apart plus its own time.
            device["ssh"]["backup_interval"] = "20s"
    document["services"] += [
        {
            "id": f"reach-{site}",
            "name": f"Ping {site} từ lõi",
            "site": site,
            "agent": "agent-core",
            "interval": "2s",
            "check": {"icmp": {"host": address, "count": 2, "timeout": "500ms"}},
        }
        for site, address in REACHABLE_SWITCHES.items()
    ] + [
        {
            "id": "cong-loi",
            "name": "Cổng không mở",
            "site": "dc",
            "interval": "10s",
            "check": {
                "http": {"url": "https://198.18.10.5:8444/", "tls_verify": False, "timeout": "2s"}
            },
        },
    ]
    out.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
    load_inventory([out])  # fail here, not in the collector, if the additions are wrong
    return out


@dataclass
class PrometheusServer:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path
    scrape_interval: int

    def api(self, path: str, **params: str) -> Any:
        answer = httpx.get(f"{self.url}/api/v1/{path}", params=params, timeout=30)
        body = answer.json()
        if body.get("status") != "success":
            raise AssertionError(f"{path} {params}: {answer.status_code} {body.get('error')}")
        return body["data"]

    def targets_up(self) -> dict[str, str]:
        """Health by job/agent of the active targets."""
        found = self.api("targets", state="active")["activeTargets"]
        return {f"{t['labels']['job']}/{t['labels'].get('agent', '')}": t["health"] for t in found}


class Watch:
    """Looks at something every ``every`` s in a thread of its own while a test runs (``with``),
    for a thing that a test's passes or waits could miss: a state that lasts only a moment,
    or the times of changes. Subclasses say what one look does."""

    every: float = 1.0
    looks = 3600  # a bound: the test's own deadline ends it far sooner

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def look(self) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        for _ in range(self.looks):
            if self._stop.wait(self.every):
                return
            self.look()

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def _start_prometheus(
    folder: Path, sd_url: str, viewer: str, ca_file: Path, scrape_interval: int
) -> PrometheusServer:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "token").write_text(viewer)
    (folder / "token").chmod(0o600)
    tls = {"ca_file": str(ca_file)}
    config = {
        "global": {
            "scrape_interval": f"{scrape_interval}s",
            "scrape_timeout": f"{min(scrape_interval, 4)}s",
        },
        "scrape_configs": [
            {
                "job_name": "netwarden-agents",
                "honor_labels": True,
                # grafana/README.md: community snmp_exporter dashboards select a device by
                # `instance`; this names each SNMP series' device there.
                "metric_relabel_configs": [SNMP_INSTANCE_IS_DEVICE],
                "http_sd_configs": [
                    {
                        "url": sd_url,
                        "refresh_interval": "2s",
                        "tls_config": tls,
                        "authorization": {
                            "type": "Bearer",
                            "credentials_file": str(folder / "token"),
                        },
                    }
                ],
            },
            {
                "job_name": "netwarden-collector",
                "scheme": "https",
                "tls_config": tls,
                "static_configs": [{"targets": [COLLECTOR_LISTEN]}],
            },
        ],
    }
    (folder / "prometheus.yml").write_text(json.dumps(config))  # JSON is YAML
    argv = [
        "prometheus",
        f"--config.file={folder / 'prometheus.yml'}",
        f"--storage.tsdb.path={folder / 'data'}",
        f"--web.listen-address={PROMETHEUS_LISTEN}",
    ]
    log = folder / "prometheus.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(in_ns(DC_HOST_NS, argv), stdout=out, stderr=subprocess.STDOUT)
    return PrometheusServer(f"http://{PROMETHEUS_LISTEN}", proc, log, scrape_interval)


def _wait_prometheus_ready(server: PrometheusServer) -> None:
    def ready() -> bool:
        assert server.proc.poll() is None, server.log.read_text()[-2000:]
        try:
            return httpx.get(f"{server.url}/-/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for("prometheus ready", ready, 30, every=0.5)


@dataclass
class ObservedFleet:
    lab: Lab
    inventory: Path
    collector: LabCollector
    agents: dict[str, LabAgent]
    prometheus: PrometheusServer
    viewer: str


@contextmanager
def observed_fleet(lab: Lab, scrape_interval: int) -> Iterator[ObservedFleet]:
    """Everything started, and ended by PID on the way out, whatever happens.

    What can run at once does: Prometheus starts while the agents enrol and start, and the
    agents start together; every wait is for a state (the collector ready, Prometheus ready,
    every target up), never for a time."""
    tmp = Path(tempfile.mkdtemp(prefix="nw-observed-"))
    inventory = observed_inventory(Path(lab.state.inventory), tmp / "inventory.yaml")
    collector = LabCollector(
        DC_HOST_NS, COLLECTOR_LISTEN, str(inventory), tmp / "collector" / "data", "5s"
    )
    agents = {
        a: LabAgent(a, ns, address, tmp / "agents" / a) for a, (ns, address) in AGENTS.items()
    }
    prometheus: PrometheusServer | None = None
    began = time.monotonic()
    try:
        (tmp / "agents").mkdir()
        collector.start()
        marks = {"collector ready": time.monotonic() - began}
        viewer = collector.user_token("grafana", "viewer")
        tokens = collector.join_tokens(agents)
        collector.fetch_ca(expected_sha256=tokens[next(iter(tokens))].split(".")[2])
        prometheus = _start_prometheus(
            tmp / "prometheus",
            f"{collector.url}/api/v1/sd",
            viewer,
            collector.ca_file,
            scrape_interval,
        )
        enroll_together(agents.values(), collector.url, tokens)
        marks["tokens and enrolments"] = time.monotonic() - began
        for agent in agents.values():
            agent.start(advertise=True, heartbeat=1.0, summary=5.0)
        _wait_prometheus_ready(prometheus)
        marks["prometheus ready"] = time.monotonic() - began
        expected = {f"netwarden-agents/{a}" for a in SCRAPED} | {"netwarden-collector/"}
        wait_for(
            "every scraped agent and the collector up in Prometheus",
            lambda: (
                all(prometheus.targets_up().get(t) == "up" for t in expected)
                if prometheus
                else False
            ),
            # A hang bound: it also covers the agents' start-up (5 Python processes at once),
            # which took 80 s at a load of 35.
            180,
            every=1,
            describe=lambda: prometheus.targets_up() if prometheus else None,
        )
        # Prometheus cannot scrape the agent behind NAT: ask it directly (from its namespace).
        for name in sorted(set(AGENTS) - set(SCRAPED)):
            agents[name].wait_serving()
        marks["every target up"] = time.monotonic() - began
        # -rP shows it: where the start-up's time went, at this run's load.
        print("observed fleet up: " + ", ".join(f"{k} {v:.1f} s" for k, v in marks.items()))
        yield ObservedFleet(lab, inventory, collector, agents, prometheus, viewer)
    finally:
        stop_all([*(a.proc for a in agents.values()), prometheus and prometheus.proc])
        collector.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def open_incident(fleet: ObservedFleet) -> str:
    """Post one firing alert to the collector's webhook as Alertmanager does (the portal check
    that fails by design), with a ``webhook``-role token; returns the incident it opened, left
    unacknowledged."""
    token = fleet.collector.user_token("alertmanager", "webhook")
    firing = alert(
        "NetwardenPortalDown",
        starts=time.time() - BASE,
        severity="critical",
        summary="Cổng không mở không trả lời",
        incident="service/cong-loi",
        service="cong-loi",
        site="dc",
    )
    with fleet.collector.client(token) as client:
        answer = client.post("/api/v1/alerts/alertmanager", json=body(firing))
    assert answer.status_code == 200, answer.text
    opened: list[str] = answer.json()["incidents"]
    assert len(opened) == 1, answer.json()
    return opened[0]


@contextmanager
def running_config_changed(fleet: ObservedFleet) -> Iterator[None]:
    """Change ``CHANGED_DEVICE``'s running configuration after its first backup, as an admin
    who bypasses ``netwarden config backup`` would: its next backup (``backup_interval``
    later) finds the change unrecorded. The address appears in ``show running-config`` (the
    CLI renders the namespace's live addresses); it is removed on the way out."""
    selector = f'netwarden_config_last_backup_timestamp_seconds{{device="{CHANGED_DEVICE}"}}'
    wait_for(
        f"{CHANGED_DEVICE}'s first backup",
        lambda: fleet.prometheus.api("query", query=selector)["result"],
        90,
        every=1,
    )
    ip = ["ip", "-n", CHANGED_DEVICE_NS, "addr"]
    subprocess.run([*ip, "add", CHANGED_ADDRESS, "dev", "lo"], check=True, timeout=10)
    try:
        yield
    finally:
        subprocess.run([*ip, "del", CHANGED_ADDRESS, "dev", "lo"], check=True, timeout=10)
