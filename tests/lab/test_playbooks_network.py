"""Issue 18's network built-in playbooks, each run against real lab devices that the test
faults: a collector and the agents of the core, agency 2 and the data centre (one rig for the
module), `netwarden playbook run ID --alert FILE` with the labels the shipped rule gives, the
run followed through the API `playbook show RUN --output json` prints as it is
(``GET /api/v1/playbook-runs/ID``), and its end read as a person reads it, `playbook show RUN`:
steps, outcomes, evidence, conclusions. Every fault is undone on the way out, whatever happened.
The `netwarden` commands run in the test's process (``tests/cli_in_process.py``: the CLI's own
``main``, the same parsing, requests and output; no interpreter start per command).

- shut-flapping-port: stops at the approval; rejected, the port is untouched; approved, it is
  shut (read back over SNMP), then restored;
- interface-trouble: a quiet WAN port; an access port that flapped (its traps reach the events
  store) and flaps again while the playbook watches;
- device-unreachable: a DC server down on a live LAN ("the device"), then an agency cut off
  ("site uplink or power");
- link-degraded: agency 2's line losing 30 % of its packets.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.lab.alerting_stack import free_port_in
from tests.lab.conftest import Lab
from tests.lab.fleet_lab import (
    LabAgent,
    LabCollector,
    enroll_together,
    netwarden_here,
    ok,
    wait_for,
)
from tests.unit.incidents.webhooks import alert, body

pytestmark = pytest.mark.timeout(600)

COLLECTOR_NS, COLLECTOR_HOST = "nwl-dc-db", "198.18.10.6"
AGENTS = {
    "agent-core": ("nwl-core", "198.18.100.1"),
    "agent-so-tc": ("nwl-a2", "198.18.2.2"),
    "agent-dc": ("nwl-dc", "198.18.10.1"),
}
IF_DESCR, IF_ADMIN, IF_OPER = "1.3.6.1.2.1.2.2.1.2", "1.3.6.1.2.1.2.2.1.7", "1.3.6.1.2.1.2.2.1.8"
IF_ALIAS = "1.3.6.1.2.1.31.1.1.1.18"
SWITCH, SWITCH_NS, SWITCH_ADDRESS, PORT = "sw-so-tc-core", "nwl-a2", "198.18.2.2", "ap0"
STUB_NS = "nwl-stubs"  # far ends of the lab's always-up interfaces (lab/topology.py)


REPO = Path(__file__).resolve().parents[2]
# Labels a rule sets to the same value for every alert it raises (or one of a few).
RULE_CONSTANTS = {"alertname", "severity", "job", "kind", "symptom", "probe", "direction", "method"}


def _label_sets(alertname: str) -> Iterator[dict[str, str]]:
    """Every label set the promtool tests of the shipped rules expect for ``alertname``."""
    for path in sorted((REPO / "prometheus" / "tests").glob("*.yml")):
        for test in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]:
            for case in test.get("alert_rule_test", []):
                if case["alertname"] == alertname:
                    for expected in case.get("exp_alerts") or []:
                        yield {k: str(v) for k, v in expected["exp_labels"].items()}


def rule_labels(alertname: str, **values: str) -> dict[str, str]:
    """The labels the shipped rule gives ``alertname``, as its promtool test (run against the
    real rule by `promtool test rules`) expects them, with this lab's ``values`` for every
    label that names something: the first tested label set that has exactly those names."""
    for expected in _label_sets(alertname):
        if set(values) <= set(expected) and set(expected) - set(values) <= RULE_CONSTANTS:
            return {**expected, **values, "alertname": alertname}
    raise AssertionError(f"no tested label set of {alertname} has exactly {sorted(values)}")


@dataclass
class Rig:
    lab: Lab
    tmp: Path
    collector: LabCollector
    tokens: dict[str, str]
    instances: dict[str, str]  # agent -> the address:port Prometheus would scrape
    viewer: httpx.Client  # the rig's one API client (a TLS context per poll costs CPU)

    def cli(self, role: str, *args: str) -> str:
        env = {"NETWARDEN_COLLECTOR": self.collector.url, "NETWARDEN_TOKEN": self.tokens[role]}
        # The CLI's own main in this process: the same parsing, requests and output, without
        # an interpreter start and every import (about 0.45 CPU-s) per command.
        return ok(
            netwarden_here("playbook", *args, "--ca-file", str(self.collector.ca_file), env=env)
        )

    def start(self, playbook: str, labels: dict[str, str], *inputs: str) -> str:
        """``playbook run`` for one firing alert (a webhook body, as Alertmanager posts it)."""
        path = self.tmp / f"{playbook}-{time.monotonic_ns()}.json"
        rest = {k: v for k, v in labels.items() if k not in ("alertname", "severity")}
        fired = alert(
            labels["alertname"],
            starts=time.time() - 30,
            severity=labels.get("severity", "warning"),
            **rest,
        )
        path.write_text(json.dumps(body(fired)))
        args = [a for i in inputs for a in ("--input", i)]
        answer = json.loads(
            self.cli("responder", "run", playbook, "--alert", str(path), *args, "-o", "json")
        )
        return str(answer["id"])

    def show(self, run_id: str) -> dict[str, Any]:
        """The run as `playbook show RUN --output json` prints it: the API's answer as is (a
        CLI start per poll would cost about half a CPU-second)."""
        answer = self.viewer.get(f"/api/v1/playbook-runs/{run_id}")
        assert answer.status_code == 200, answer.text
        shown: dict[str, Any] = answer.json()
        return shown

    def wait(self, run_id: str, done: Callable[[dict[str, Any]], bool], what: str) -> Any:
        def check() -> dict[str, Any] | None:
            found = self.show(run_id)
            return found if done(found) else None

        return wait_for(what, check, 180, every=0.5, describe=lambda: self.show(run_id))

    def finished(self, run_id: str) -> dict[str, Any]:
        """The ended run as JSON; its text form (what a person reads) holds its conclusions.
        ``NW_PLAYBOOK_SHOW=DIR`` keeps each text form there."""
        found: dict[str, Any] = self.wait(
            run_id, lambda r: r["status"] not in ("running", "waiting"), f"{run_id} ended"
        )
        text = self.cli("viewer", "show", run_id)
        flat = " ".join(text.split())
        assert all(" ".join(c.split()) in flat for c in found["conclusions"]), text
        keep = os.environ.get("NW_PLAYBOOK_SHOW")
        if keep:
            Path(keep, f"{found['playbook']}-{run_id}.txt").write_text(text)
        return found


def steps_of(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["step"]: s for s in run["steps"]}


@pytest.fixture(scope="module")
def rig(lab: Lab) -> Iterator[Rig]:
    tmp = Path(tempfile.mkdtemp(prefix="nw-playbooks-net-"))
    listen = f"{COLLECTOR_HOST}:{free_port_in(COLLECTOR_NS, COLLECTOR_HOST)}"
    collector = LabCollector(COLLECTOR_NS, listen, lab.state.inventory, tmp / "collector", "5s")
    agents: list[LabAgent] = []
    with ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, tmp, ignore_errors=True)
        cleanup.callback(collector.stop)
        collector.start()
        (tmp / "agents").mkdir()
        for agent_id, (ns, address) in AGENTS.items():
            agent = LabAgent(
                agent_id, ns, f"{address}:{free_port_in(ns, address)}", tmp / "agents" / agent_id
            )
            agents.append(agent)
            cleanup.callback(agent.stop)
        joins = collector.join_tokens(a.agent for a in agents)
        collector.fetch_ca(expected_sha256=joins["agent-core"].split(".")[2])
        enroll_together(agents, collector.url, joins)
        for agent in agents:
            # The agency switch sends its linkDown/linkUp traps to its agent (lab/daemons.py).
            trap_address = AGENTS[agent.agent][1]
            traps = ("--trap-listen", f"{trap_address}:162") if agent.agent == "agent-so-tc" else ()
            agent.start(advertise=True, heartbeat=1.0, summary=5.0, extra=traps)
        roles = ("viewer", "responder", "admin")
        tokens = {role: collector.user_token(f"duty-{role}", role) for role in roles}
        for agent in agents:
            agent.wait_serving()
        viewer = cleanup.enter_context(collector.client(tokens["viewer"]))
        yield Rig(lab, tmp, collector, tokens, {a.agent: a.address for a in agents}, viewer)


def _ip(ns: str, *args: str) -> None:
    subprocess.run(["ip", "-n", ns, *args], check=True, capture_output=True, timeout=10)


def _ifindex(lab: Lab, address: str, name: str) -> str:
    """The interface's ifIndex, as net-snmp's own client reads it (numeric OIDs)."""
    walked = subprocess.run(
        [
            "snmpwalk",
            "-v2c",
            "-c",
            lab.secret("snmp-community"),
            "-On",
            "-Oq",
            "-t",
            "1",
            address,
            IF_DESCR,
        ],
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
    ).stdout
    (index,) = [
        row.split()[0].rsplit(".", 1)[1]
        for row in walked.splitlines()
        if row.split()[-1].strip('"') == name
    ]
    return str(index)


def _octets(value: str) -> bytes:
    """An OCTET STRING as snmp_walk gives it: UTF-8 text, else ``0x`` hex."""
    return bytes.fromhex(value[2:]) if value.startswith("0x") else value.encode()


def _admin(lab: Lab, index: str) -> str:
    return lab.snmp_value(SWITCH_ADDRESS, f"{IF_ADMIN}.{index}")


def test_shut_flapping_port_waits_for_an_admin_rejected_changes_nothing_approved_shuts(
    rig: Rig,
) -> None:
    index = _ifindex(rig.lab, SWITCH_ADDRESS, PORT)
    # By hand, for an access port (the flapping rule covers the ports of links only).
    labels = {
        "alertname": "NetwardenLinkFlapping",
        "device": SWITCH,
        "ifName": PORT,
        "ifIndex": index,
        "site": "so-tc",
    }
    try:
        rejected = rig.start("shut-flapping-port", labels)
        waiting = rig.wait(rejected, lambda r: r["status"] == "waiting", "the approval")
        status = steps_of(waiting)["status"]
        assert (status["status"], status["agent"]) == ("ok", "agent-so-tc")
        assert f"\n{PORT} " in "\n" + status["output"]["output"]  # show ip interface brief
        assert steps_of(waiting)["ok_to_shut"]["status"] == "waiting"
        rig.cli("admin", "reject", rejected, "ok_to_shut", "--reason", "not in office hours")
        ended = rig.finished(rejected)
        assert ended["status"] == "failed", ended
        assert "shut" not in steps_of(ended)  # the change never ran
        assert _admin(rig.lab, index) in ("1", "up")

        approved = rig.start("shut-flapping-port", labels)
        rig.wait(approved, lambda r: r["status"] == "waiting", "the second approval")
        rig.cli("admin", "approve", approved, "ok_to_shut")
        done = rig.finished(approved)
        assert done["status"] == "succeeded", done
        shut = steps_of(done)["shut"]
        assert (shut["status"], shut["agent"]) == ("ok", "agent-so-tc")
        assert shut["output"]["after"]["admin"] == "down" and shut["output"]["changed"] is True
        assert steps_of(done)["ok_to_shut"]["output"]["by"].startswith("user:")
        # net-snmp's own client reads the port administratively down on the switch.
        wait_for("ifAdminStatus down(2)", lambda: _admin(rig.lab, index) in ("2", "down"), 20)
    finally:
        _ip(SWITCH_NS, "link", "set", PORT, "up")
    wait_for("ifAdminStatus up(1) again", lambda: _admin(rig.lab, index) in ("1", "up"), 20)


def _port_labels(lab: Lab, address: str, port: str) -> dict[str, str]:
    index = _ifindex(lab, address, port)
    alias = lab.snmp_value(address, f"{IF_ALIAS}.{index}")
    return {"ifIndex": index, "ifName": port, "ifDescr": port, "ifAlias": alias}


def _routes_via(ns: str) -> list[tuple[str, str]]:
    """The namespace's routes through a gateway, IPv4 and IPv6, as ``ip route`` prints them."""
    found = []
    for family in ("-4", "-6"):
        text = subprocess.run(
            ["ip", "-n", ns, family, "route", "show"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
        found += [(family, line) for line in text.splitlines() if " via " in line]
    return found


def _ip_json(ns: str, *args: str) -> list[dict[str, Any]]:
    done = subprocess.run(
        ["ip", "-n", ns, "-j", *args], capture_output=True, text=True, timeout=10, check=True
    )
    found: list[dict[str, Any]] = json.loads(done.stdout)
    return found


def _carrier_peer(ns: str, port: str) -> str:
    """The far end of ``port`` (a veth parked in the stub namespace): taking it down takes the
    port's carrier away, as an unplugged cable does, and leaves the port administratively up."""
    (found,) = _ip_json(ns, "link", "show", port)
    peers = _ip_json(STUB_NS, "link", "show")
    (peer,) = [link["ifname"] for link in peers if link["ifindex"] == found["link_index"]]
    return str(peer)


def _flap(lab: Lab, peer: str, address: str, index: str) -> None:
    """The cable out until snmpd shows the port down, then back until it shows it up (2.5-3 s:
    snmpd caches its interface table)."""
    oper = f"{IF_OPER}.{index}"
    try:
        _ip(STUB_NS, "link", "set", peer, "down")
        wait_for("port down", lambda: lab.snmp_value(address, oper) in ("2", "down"), 20, 0.5)
    finally:
        _ip(STUB_NS, "link", "set", peer, "up")
    wait_for("port up", lambda: lab.snmp_value(address, oper) in ("1", "up"), 30, 0.5)


def test_interface_trouble_on_a_quiet_wan_port_then_on_a_flapping_access_port(rig: Rig) -> None:
    quiet_labels = rule_labels(
        "NetwardenInterfaceErrors",
        incident="link/tsl-so-tc",
        link="tsl-so-tc",
        instance=rig.instances["agent-core"],
        agent="agent-core",
        device="core-rtr",
        site="core",
        role="router",
        **_port_labels(rig.lab, "198.18.100.1", "wan2"),
    )
    quiet = rig.finished(rig.start("interface-trouble", quiet_labels, "watch=2"))
    assert quiet["status"] == "succeeded", quiet
    steps = steps_of(quiet)
    assert steps["now"]["agent"] == "agent-core"
    assert [v["value"] for v in steps["now"]["output"]["values"][1:3]] == [1, 1]  # up, up
    assert steps["watch"]["status"] == "failed" and steps["watch"]["output"]["met"] is False
    assert quiet["conclusions"][0].startswith("core-rtr wan2 kept its state for the 2 s")
    assert quiet["conclusions"][1].startswith("core-rtr wan2 counted no new errors in")
    assert steps["device_log"]["status"] == "ok"  # core-rtr sends no traps in the lab
    assert steps["device_log"]["output"]["count"] == 0 and len(quiet["conclusions"]) == 2

    # An access port that flapped (its traps are in the events store), and flaps again while
    # the playbook watches it. Not a link's port: the rule's label set without a link.
    port = _port_labels(rig.lab, SWITCH_ADDRESS, PORT)
    labels = rule_labels(
        "NetwardenInterfaceErrors",
        incident=f"device/{SWITCH}",
        instance=rig.instances["agent-so-tc"],
        agent="agent-so-tc",
        device=SWITCH,
        site="so-tc",
        role="switch",
        **port,
    )
    peer, flapped_at = _carrier_peer(SWITCH_NS, PORT), time.time()
    _flap(rig.lab, peer, SWITCH_ADDRESS, port["ifIndex"])
    query = {"device": SWITCH, "since": str(flapped_at - 1)}
    with rig.collector.client(rig.tokens["viewer"]) as client:
        wait_for(
            f"{SWITCH}'s linkDown and linkUp traps of that flap in the events store",
            lambda: len(client.get("/api/v1/events", params=query).json()["events"]) >= 2,
            60,
        )
    flapping = rig.start("interface-trouble", labels, "watch=60")
    rig.wait(flapping, lambda r: "watch" in steps_of(r), "the watch step")
    _flap(rig.lab, peer, SWITCH_ADDRESS, port["ifIndex"])
    done = rig.finished(flapping)
    assert done["status"] == "succeeded", done
    steps = steps_of(done)
    watch = steps["watch"]
    assert (watch["status"], watch["agent"], watch["output"]["met"]) == ("ok", "agent-so-tc", True)
    assert watch["output"]["after_seconds"] < 60
    before, after = (steps[s]["output"]["values"] for s in ("now", "again"))
    assert before[2]["value"] == 1  # up when the run began: the first flap had settled
    assert after[1]["value"] == 1  # admin up all along: the carrier came and went
    assert after[3]["value"] > before[3]["value"]  # ifLastChange moved
    assert done["conclusions"][0].startswith(
        f"{SWITCH} {PORT} changed state again while we watched"
    )
    assert "it is still flapping" in done["conclusions"][0]
    log = steps["device_log"]
    assert (log["status"], log["agent"]) == ("ok", "collector")
    assert log["output"]["count"] >= 2
    assert {e["device"] for e in log["output"]["events"]} == {SWITCH}
    assert done["conclusions"][-1].startswith(
        f"{SWITCH} logged {log['output']['count']} events in the last 15 minutes"
    )


def test_device_unreachable_a_dead_server_on_a_live_lan_is_the_device(rig: Rig) -> None:
    dc_server = rule_labels(
        "NetwardenDeviceDown",
        incident="device/dc-web-01",
        instance=rig.instances["agent-dc"],
        agent="agent-dc",
        device="dc-web-01",
        site="dc",
        role="host",
    )
    mac = json.loads(
        subprocess.run(
            ["ip", "-n", "nwl-dc-web", "-j", "link", "show", "eth0"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    )[0]["address"]
    # Its IPv6 address must outlive the power cut (Linux drops it with the link otherwise).
    keep = ["ip", "netns", "exec", "nwl-dc-web", "sysctl", "-qw"]
    subprocess.run([*keep, "net.ipv6.conf.eth0.keep_addr_on_down=1"], check=True, timeout=10)
    # Linux drops the routes through a link that goes down, and does not bring them back: the
    # next tests of the session need the server's default routes as the lab built them.
    routes = _routes_via("nwl-dc-web")
    try:
        _ip("nwl-dc-web", "link", "set", "eth0", "down")
        done = rig.finished(rig.start("device-unreachable", dc_server))
    finally:
        _ip("nwl-dc-web", "link", "set", "eth0", "up")
        subprocess.run([*keep, "net.ipv6.conf.eth0.keep_addr_on_down=0"], check=True, timeout=10)
        for family, route in routes:
            _ip("nwl-dc-web", family, "route", "replace", *route.split())
    assert done["status"] == "succeeded", done
    steps = steps_of(done)
    assert (steps["ping_core"]["agent"], steps["ping_core"]["output"]["received"]) == (
        "agent-core",
        0,
    )
    assert "Routing entry for 198.18.10.0/24" in steps["route_core"]["output"]["output"]
    hop = steps["ping_next_hop"]["output"]
    assert (hop["host"], hop["received"] > 0) == ("198.19.254.2", True)
    local = steps["ping_local"]
    assert (local["agent"], local["output"]["received"]) == ("agent-dc", 0)
    arp = steps["arp_site"]
    assert (arp["status"], arp["agent"], arp["output"]["device"]) == (
        "ok",
        "agent-dc",
        "sw-dc-core",
    )
    rows = [r for r in arp["output"]["rows"] if r["oid"].endswith(".4.198.18.10.5")]
    assert len(done["conclusions"]) == 1, done["conclusions"]
    assert done["conclusions"][0].startswith(
        "The device: dc-web-01 answers neither the core nor its own agent on its LAN, while its"
        " site answers (the next hop 198.19.254.2 replies): the device (or its power) is down."
    )
    # Linux keeps a neighbour reachable for 15-45 s after its last answer: on a slow machine
    # the entry may be gone by the walk. Either way the conclusion says what the table held.
    if rows:
        assert _octets(rows[0]["value"]) == bytes.fromhex(mac.replace(":", ""))  # its real MAC
        assert "sw-dc-core still holds its MAC address in its ARP table" in done["conclusions"][0]
    else:
        assert done["conclusions"][0].endswith("sw-dc-core has no ARP entry for it.")


def test_device_unreachable_an_agency_cut_off_is_its_uplink_or_power(rig: Rig) -> None:
    labels = rule_labels(
        "NetwardenDeviceDown",
        incident="device/sw-so-khcn-core",
        instance="198.18.1.2:9430",  # its agent is not started: the address it would serve on
        agent="agent-so-khcn",
        device="sw-so-khcn-core",
        site="so-khcn",
        role="switch",
    )
    try:
        ok(netwarden_here("lab", "fault", "tsl-so-khcn", "down"))
        done = rig.finished(rig.start("device-unreachable", labels))
    finally:
        ok(netwarden_here("lab", "fault", "tsl-so-khcn", "up"))
    assert done["status"] == "succeeded", done
    steps = steps_of(done)
    assert steps["ping_core"]["output"]["received"] == 0
    assert "Routing entry for 198.18.1.0/24" in steps["route_core"]["output"]["output"]
    assert steps["ping_next_hop"]["output"]["host"] == "198.19.1.2"
    assert steps["ping_next_hop"]["output"]["received"] == 0
    # Its agent is cut off with the site: nothing is sent to it.
    assert (steps["ping_local"]["status"], steps["arp_site"]["status"]) == ("skipped", "skipped")
    assert done["conclusions"] == [
        "Site uplink or power: the core's route to 198.18.1.2 goes via 198.19.1.2, which does"
        " not answer either, so so-khcn is cut off from the core (its agent with it): check the"
        " site's line and its power before the device."
    ]


def test_link_degraded_a_lossy_line_is_the_line_not_a_port(rig: Rig) -> None:
    labels = rule_labels(
        "NetwardenLinkDegraded",
        incident="link/tsl-so-tc",
        link="tsl-so-tc",
        instance=rig.instances["agent-so-tc"],
        agent="agent-so-tc",
        device=SWITCH,
        site="so-tc",
        role="switch",
        target=SWITCH_ADDRESS,
    )
    assert labels["symptom"] == "loss"
    try:
        ok(netwarden_here("lab", "impair", "tsl-so-tc", "--loss", "30"))
        done = rig.finished(rig.start("link-degraded", labels))
    finally:
        ok(netwarden_here("lab", "impair", "tsl-so-tc", "--clear"))
    assert done["status"] == "succeeded", done
    steps = steps_of(done)
    assert all(s["status"] == "ok" for s in done["steps"]), done["steps"]
    from_core, from_agency = steps["ping_from_far"], steps["ping_from_near"]
    assert (from_core["agent"], from_core["output"]["host"]) == ("agent-core", SWITCH_ADDRESS)
    assert (from_agency["agent"], from_agency["output"]["host"]) == ("agent-so-tc", "198.18.100.1")
    for ping in (from_core, from_agency):
        assert ping["output"]["sent"] == 50 and 0.05 < ping["output"]["loss_ratio"] < 0.7
    assert (steps["near_before"]["agent"], steps["far_before"]["agent"]) == (
        "agent-so-tc",
        "agent-core",
    )
    for end in ("near", "far"):
        before, after = steps[f"{end}_before"]["output"], steps[f"{end}_after"]["output"]
        assert [v["value"] for v in after["values"][:2]] == [
            v["value"] for v in before["values"][:2]
        ]
    first = done["conclusions"][0]
    assert first.startswith("The line tsl-so-tc itself loses packets: ")
    lost = round(from_core["output"]["loss_ratio"] * 100, 1)
    assert f"{lost}% of pings from core-rtr to {SWITCH}" in first
    assert "neither port (sw-so-tc-core wan0, core-rtr wan2) counted an error" in first
