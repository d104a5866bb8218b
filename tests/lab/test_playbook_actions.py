"""Every agent action against the real lab, run as the agent runs a job of it (params checked
by the catalogue, bounded in time): real snmpd (v3), real sshd with the IOS-like CLI and the
Linux shell, the WAN through the core router, the HTTPS portal.

The actions run in this process (the root namespace routes to every lab device) with the means
an agent builds: the real probers, the fast SNMP client, netmiko in the SSH pool, a git config
store, the scapy tracer; each as the agent whose slice holds the device. Only agency 2's switch
is changed (its ``ap0``, the Wi-Fi access point's port), and always restored.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from netwarden.agent.actions.context import ActionContext
from netwarden.agent.actions.handlers import action_handlers
from netwarden.agent.actions.scapy_tracer import ScapyTracer
from netwarden.agent.configs.store import ConfigStore
from netwarden.agent.probes.icmp import IcmpPinger
from netwarden.agent.probes.registry import real_probers
from netwarden.agent.snmp.client import UdpSnmpSession
from netwarden.agent.ssh.netmiko_runner import NetmikoRunner
from netwarden.agent.ssh.pool import SshPool
from netwarden.agent.sync.jobs import JobOutcome
from netwarden.inventory import Inventory, load_inventory
from netwarden.lab.state import DEFAULT_DIR
from tests.lab.conftest import Lab
from tests.waiting import wait_for

pytestmark = pytest.mark.timeout(240)

IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
IF_ADMIN = "1.3.6.1.2.1.2.2.1.7"
IF_OPER = "1.3.6.1.2.1.2.2.1.8"
SYS_NAME = "1.3.6.1.2.1.1.5.0"
SWITCH, SWITCH_AGENT, SWITCH_NS, PORT = "sw-so-tc-core", "agent-so-tc", "nwl-a2", "ap0"


class Agent:
    """Runs actions as agent ``agent_id`` of the lab inventory would, each in its own loop."""

    def __init__(
        self, lab: Lab, agent_id: str, store: Path, inventory: Inventory | None = None
    ) -> None:
        self.inventory = inventory or load_inventory([Path(lab.state.inventory)])
        self.agent_id, self.store = agent_id, store

    def run(self, action: str, params: dict[str, Any]) -> JobOutcome:
        return asyncio.run(self._run(action, params))

    async def _run(self, action: str, params: dict[str, Any]) -> JobOutcome:
        pinger, pool, tracer = IcmpPinger(), SshPool(NetmikoRunner(), 2), ScapyTracer()
        context = ActionContext(
            agent_id=self.agent_id,
            inventory=lambda: self.inventory,
            probers=real_probers(pinger),
            snmp=UdpSnmpSession,
            ssh=pool,
            configs=ConfigStore(self.store),
            tracer=tracer,
        )
        try:
            outcome = await action_handlers(context)[action](params)
        finally:
            await pinger.close()
            pool.close()
            tracer.close()
        assert isinstance(outcome, JobOutcome)
        return outcome


@pytest.fixture(scope="module")
def agents(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Agent]:
    store = tmp_path_factory.mktemp("configs")
    inventory = load_inventory([Path(lab.state.inventory)])  # read and checked once, not per test
    return lambda agent_id: Agent(lab, agent_id, store, inventory)


def ok(outcome: JobOutcome) -> dict[str, Any]:
    assert outcome.ok, outcome.error
    assert isinstance(outcome.output, dict) and outcome.text
    return outcome.output


def net_snmp_walk(lab: Lab, address: str, oid: str) -> list[str]:
    done = lab.snmp(address, oid, command="snmpwalk")
    assert done.returncode == 0, done.stderr
    return [line.strip().strip('"') for line in done.stdout.splitlines() if line.strip()]


def test_snmp_get_and_walk_agree_with_net_snmp(lab: Lab, agents: Callable[[str], Agent]) -> None:
    core = agents("agent-core")
    got = ok(core.run("snmp_get", {"device": "core-rtr", "oids": [SYS_NAME, "1.3.6.1.2.1.1.3.0"]}))
    name, uptime = got["values"]
    assert name == {"oid": SYS_NAME, "type": "STRING", "value": "core-rtr"}
    assert name["value"] == lab.snmp_value("198.18.100.1", SYS_NAME)
    assert uptime["type"] == "Timeticks" and uptime["value"] > 0
    walked = ok(core.run("snmp_walk", {"device": "core-rtr", "oid": IF_DESCR}))
    assert [row["value"] for row in walked["rows"]] == net_snmp_walk(lab, "198.18.100.1", IF_DESCR)
    assert walked["truncated"] is False and "wan1" in [r["value"] for r in walked["rows"]]
    cut = ok(core.run("snmp_walk", {"device": "core-rtr", "oid": IF_DESCR, "max_rows": 2}))
    assert (len(cut["rows"]), cut["truncated"], cut["total"]) == (2, True, walked["total"])
    # Another agent's device is not resolved, and a silent address is a failed step.
    other = core.run("snmp_get", {"device": SWITCH, "oids": [SYS_NAME]})
    assert other.error.startswith(f"device {SWITCH} is not in the inventory of agent agent-core")


def test_ping_tcp_and_http_from_the_agent(lab: Lab, agents: Callable[[str], Agent]) -> None:
    agency = agents(SWITCH_AGENT)
    ping = ok(agency.run("ping", {"device": SWITCH, "count": 5, "interval": 0.05}))
    assert (ping["host"], ping["sent"], ping["received"], ping["loss_ratio"]) == (
        "198.18.2.2",
        5,
        5,
        0.0,
    )
    assert 0 < ping["rtt"]["min"] <= ping["rtt"]["p50"] <= ping["rtt"]["max"] < 1
    assert ping["jitter"] is not None
    dead = ok(
        agency.run("ping", {"host": "198.18.2.99", "count": 3, "interval": 0.05, "timeout": 0.5})
    )
    assert (dead["received"], dead["loss_ratio"], dead["rtt"]["avg"]) == (0, 1.0, None)
    camera = ok(agency.run("tcp", {"device": "cam-so-tc", "port": 554}))
    assert camera["connected"] is True and camera["connect_seconds"] > 0
    closed = ok(agency.run("tcp", {"host": "198.18.2.50", "port": 9, "timeout": 2}))
    assert (closed["connected"], closed["reason"]) == (False, "refused")
    portal = ok(
        agency.run(
            "http", {"url": "https://198.18.10.5/", "ca_file": str(DEFAULT_DIR / "portal.crt")}
        )
    )
    assert (portal["success"], portal["status"], portal["tls_verified"]) == (True, 200, True)
    assert 89 < portal["tls_days_left"] <= 90
    assert abs(sum(portal["phases"].values()) - portal["duration"]) < 1e-6
    expired = ok(agency.run("http", {"url": "https://198.18.10.5:9443/"}))
    assert (expired["success"], expired["reason"]) == (False, "tls")
    lenient = ok(agency.run("http", {"url": "https://198.18.10.5:9443/", "tls_verify": False}))
    assert lenient["success"] is True and -4 < lenient["tls_days_left"] < -2


def test_traceroute_crosses_the_core_router_to_an_agency(
    lab: Lab, agents: Callable[[str], Agent]
) -> None:
    agency = agents(SWITCH_AGENT)
    trace = ok(agency.run("traceroute", {"device": SWITCH, "max_hops": 6}))
    assert trace["reached"] is True
    # From the root namespace: the core router's uplink end, then the agency itself.
    assert [hop["address"] for hop in trace["hops"]] == ["198.19.255.2", "198.18.2.2"]
    assert all(0 < hop["rtt"] < 1 for hop in trace["hops"])
    assert "reached" in ok(agency.run("traceroute", {"host": "198.18.10.6"}))
    # Agency 3 is behind NAT, in agency 1's range: a lab address nobody answers for.
    lost = ok(agency.run("traceroute", {"host": "198.18.77.77", "max_hops": 3, "timeout": 0.5}))
    assert lost["reached"] is False and len(lost["hops"]) == 3


def test_ssh_command_reads_and_refuses(lab: Lab, agents: Callable[[str], Agent]) -> None:
    core = agents("agent-core")
    brief = ok(
        core.run("ssh_command", {"device": "core-rtr", "command": "show ip interface brief"})
    )
    assert brief["platform"] == "cisco_ios"
    assert "wan1" in brief["output"] and "198.19.1.1" in brief["output"]
    version = ok(
        core.run("ssh_command", {"device": "core-rtr", "command": "show version | include uptime"})
    )
    assert "core-rtr uptime is" in version["output"]
    assert "Cisco IOS Software" not in version["output"]  # the filter ran on the device
    # The core's route to agency 2 is read from its namespace's real table when asked.
    route = ok(
        core.run("ssh_command", {"device": "core-rtr", "command": "show ip route 198.18.2.2"})
    )
    assert "Routing entry for 198.18.2.0/24\n" in route["output"]
    assert 'Known via "static"' in route["output"]
    refused = core.run("ssh_command", {"device": "core-rtr", "command": "configure terminal"})
    assert not refused.ok and refused.output is None
    assert refused.error.startswith(
        "ssh_command refused: 'configure terminal' is not a read-only command allowed on cisco_ios"
    )
    dc = agents("agent-dc")
    disk = ok(dc.run("ssh_command", {"device": "dc-db-01", "command": "df -h"}))
    assert (disk["platform"], " /mnt\n" in disk["output"] + "\n") == ("linux", True)
    shell = dc.run("ssh_command", {"device": "dc-db-01", "command": "df -h; id"})
    assert shell.error == "ssh_command refused: 'df -h; id': shell syntax is not allowed on linux"


def _ifindex(agent: Agent, interface: str) -> str:
    rows = ok(agent.run("snmp_walk", {"device": SWITCH, "oid": IF_DESCR}))["rows"]
    (index,) = [row["oid"].rsplit(".", 1)[1] for row in rows if row["value"] == interface]
    return str(index)


@contextmanager
def restored(interface: str) -> Iterator[None]:
    """The port is up again after the block, whatever happened in it."""
    try:
        yield
    finally:
        subprocess.run(
            ["ip", "-n", SWITCH_NS, "link", "set", interface, "up"],
            check=True,
            capture_output=True,
            timeout=10,
        )


def test_set_interface_admin_shuts_a_port_snmp_sees_it_and_wait_until_follows(
    lab: Lab, agents: Callable[[str], Agent]
) -> None:
    agency = agents(SWITCH_AGENT)
    index = _ifindex(agency, PORT)
    admin, oper = f"{IF_ADMIN}.{index}", f"{IF_OPER}.{index}"
    with restored(PORT):
        before = ok(agency.run("collect_config", {"device": SWITCH}))
        assert before["status"] in ("new", "unchanged")
        shut = ok(
            agency.run(
                "set_interface_admin", {"device": SWITCH, "interface": PORT, "state": "down"}
            )
        )
        assert (shut["before"], shut["after"], shut["changed"]) == (
            {"admin": "up", "oper": "up"},
            {"admin": "down", "oper": "down"},
            True,
        )
        # net-snmp's own client sees the port administratively down...
        wait_for(
            "ifAdminStatus down(2) in snmpd",
            lambda: lab.snmp_value("198.18.2.2", admin) in ("2", "down"),
            15,
            every=0.5,
        )
        # ... and the agent's wait_until sees ifOperStatus follow.
        down = ok(
            agency.run(
                "wait_until",
                {
                    "condition": {"snmp": {"device": SWITCH, "oid": oper, "equals": 2}},
                    "every": 0.5,
                    "timeout": 20,
                },
            )
        )
        assert down["met"] is True and down["last"]["value"] == 2
        changed = ok(agency.run("collect_config", {"device": SWITCH}))
        assert (changed["status"], changed["changed"]) == ("changed", True)
        diff = ok(agency.run("config_diff", {"device": SWITCH}))
        lines = diff["diff"].splitlines()
        added = [line for line in lines if line.startswith("+") and not line.startswith("+++")]
        assert added == ["+ shutdown"]  # the one change
        assert f" interface {PORT}" in lines[lines.index(added[0]) - 3 : lines.index(added[0])]
        assert diff["to_rev"] == changed["revision"]
        again = ok(
            agency.run(
                "set_interface_admin", {"device": SWITCH, "interface": PORT, "state": "down"}
            )
        )
        assert again["changed"] is False
        up = ok(
            agency.run("set_interface_admin", {"device": SWITCH, "interface": PORT, "state": "up"})
        )
        assert up["after"]["admin"] == "up"
        back = ok(
            agency.run(
                "wait_until",
                {
                    "condition": {"snmp": {"device": SWITCH, "oid": oper, "equals": 1}},
                    "every": 0.5,
                    "timeout": 30,
                },
            )
        )
        assert back["met"] is True
    assert lab.snmp_value("198.18.2.2", admin) in ("1", "up")


def test_wait_until_not_met_and_a_probe_condition(lab: Lab, agents: Callable[[str], Agent]) -> None:
    agency = agents(SWITCH_AGENT)
    never = agency.run(
        "wait_until",
        {
            "condition": {"snmp": {"device": SWITCH, "oid": SYS_NAME, "equals": "somewhere-else"}},
            "every": 0.5,
            "timeout": 2.7,
        },
    )
    assert not never.ok and never.output is not None
    # Checks at 0, 0.5, ... 2.5 s, never more than 6. A check starts only while the next one
    # would still start within the 2.7 s, so the last one starts after 2.2 s; and there are at
    # least 4 (a pace of 0.5 s, not 1 s) unless the third starts after 2.2 s, i.e. the first
    # checks (an SNMPv3 discovery and gets: the lab's 1 s timeout, one retry) and their
    # wake-ups ran 1.2 s late in all (with a 1.7 s timeout, 3 checks allowed 0.7 s: one stall
    # of a loaded machine). The last get may be retried: 2 s, and a second for a late wake-up.
    assert never.output["met"] is False and 4 <= never.output["checks"] <= 6
    assert 2.2 <= never.output["after_seconds"] < 2.7 + 2.0 + 1.0
    assert never.output["last"]["value"] == SWITCH
    assert never.error.startswith("condition not met within 2.7 s")
    up = ok(
        agency.run(
            "wait_until",
            {
                "condition": {
                    "probe": {"kind": "tcp", "target": {"host": "198.18.2.50", "port": 554}}
                },
                "timeout": 10,
            },
        )
    )
    assert (up["met"], up["checks"]) == (True, 1)
