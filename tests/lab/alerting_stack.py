"""A real Prometheus and Alertmanager with netwarden's rules and generated configuration, and a
local webhook receiver standing in for people, for the lab's alerting tests.

Prometheus, Alertmanager and the receiver listen on 127.0.0.1 (ports chosen free at run
time); Prometheus reaches the collector and the agents at their lab addresses through the
root namespace's route into the lab. Every process is started here and ended by its PID.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.lab.agent_process import free_port
from tests.lab.fleet_lab import in_ns, stop_process, wait_for


def free_port_in(ns: str, address: str) -> int:
    """A port free on ``address`` inside namespace ``ns``, as the kernel there says."""
    code = (
        f"import socket; s = socket.socket(); s.bind(({address!r}, 0)); print(s.getsockname()[1])"
    )
    done = subprocess.run(
        in_ns(ns, ["python3", "-c", code]), capture_output=True, text=True, timeout=20, check=True
    )
    return int(done.stdout)


def quicker_polls(inventory: str, intervals: Mapping[str, str], target: Path) -> Path:
    """A copy of the lab's inventory with the SNMP poll ``intervals`` (device id -> duration)
    of a few devices shortened: the alerting tests wait for what those polls see."""
    data = yaml.safe_load(Path(inventory).read_text())
    for device in data["devices"]:
        if device["id"] in intervals:
            device["snmp"]["interval"] = intervals[device["id"]]
    target.write_text(yaml.safe_dump(data, sort_keys=False))
    return target


@dataclass(frozen=True)
class Notification:
    """One webhook call: when it arrived (wall clock), on which path, its JSON body."""

    at: float
    path: str
    body: dict[str, Any]

    @property
    def group(self) -> dict[str, str]:
        return dict(self.body.get("groupLabels", {}))

    @property
    def status(self) -> str:
        return str(self.body.get("status"))

    def alertnames(self) -> list[str]:
        return sorted(str(a["labels"]["alertname"]) for a in self.body.get("alerts", []))


class WebhookSink:
    """Records every Alertmanager webhook call it gets (people, lead, dead man's switch)."""

    def __init__(self) -> None:
        self.calls: list[Notification] = []
        self._lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                with sink._lock:
                    sink.calls.append(Notification(time.time(), self.path, body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def received(self, path: str) -> list[Notification]:
        with self._lock:
            return [call for call in self.calls if call.path == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


class Alertmanager:
    """Debian's Alertmanager 0.25 on loopback, alone (no cluster)."""

    def __init__(self, folder: Path, config: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.url = f"http://127.0.0.1:{free_port()}"
        argv = [
            "prometheus-alertmanager",
            f"--config.file={config}",
            f"--storage.path={folder / 'data'}",
            f"--web.listen-address={self.url.removeprefix('http://')}",
            "--cluster.listen-address=",
        ]
        self.log = folder / "alertmanager.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        wait_for("alertmanager ready", self._ready, 30)

    def _ready(self) -> bool:
        assert self.proc.poll() is None, self.log.read_text()[-2000:]
        try:
            return httpx.get(f"{self.url}/-/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def alerts(self) -> list[dict[str, Any]]:
        """Every alert it holds: active, silenced and inhibited (``?inhibited=true``)."""
        params = {"active": "true", "silenced": "true", "inhibited": "true"}
        resp = httpx.get(f"{self.url}/api/v2/alerts", params=params, timeout=10)
        resp.raise_for_status()
        return list(resp.json())

    def metric(self, name: str, **labels: str) -> float:
        """Sum of the samples of ``name`` with ``labels`` on its /metrics."""
        total = 0.0
        for line in httpx.get(f"{self.url}/metrics", timeout=10).text.splitlines():
            if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def stop(self) -> None:
        stop_process(self.proc)


class RulesPrometheus:
    """Debian's Prometheus 2.42 on loopback: scrapes agents (HTTP SD from the collector,
    honor_labels) and the collector, evaluates netwarden's rules, sends to Alertmanager."""

    def __init__(
        self,
        folder: Path,
        rules_dir: Path,
        collector: str,
        ca_file: Path,
        token_file: Path,
        alertmanager: str,
    ) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        tls = {"ca_file": str(ca_file)}
        config = {
            "global": {
                "scrape_interval": "1s",
                "scrape_timeout": "1s",
                "evaluation_interval": "1s",
            },
            "rule_files": [str(rules_dir / "*.yml")],
            "alerting": {
                "alertmanagers": [
                    {"static_configs": [{"targets": [alertmanager.removeprefix("http://")]}]}
                ]
            },
            "scrape_configs": [
                {
                    "job_name": "netwarden-agents",
                    "honor_labels": True,
                    "http_sd_configs": [
                        {
                            "url": f"https://{collector}/api/v1/sd",
                            "refresh_interval": "1s",
                            "authorization": {
                                "type": "Bearer",
                                "credentials_file": str(token_file),
                            },
                            "tls_config": tls,
                        }
                    ],
                },
                {
                    "job_name": "netwarden-collector",
                    "scheme": "https",
                    "tls_config": tls,
                    "static_configs": [{"targets": [collector]}],
                },
            ],
        }
        (folder / "prometheus.yml").write_text(json.dumps(config))  # JSON is valid YAML
        self.url = f"http://127.0.0.1:{free_port()}"
        argv = [
            "prometheus",
            f"--config.file={folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address={self.url.removeprefix('http://')}",
            "--rules.alert.resend-delay=1s",
        ]
        self.log = folder / "prometheus.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
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
        return resp.json()["data"]

    def targets(self) -> list[dict[str, Any]]:
        return list(self.api("targets", state="active")["activeTargets"])

    def alerts(self) -> list[dict[str, Any]]:
        """Alerts of the rules, pending and firing, with their rendered annotations."""
        return list(self.api("alerts")["alerts"])

    def rule_groups(self) -> list[dict[str, Any]]:
        return list(self.api("rules")["groups"])

    def stop(self) -> None:
        stop_process(self.proc)
