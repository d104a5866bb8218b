"""Real remote-write receivers for the push tests: Prometheus 2.42 with its receiver on, and
VictoriaMetrics (both Debian's), each a process of ours on a free port, data in a temp dir,
ended by its PID. Both answer the same question: the raw samples of a series in a window."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path
from typing import Any

import httpx

from tests.lab.fleet_lab import stop_process, wait_for

# The spool's age bound (72 h): a receiver must take samples that old (docs/push.md).
OUT_OF_ORDER_WINDOW = "72h"


def free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class Receiver:
    """A receiver process; ``write_url`` is where agents push."""

    name = "receiver"
    write_path = "/api/v1/write"

    def __init__(self, host: str, folder: Path, argv: list[str]) -> None:
        self.host, self.folder = host, folder
        self.url = f"http://{host}:{self.port}"
        self.log = folder / f"{self.name}.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        wait_for(f"{self.name} ready", self._ready, 60,
                 describe=lambda: self.log.read_text(errors="replace")[-1500:])  # fmt: skip

    port: int

    @property
    def write_url(self) -> str:
        return self.url + self.write_path

    def _ready(self) -> bool:
        assert self.proc.poll() is None, self.log.read_text(errors="replace")[-2000:]
        try:
            return httpx.get(f"{self.url}{self.ready_path}", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    ready_path = "/-/ready"
    query_params: dict[str, str] = {}  # noqa: RUF012 - per-class constant

    def query(self, promql: str, at: float) -> list[dict[str, Any]]:
        params = {"query": promql, "time": f"{at:.3f}", **self.query_params}
        resp = httpx.get(f"{self.url}/api/v1/query", params=params, timeout=30)
        resp.raise_for_status()
        body = resp.json()
        assert body["status"] == "success", body
        return list(body["data"]["result"])

    def raw(self, selector: str, start: float, end: float) -> dict[str, list[tuple[int, float]]]:
        """Every raw sample of ``selector`` in [start, end], per series (its labels as JSON):
        [(timestamp in ms, value)] in time order."""
        window = max(1, int(end - start) + 1)
        result = self.query(f"{selector}[{window}s]", end)
        return {
            json.dumps(series["metric"], sort_keys=True): [
                (round(float(t) * 1000), float(v)) for t, v in series["values"]
            ]
            for series in result
        }

    def stop(self) -> None:
        stop_process(self.proc)


class PrometheusReceiver(Receiver):
    """Prometheus with ``--web.enable-remote-write-receiver`` and an out-of-order window of the
    spool's age bound; it may also scrape pull agents (``scrape``: job -> targets, labels)."""

    name = "prometheus"

    def __init__(self, host: str, folder: Path, scrape: list[dict[str, Any]] | None = None):
        self.port = free_port(host)
        folder.mkdir(parents=True, exist_ok=True)
        config = {
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
            "storage": {"tsdb": {"out_of_order_time_window": OUT_OF_ORDER_WINDOW}},
            "scrape_configs": scrape or [],
        }
        (folder / "prometheus.yml").write_text(json.dumps(config))  # JSON is valid YAML
        super().__init__(host, folder, [
            "prometheus", f"--config.file={folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={folder / 'data'}", f"--web.listen-address={host}:{self.port}",
            "--web.enable-remote-write-receiver",
        ])  # fmt: skip


class VictoriaMetricsReceiver(Receiver):
    """Single-node VictoriaMetrics: dedup below the poll interval (a batch re-sent after a
    crash is not counted twice, polls are not merged), no latency offset, queries uncached."""

    name = "victoria-metrics"
    ready_path = "/health"
    query_params = {"nocache": "1"}  # noqa: RUF012

    def __init__(self, host: str, folder: Path, dedup: str) -> None:
        self.port = free_port(host)
        folder.mkdir(parents=True, exist_ok=True)
        super().__init__(host, folder, [
            "victoria-metrics", f"-httpListenAddr={host}:{self.port}",
            f"-storageDataPath={folder / 'data'}", f"-dedup.minScrapeInterval={dedup}",
            "-search.latencyOffset=0s", "-retentionPeriod=1y",
        ])  # fmt: skip
