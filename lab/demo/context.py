"""What the demo's steps share: its folder, the addresses of its daemons, the tokens it made,
the incident it follows, and small readers of Prometheus, Alertmanager and the people's inbox."""

from __future__ import annotations

import json
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netwarden.lab.demo import sink
from netwarden.lab.demo.config import Endpoints
from netwarden.lab.demo.shell import Processes, Shell, in_ns

MONITOR_HOST = "198.19.255.1"  # the root namespace's lab-side address: the monitoring host
DC_HOST_NS, DC_HOST = "nwl-dc-db", "198.18.10.6"  # the data-centre host running the collector
CUT_LINK, CUT_SITE, CUT_AGENT = "tsl-so-khcn", "so-khcn", "agent-so-khcn"
# agent id -> (namespace, address its /metrics listens on, scraped by Prometheus)
AGENTS = {
    "agent-core": ("nwl-core", "198.18.100.1", True),
    "agent-dc": ("nwl-dc", "198.18.10.1", True),
    "agent-so-khcn": ("nwl-a1", "198.18.1.2", True),
    "agent-so-tc": ("nwl-a2", "198.18.2.2", True),
    "agent-p-phan-dinh-phung": ("nwl-a3", "198.18.1.2", False),  # behind NAT: pushes
}


def free_port(address: str, ns: str | None = None) -> int:
    """A port free on ``address`` (inside namespace ``ns``), as that namespace's kernel says."""
    if ns is None:
        with socket.socket() as sock:
            sock.bind((address, 0))
            return int(sock.getsockname()[1])
    code = f"import socket; s=socket.socket(); s.bind(({address!r}, 0)); print(s.getsockname()[1])"
    done = subprocess.run(
        in_ns(ns, ["python3", "-c", code]), capture_output=True, text=True, timeout=30, check=True
    )
    return int(done.stdout)


@dataclass
class Demo:
    """The state one demo run builds up, step by step."""

    folder: Path
    shell: Shell
    processes: Processes
    keep: bool = False
    lab_inventory: Path = Path()
    inventory: Path = Path()
    reporting: Path = Path()
    ends: Endpoints | None = None
    agent_ports: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    incident: str = ""
    playbook_run: str = ""  # the link-down playbook's run on the incident
    cut_at: float = 0.0
    restored_at: float = 0.0
    agency_step_ended: float = 0.0  # when the queued agency-side playbook step ended

    @property
    def endpoints(self) -> Endpoints:
        assert self.ends is not None, "the endpoints are chosen when the collector starts"
        return self.ends

    @property
    def data_dir(self) -> Path:
        return self.folder / "collector"

    @property
    def ca_file(self) -> Path:
        return self.data_dir / "tls" / "ca.pem"

    @property
    def people_file(self) -> Path:
        return self.folder / "notifications.jsonl"

    def collector_env(self, role: str = "admin") -> dict[str, str]:
        """What the incident and fleet commands read: collector URL, CA and a user's token."""
        return {
            "NETWARDEN_COLLECTOR": self.endpoints.collector,
            "NETWARDEN_CA_FILE": str(self.ca_file),
            "NETWARDEN_TOKEN": self.tokens[role],
        }

    def collector_get(self, path: str, role: str = "viewer") -> Any:
        """``GET /api/v1/PATH`` on the collector (the checks poll it; a CLI start is seconds)."""
        import ssl

        import httpx  # lazy: the CLI starts fast

        context = ssl.create_default_context(cafile=str(self.ca_file))
        headers = {"Authorization": f"Bearer {self.tokens[role]}"}
        url = f"{self.endpoints.collector}/api/v1/{path}"
        answer = httpx.get(url, headers=headers, verify=context, timeout=10)
        answer.raise_for_status()
        return answer.json()

    def cli_json(self, *args: str, role: str = "admin") -> Any:
        out = self.shell.netwarden(
            *args, "--output", "json", show=False, env=self.collector_env(role)
        )
        return json.loads(out)

    def notifications(self, path: str) -> list[dict[str, Any]]:
        return [n for n in sink.read(self.people_file) if n["path"] == path]

    def prometheus_query(self, expr: str) -> list[dict[str, Any]]:
        import httpx  # lazy: the CLI starts fast

        answer = httpx.get(
            f"{self.endpoints.prometheus}/api/v1/query", params={"query": expr}, timeout=10
        )
        answer.raise_for_status()
        return list(answer.json()["data"]["result"])

    def prometheus_get(self, path: str) -> Any:
        import httpx

        answer = httpx.get(f"{self.endpoints.prometheus}/api/v1/{path}", timeout=10)
        answer.raise_for_status()
        return answer.json()["data"]

    def alertmanager_alerts(self) -> list[dict[str, Any]]:
        """Every alert Alertmanager holds: active, silenced and inhibited."""
        import httpx

        params = {"active": "true", "silenced": "true", "inhibited": "true"}
        answer = httpx.get(
            f"{self.endpoints.alertmanager}/api/v2/alerts", params=params, timeout=10
        )
        answer.raise_for_status()
        return list(answer.json())

    def agent_metrics(self, agent: str) -> str:
        """The agent's /metrics as seen from inside its namespace (works while its WAN is cut)."""
        ns, address, _ = AGENTS[agent]
        url = f"http://{address}:{self.agent_ports[agent]}/metrics"
        done = subprocess.run(
            in_ns(ns, ["curl", "-sf", "-m", "5", url]),
            capture_output=True,
            text=True,
            timeout=15,
            check=False,
        )
        return done.stdout if done.returncode == 0 else ""
