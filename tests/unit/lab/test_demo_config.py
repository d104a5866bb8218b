"""The files the demo writes are what netwarden's own loaders accept: the demo's inventory (the
lab's, with the NAT'd agent pushing), its alerting.yaml, and Prometheus' configuration."""

from __future__ import annotations

from pathlib import Path

from netwarden.alerting.config_load import load_config
from netwarden.inventory import load_inventory
from netwarden.lab.demo.config import (
    PUSH_AGENT,
    Endpoints,
    alerting_config,
    demo_inventory,
    prometheus_config,
    write_yaml,
)
from netwarden.lab.inventory_file import build_inventory, write_inventory
from netwarden.lab.topology import build_plan

ENDS = Endpoints(
    collector="https://198.18.10.6:9440",
    prometheus="http://198.19.255.1:9090",
    alertmanager="http://198.19.255.1:9093",
    people="http://198.19.255.1:9095",
)


def _lab_inventory(tmp_path: Path) -> Path:
    path = tmp_path / "lab.yaml"
    write_inventory(build_inventory(build_plan(), tmp_path / "secrets"), path)
    return path


def test_the_demo_inventory_is_valid_and_the_nat_agent_pushes_to_prometheus(
    tmp_path: Path,
) -> None:
    document = demo_inventory(_lab_inventory(tmp_path), ENDS.prometheus)
    inventory = load_inventory([write_yaml(tmp_path / "demo" / "inventory.yaml", document)])
    agent = next(a for a in inventory.agents if a.id == PUSH_AGENT)
    assert agent.metrics == "push"
    assert agent.push is not None
    assert str(agent.push.url) == "http://198.19.255.1:9090/api/v1/write"
    levels = {site.id: site.security_level for site in inventory.sites}
    assert levels["so-khcn"] == 3
    assert levels["dc"] == 4
    services = {s.id: s for s in inventory.services}
    assert {"reach-so-khcn", "reach-so-tc"} <= set(services)
    assert services["reach-so-khcn"].agent == "agent-core"


def test_the_alerting_yaml_is_accepted_by_the_generator_loader(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("x")
    path = write_yaml(tmp_path / "alerting.yaml", alerting_config(ENDS, tmp_path / "ca.pem", token))
    config = load_config(path)
    assert set(config.receivers) == {"people", "lead", "deadman"}


def test_prometheus_scrapes_agents_by_sd_with_honor_labels_and_accepts_pushes(
    tmp_path: Path,
) -> None:
    config = prometheus_config(
        tmp_path, tmp_path / "rules", ENDS, tmp_path / "ca.pem", tmp_path / "token"
    )
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    agents = jobs["netwarden-agents"]
    assert agents["honor_labels"] is True
    assert agents["http_sd_configs"][0]["url"] == "https://198.18.10.6:9440/api/v1/sd"
    assert jobs["netwarden-collector"]["static_configs"] == [{"targets": ["198.18.10.6:9440"]}]
    assert config["storage"]["tsdb"]["out_of_order_time_window"] == "72h"
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == [
        "198.19.255.1:9093"
    ]
