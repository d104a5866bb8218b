"""The demo's first half: the province comes up and is watched. Each step checks its outcome."""

from __future__ import annotations

import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

from netwarden.lab.demo.config import (
    PUSH_AGENT,
    Endpoints,
    alerting_config,
    demo_inventory,
    prometheus_config,
    write_json,
    write_yaml,
)
from netwarden.lab.demo.context import AGENTS, DC_HOST, DC_HOST_NS, MONITOR_HOST, Demo, free_port
from netwarden.lab.demo.runner import StepFailed
from netwarden.lab.demo.shell import NETWARDEN, wait_for

REPO = Path(__file__).resolve().parents[2]
THRESHOLDS = [REPO / "prometheus" / "thresholds.yml", Path(__file__).with_name("thresholds.yaml")]
LAB_STATE = Path("/run/netwarden-lab")


def lab_up(d: Demo) -> None:
    """The simulated province in namespaces, its inventory checked, the demo's copy written."""
    out = d.shell.netwarden("lab", "up", timeout=300)
    d.lab_inventory = Path(out.strip().splitlines()[-1])
    d.reporting = LAB_STATE / "reporting.yaml"
    if not d.lab_inventory.is_file() or not d.reporting.is_file():
        raise StepFailed(f"lab up wrote no inventory or reporting.yaml under {LAB_STATE}")
    d.shell.netwarden("lab", "status")
    # Prometheus listens on the monitoring host: the NAT'd agency pushes there.
    prometheus = f"http://{MONITOR_HOST}:{free_port(MONITOR_HOST)}"
    d.inventory = write_yaml(
        d.folder / "inventory" / "inventory.yaml", demo_inventory(d.lab_inventory, prometheus)
    )
    d.ends = Endpoints(
        collector=f"https://{DC_HOST}:{free_port(DC_HOST, DC_HOST_NS)}",
        prometheus=prometheus,
        alertmanager=f"http://{MONITOR_HOST}:{free_port(MONITOR_HOST)}",
        people=f"http://{MONITOR_HOST}:{free_port(MONITOR_HOST)}",
    )
    d.shell.netwarden("inventory", "check", str(d.inventory))


def collector(d: Demo) -> None:
    """The collector on the data-centre host: TLS with its own CA, SQLite, the lab's reporting."""
    ends = d.endpoints
    d.processes.start(
        "collector",
        [
            *NETWARDEN,
            "collector",
            "serve",
            "-i",
            str(d.inventory),
            "--data-dir",
            str(d.data_dir),
            "--listen",
            ends.hostport(ends.collector),
            "--stale-after",
            "4s",
            "--alertmanager",
            ends.alertmanager,
            "--reporting",
            str(d.reporting),
        ],
        ns=DC_HOST_NS,
    )
    wait_for(
        "the collector's /-/ready", lambda: _ready(d, ends.collector + "/-/ready", "collector"), 60
    )
    wait_for("the collector's CA file", d.ca_file.is_file, 10)
    # you (admin), the on-duty responder, Alertmanager (may only post alerts), Prometheus
    users = {
        "admin": "demo-admin",
        "responder": "truc-ban",
        "webhook": "alertmanager",
        "viewer": "prometheus",
    }
    with ThreadPoolExecutor(len(users)) as pool:
        made = pool.map(lambda role: _token(d, "--user", users[role], "--role", role), users)
        d.tokens.update(zip(users, made, strict=True))
    d.shell.say(
        f"collector {ends.collector} (CA {d.ca_file}); tokens for admin, Alertmanager, Prometheus"
    )


def alerting(d: Demo) -> None:
    """Rules rendered from the thresholds, the Alertmanager configuration generated from the
    inventory, both checked by Prometheus' and Alertmanager's own tools."""
    args = [a for path in THRESHOLDS for a in ("--thresholds", str(path))]
    rules = d.folder / "rules"
    d.shell.netwarden(
        "alerting",
        "rules",
        *args,
        "--rules-dir",
        str(rules),
        "--test-rules-dir",
        str(d.folder / "test-rules"),
    )
    _tool(d, "promtool", "check", "rules", *sorted(str(p) for p in rules.glob("*.yml")))
    token_file = d.folder / "alertmanager" / "collector.token"
    _secret(token_file, d.tokens["webhook"])
    write_yaml(d.folder / "alerting.yaml", alerting_config(d.endpoints, d.ca_file, token_file))
    out = d.folder / "alertmanager" / "alertmanager.yml"
    d.shell.netwarden(
        "alerting",
        "generate",
        "-i",
        str(d.inventory),
        "--config",
        str(d.folder / "alerting.yaml"),
        "--output",
        str(out),
    )
    _tool(d, "amtool", "check-config", str(out))


def agents(d: Demo) -> None:
    """One agent per site, each enrolled with a join token and run in its own namespace (the
    five enrol side by side: each is a few CLI calls)."""
    with ThreadPoolExecutor(len(AGENTS)) as pool:
        list(pool.map(partial(_enrol_and_run, d), AGENTS))
    for agent in AGENTS:
        wait_for(f"{agent} serving /metrics", partial(_serving, d, agent), 60)
    d.shell.say(f"{len(AGENTS)} agents enrolled and serving; {PUSH_AGENT} pushes (NAT)")


