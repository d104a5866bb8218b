"""The push benchmark's site: 20 access switches x 48 ports (plus an uplink and a VLAN
interface each), as the agent's poller would leave them, with counters that move every poll;
and the /metrics page such an agent serves, for Prometheus' agent mode to scrape."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CollectorRegistry

from netwarden.agent.metrics import SnapshotCollector, iter_render
from netwarden.agent.metrics.exposition import CONTENT_TYPE
from netwarden.agent.polling.snapshot import (
    DeviceCounters,
    DeviceInfo,
    DeviceSnapshot,
    InterfaceSample,
)

HC = (
    *("ifHCInOctets", "ifHCOutOctets", "ifHCInUcastPkts", "ifHCOutUcastPkts"),
    *("ifHCInMulticastPkts", "ifHCOutMulticastPkts", "ifHCInBroadcastPkts"),
    *("ifHCOutBroadcastPkts", "ifInErrors", "ifOutErrors", "ifInDiscards", "ifOutDiscards"),
)


class Site:
    """``devices`` switches of ``ports`` ports; ``poll(at)`` advances every counter."""

    def __init__(self, devices: int = 20, ports: int = 48, seed: int = 19) -> None:
        self._rng = random.Random(seed)  # noqa: S311 - synthetic traffic, not secrets
        self.devices = [f"sw-tang{d // 4 + 1}-{d % 4 + 1:02d}" for d in range(devices)]
        self.names = [f"Gi1/0/{p}" for p in range(1, ports + 1)] + ["Te1/1/1", "Vlan10"]
        self._counters = {
            (d, i): [self._rng.randrange(2**40) for _ in HC]
            for d in self.devices
            for i in range(len(self.names))
        }

    def poll(self, device: str, at: float) -> DeviceSnapshot:
        """One poll of ``device`` at ``at``: every counter grows by a random amount."""
        interfaces = []
        for i, name in enumerate(self.names):
            values = self._counters[(device, i)]
            for k in range(len(values)):
                values[k] += self._rng.randrange(1, 10**7 if k < 2 else 10**4)
            interfaces.append(InterfaceSample(
                if_index=i + 1, if_name=name, if_descr=f"GigabitEthernet{name[2:]}",
                if_alias=f"Phòng {i + 1} - tầng {i % 5 + 1} - Sở Tài chính" if i < 48 else "uplink",
                counters=dict(zip(HC, values, strict=True)),
                gauges={"ifOperStatus": 1, "ifAdminStatus": 1, "ifHighSpeed": 1000,
                        "ifLastChange": 4_200},
            ))  # fmt: skip
        info = DeviceInfo(device, "so-tc", "switch")
        return DeviceSnapshot(info, at, 0.08, True, sys_uptime=int(at * 100) % 2**32,
                              interfaces=interfaces, last_success=at + 0.08)  # fmt: skip

    def polls(self, at: float) -> Iterator[tuple[DeviceSnapshot, DeviceCounters]]:
        for device in self.devices:
            yield self.poll(device, at), DeviceCounters()


class MetricsPage:
    """Serves what the agent would serve for this site at /metrics, a new poll per scrape;
    counts the scrapes. On 127.0.0.1 and a free port, in a thread of ours."""

    def __init__(self, site: Site) -> None:
        self.site, self.scrapes, self.series = site, 0, 0
        page = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                import time

                registry = CollectorRegistry()
                fleet = list(page.site.polls(time.time()))
                SnapshotCollector(lambda: fleet, registry=registry)
                body = b"".join(iter_render(registry))
                page.scrapes += 1
                page.series = sum(1 for line in body.splitlines() if not line.startswith(b"#"))
                self.send_response(200)
                self.send_header("Content-Type", CONTENT_TYPE)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
