"""A real Alertmanager 0.25 (Debian's ``prometheus-alertmanager``) on 127.0.0.1 for a test.

Started alone (``--cluster.listen-address=`` empty), with its own config, data directory and
a free port; fed through its API v2 (``POST /api/v2/alerts``) the way Prometheus feeds it.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx

from netwarden.collector.incidents.times import format_s
from tests.ports import free_port

BINARY = "prometheus-alertmanager"


def config(collector_url: str, token_file: Path) -> str:
    """Route everything to the collector's webhook, grouped by incident key, quickly.

    ``scenario=repeat`` repeats every 2 s; ``scenario=truncate`` goes to a receiver that
    sends at most 100 alerts per notification.
    """
    hook = f"{collector_url}/api/v1/alerts/alertmanager"
    auth = f"""
        http_config:
          authorization:
            type: Bearer
            credentials_file: {token_file}"""
    return f"""
route:
  receiver: collector
  group_by: [incident]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
  routes:
    - matchers: ['scenario="repeat"']
      receiver: collector
      repeat_interval: 2s
    - matchers: ['scenario="truncate"']
      receiver: collector-100
receivers:
  - name: collector
    webhook_configs:
      - url: {hook}
        send_resolved: true
        max_alerts: 0{auth}
  - name: collector-100
    webhook_configs:
      - url: {hook}
        send_resolved: true
        max_alerts: 100{auth}
"""


class AlertmanagerProcess:
    """One Alertmanager; ``url`` once started."""

    def __init__(self, root: Path, config_text: str, port: int | None = None) -> None:
        if shutil.which(BINARY) is None:
            raise AssertionError(f"{BINARY} is not installed: run scripts/setup.sh")
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        (root / "alertmanager.yml").write_text(config_text, encoding="utf-8")
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.client = httpx.Client(base_url=self.url, timeout=10)

    def start(self, timeout: float = 30.0) -> None:
        log = (self.root / "alertmanager.log").open("wb")
        args = [
            BINARY,
            f"--config.file={self.root / 'alertmanager.yml'}",
            f"--storage.path={self.root / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--cluster.listen-address=",
            "--log.level=debug",
        ]
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"alertmanager exited: {self.log()[-2000:]}")
            try:
                if self.client.get("/-/ready").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("alertmanager did not become ready")

    def log(self) -> str:
        return (self.root / "alertmanager.log").read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        self.client.close()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        """Send alerts as Prometheus would (``POST /api/v2/alerts``)."""
        answer = self.client.post("/api/v2/alerts", json=alerts)
        assert answer.status_code == 200, answer.text

    def silences(self) -> list[dict[str, Any]]:
        answer = self.client.get("/api/v2/silences")
        assert answer.status_code == 200
        found: list[dict[str, Any]] = answer.json()
        return found

    def alerts(self, **filters: str) -> list[dict[str, Any]]:
        answer = self.client.get("/api/v2/alerts", params=filters)
        assert answer.status_code == 200
        found: list[dict[str, Any]] = answer.json()
        return found

    def failed_notifications(self) -> float:
        """``alertmanager_notifications_failed_total`` of the webhook integration."""
        for line in self.client.get("/metrics").text.splitlines():
            if line.startswith('alertmanager_notifications_failed_total{integration="webhook"}'):
                return float(line.rsplit(" ", 1)[1])
        return 0.0


def am_alert(
    labels: dict[str, str], starts: float, ends: float | None = None, summary: str = ""
) -> dict[str, Any]:
    """An alert for ``POST /api/v2/alerts``: firing until ``ends`` (default: in an hour)."""
    return {
        "labels": labels,
        "annotations": {"summary": summary or labels.get("alertname", "")},
        "startsAt": format_s(starts),
        "endsAt": format_s(ends if ends is not None else starts + 3600),
        "generatorURL": "http://prometheus.test/graph",
    }
