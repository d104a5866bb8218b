"""IPv6 in the lab (item 3 of #12): the data centre's LAN is the one link with IPv6
(2001:2:0:10::/64, from RFC 5180's 2001:2::/48). An agent inside the DC switch's namespace
polls and probes the DC hosts over IPv6 only: SNMP (v3 and v2c) to their udp6 snmpd, ICMPv6,
TCP to sshd, and HTTPS to the portal, whose certificates carry the IPv6 address too: trusted
with ``ca_file``, or failing verification with their days left and why.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from netwarden.lab.topology import DC_LAN6, DC_NS
from tests.lab.agent_process import AgentProcess
from tests.lab.conftest import Lab

pytestmark = pytest.mark.timeout(240)

WEB6 = f"{DC_LAN6}5"
DB6 = f"{DC_LAN6}6"


def _inventory(lab: Lab, path: Path) -> Path:
    secret = {name: f"file:{lab.root / 'secrets' / name}"
              for name in ("snmp-community", "snmp-auth", "snmp-priv")}  # fmt: skip
    portal = f"https://[{WEB6}]"
    every = {"interval": "2s"}
    document = {
        "province": "lab-ipv6",
        "agents": [{"id": "agent-dc6", "site": "dc"}],
        "sites": [{"id": "dc", "kind": "datacentre"}],
        "devices": [
            {"id": "dc-web-01", "site": "dc", "address": WEB6, "role": "host",
             "snmp": {"credential": "v3", "timeout": "1s", **every},
             "icmp": {"count": 5, "timeout": "500ms", **every}},
            {"id": "dc-db-01", "site": "dc", "address": DB6, "role": "host",
             "snmp": {"credential": "v2c", "timeout": "1s", **every},
             "icmp": {"count": 5, "timeout": "500ms", **every}},
        ],
        "services": [
            {"id": "ssh-web", "site": "dc", **every,
             "check": {"tcp": {"host": WEB6, "port": 22}}},
            {"id": "portal", "site": "dc", **every,
             "check": {"http": {"url": f"{portal}/", "body_regex": "Cổng dịch vụ công",
                                "ca_file": str(lab.root / "portal.crt")}}},
            {"id": "portal-expired", "site": "dc", **every,
             "check": {"http": {"url": f"{portal}:9443/",
                                "ca_file": str(lab.root / "portal-expired.crt")}}},
            {"id": "portal-expiring", "site": "dc", **every,
             "check": {"http": {"url": f"{portal}:8443/"}}},
        ],
        "credentials": {
            "v3": {"snmp": {"version": 3, "user": "labv3",
                            "auth": {"protocol": "sha", "secret": secret["snmp-auth"]},
                            "priv": {"protocol": "aes", "secret": secret["snmp-priv"]}}},
            "v2c": {"snmp": {"version": "2c", "community": secret["snmp-community"]}},
        },
    }  # fmt: skip
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def agent6(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentProcess]:
    folder = tmp_path_factory.mktemp("agent6")
    agent = AgentProcess(_inventory(lab, folder / "inventory.yaml"), "agent-dc6",
                         folder / "agent.log", ns=DC_NS)  # fmt: skip
    try:
        agent.wait_ready()
        yield agent
    finally:
        agent.stop()


def test_ipv6_is_on_the_dc_lan_only(lab: Lab) -> None:
    def addresses(ns: str) -> str:
        done = subprocess.run(["ip", "-n", ns, "-6", "-o", "address", "show", "scope", "global"],
                              capture_output=True, text=True, timeout=10, check=True)  # fmt: skip
        return done.stdout

    assert f"{DC_LAN6}1/64" in addresses(DC_NS) and f"{DC_LAN6}2/64" in addresses(DC_NS)
    assert f"{WEB6}/64" in addresses("nwl-dc-web")
    for ns in ("nwl-core", "nwl-a1", "nwl-ldc"):
        assert addresses(ns) == "", ns


def test_snmp_over_ipv6_polls_both_hosts(agent6: AgentProcess) -> None:
    for device in ("dc-web-01", "dc-db-01"):
        agent6.wait_value("netwarden_device_up", 1, device=device)
    # The counters are the hosts' own interfaces, read through udp6.
    names = {labels.get("ifName") for labels, _ in agent6.samples()["ifHCInOctets"]
             if labels.get("device") == "dc-web-01"}  # fmt: skip
    assert "eth0" in names


def test_icmpv6_and_tcp_over_ipv6(agent6: AgentProcess) -> None:
    for device in ("dc-web-01", "dc-db-01"):
        agent6.wait_value("netwarden_probe_success", 1, probe="icmp", device=device)
        assert agent6.value("netwarden_probe_icmp_loss_ratio", device=device) == 0
    agent6.wait_value("netwarden_probe_success", 1, service="ssh-web")
    targets = {labels["target"] for labels, _ in agent6.samples()["netwarden_probe_success"]
               if labels.get("service") == "ssh-web"}  # fmt: skip
    assert targets == {f"[{WEB6}]:22"}


def test_https_over_ipv6_trusts_the_portal_with_ca_file(agent6: AgentProcess) -> None:
    agent6.wait_value("netwarden_probe_success", 1, service="portal")
    assert agent6.value("netwarden_probe_tls_verified", service="portal") == 1
    left = agent6.value("netwarden_probe_tls_days_left", service="portal")
    assert left is not None and 89.8 < left <= 90


def test_failed_verification_over_ipv6_says_why_and_how_long(agent6: AgentProcess) -> None:
    expected = {"portal-expired": ("expired", -3.0), "portal-expiring": ("self-signed", 5.0)}
    for service, (error, days) in expected.items():
        agent6.wait_value("netwarden_probe_tls_verified", 0, service=service)
        assert agent6.value("netwarden_probe_success", service=service) == 0
        left = agent6.value("netwarden_probe_tls_days_left", service=service)
        assert left is not None and days - 0.2 < left <= days, (service, left)
        errors = [labels["error"]
                  for labels, value in agent6.samples()["netwarden_probe_tls_verify_error_info"]
                  if labels.get("service") == service and value == 1]  # fmt: skip
        assert errors == [error], service