def _enrol_and_run(d: Demo, agent: str) -> None:
    ns, address, scraped = AGENTS[agent]
    join = _token(d, "--agent", agent, "-i", str(d.inventory))
    state = d.folder / "agents" / agent
    d.shell.netwarden(
        "agent",
        "enroll",
        "--collector",
        d.endpoints.collector,
        "--token",
        join,
        "--state-dir",
        str(state),
        ns=ns,
    )
    port = free_port(address, ns)
    d.agent_ports[agent] = port
    argv = [
        *NETWARDEN,
        "agent",
        "run",
        "--state-dir",
        str(state),
        "--listen",
        f"{address}:{port}",
        "--heartbeat-interval",
        "1",
        "--summary-interval",
        "2",
        "--config-store",
        str(d.folder / "configs"),
    ]
    if scraped:
        argv += ["--advertise", f"{address}:{port}"]
    d.processes.start(agent, argv, ns=ns)


def monitoring(d: Demo) -> None:
    """Debian's Prometheus and Alertmanager with the generated files; every pulled agent and the
    collector scraped, the rules loaded, the people's receiver listening."""
    ends = d.endpoints
    d.processes.start(
        "people",
        [
            sys.executable,
            "-m",
            "netwarden.lab.demo.sink",
            ends.hostport(ends.people),
            str(d.people_file),
        ],
    )
    folder = d.folder / "alertmanager"
    d.processes.start(
        "alertmanager",
        [
            "prometheus-alertmanager",
            f"--config.file={folder / 'alertmanager.yml'}",
            f"--storage.path={folder / 'data'}",
            f"--web.listen-address={ends.hostport(ends.alertmanager)}",
            "--cluster.listen-address=",
        ],
    )
    folder = d.folder / "prometheus"
    _secret(folder / "viewer.token", d.tokens["viewer"])
    config = prometheus_config(folder, d.folder / "rules", ends, d.ca_file, folder / "viewer.token")
    write_json(folder / "prometheus.yml", config)
    d.processes.start(
        "prometheus",
        [
            "prometheus",
            f"--config.file={folder / 'prometheus.yml'}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address={ends.hostport(ends.prometheus)}",
            "--web.enable-remote-write-receiver",
            "--rules.alert.resend-delay=1s",
        ],
    )
    wait_for(
        "Alertmanager ready", lambda: _ready(d, ends.alertmanager + "/-/ready", "alertmanager"), 60
    )
    wait_for("Prometheus ready", lambda: _ready(d, ends.prometheus + "/-/ready", "prometheus"), 60)
    wanted = {a for a, (_, _, scraped) in AGENTS.items() if scraped} | {"collector"}
    wait_for(
        "Prometheus scraping every pulled agent and the collector",
        lambda: wanted <= _targets_up(d),
        90,
    )
    groups = {g["name"] for g in d.prometheus_get("rules")["groups"]}
    if not {"netwarden-links", "netwarden-fleet"} <= groups:
        raise StepFailed(f"Prometheus loaded rule groups {sorted(groups)}, not netwarden's")
    for target in sorted(wanted):
        d.shell.say(f"  scraped and up: {target}")
    d.shell.say(f"  rule groups loaded: {len(groups)}")


def fleet(d: Demo) -> None:
    """The fleet as the response team sees it: every agent up, the NAT'd one's push spool."""
    wait_for("every agent up in the collector's fleet view", lambda: _all_up(d), 30)
    d.shell.netwarden("fleet", "status", env=d.collector_env("viewer"))


def pushed(d: Demo) -> None:
    """The NAT'd agency's series reach Prometheus by remote write (nobody can scrape it)."""
    expr = f'netwarden_device_up{{agent="{PUSH_AGENT}"}}'
    found = wait_for(
        f"{PUSH_AGENT}'s pushed series in Prometheus", lambda: d.prometheus_query(expr), 60
    )
    for series in found:
        labels = series["metric"]
        d.shell.say(
            f"  {labels.get('device', '?'):<24} site {labels.get('site', '?'):<20}"
            f" up={series['value'][1]}  (pushed by {PUSH_AGENT})"
        )


def _serving(d: Demo, agent: str) -> bool:
    d.processes.check_alive(agent)
    return bool(d.agent_metrics(agent))


def _all_up(d: Demo) -> bool:
    agents = d.collector_get("fleet")["agents"]
    return {a["id"] for a in agents if a["state"] == "up"} >= set(AGENTS)


def _targets_up(d: Demo) -> set[str]:
    up = set()
    for target in d.prometheus_get("targets?state=active")["activeTargets"]:
        if target["health"] != "up":
            continue
        labels = target["labels"]
        up.add(
            labels.get("agent") or ("collector" if labels["job"] == "netwarden-collector" else "")
        )
    return up


def _ready(d: Demo, url: str, process: str) -> bool:
    import httpx  # lazy: the CLI starts fast

    d.processes.check_alive(process)
    verify: str | bool = str(d.ca_file) if d.ca_file.is_file() else False  # readiness only
    return httpx.get(url, timeout=2, verify=verify).status_code == 200


def _token(d: Demo, *args: str) -> str:
    out = d.shell.netwarden(
        "collector",
        "token",
        "create",
        *args,
        "--data-dir",
        str(d.data_dir),
        "--output",
        "json",
        show=False,
    )
    import json

    return str(json.loads(out)["token"])


def _secret(path: Path, value: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(value, encoding="utf-8")
    path.chmod(0o600)


def _tool(d: Demo, *argv: str) -> None:
    if shutil.which(argv[0]) is None:
        raise StepFailed(f"{argv[0]} is not installed (scripts/setup.sh installs it)")
    d.shell.say("$ " + " ".join(argv[:3]) + (" ..." if len(argv) > 3 else ""))
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        raise StepFailed(
            f"{argv[0]} {argv[1]} failed: {(done.stdout + done.stderr).strip()[-300:]}"
        )
    d.shell.say(done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "ok")
