"""``netwarden inventory discover`` against the running lab (the real CLI as a process).

Agency 1's LAN, swept from the root namespace through the core, holds exactly the switch (.2,
net-snmp with v3 and v2c), the camera (.50, RTSP), the Wi-Fi AP (.60, HTTP) and the VC
endpoint (.70, SIP). The ARP path runs in namespaces of this test's own (``nwt-``), whose
hosts ignore ping.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from netwarden.inventory import load_inventory
from netwarden.lab.names import agency
from netwarden.lab.topology import lan_octet
from tests.lab.conftest import Lab

SITE = agency(1)[0]
LAN = f"198.18.{lan_octet(1)}"
CIDR = f"{LAN}.0/24"
SYS_NAME = "1.3.6.1.2.1.1.5.0"
NETWARDEN = [sys.executable, "-m", "netwarden"]


def _discover(
    *args: str | Path, ns: str | None = None
) -> tuple[subprocess.CompletedProcess[str], float]:
    argv = [*NETWARDEN, "inventory", "discover", *map(str, args)]
    if ns is not None:
        argv = ["ip", "netns", "exec", ns, *argv]
    began = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    return done, time.monotonic() - began


def _json(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def test_agency_lan_proposes_exactly_what_is_there(lab: Lab) -> None:
    done, seconds = _discover("--site", SITE, "--cidr", CIDR, "-i", lab.state.inventory,
                              "--output", "json")  # fmt: skip
    data = _json(done)
    devices = {d["address"]: d for d in data["devices"]}
    assert sorted(devices) == [f"{LAN}.2", f"{LAN}.50", f"{LAN}.60", f"{LAN}.70"]
    switch = devices[f"{LAN}.2"]
    assert switch["id"] == lab.snmp_value(f"{LAN}.2", SYS_NAME) == f"sw-{SITE}-core"
    assert (switch["role"], switch["snmp"]) == ("switch", {"credential": "snmp-lab-v3"})
    roles = {a: (d["role"], "snmp" in d) for a, d in devices.items() if a != f"{LAN}.2"}
    assert roles == {
        f"{LAN}.50": ("camera", False),
        f"{LAN}.60": ("ap", False),
        f"{LAN}.70": ("vc-endpoint", False),
    }
    # Everything is known and matches the lab inventory: nothing new, changed or missing.
    assert [(e["op"], e["address"], e["id"]) for e in data["diff"]] == [
        ("=", f"{LAN}.2", f"sw-{SITE}-core"),
        ("=", f"{LAN}.50", f"cam-{SITE}"),
        ("=", f"{LAN}.60", f"ap-{SITE}"),
        ("=", f"{LAN}.70", f"vc-{SITE}"),
    ]
    assert data["links"] == []  # net-snmp here has no LLDP-MIB
    assert "ARP skipped: not on a local segment" in data["notes"]
    # A /24 in a few seconds: one ICMP round for all 254 addresses, then 4 hosts examined
    # (3-5 s as a process on a quiet machine; the margin is for a loaded one).
    assert seconds < 15, f"took {seconds:.1f} s"
    print(f"\ndiscover {CIDR}: {seconds:.2f} s as a process; {done.stderr.strip()}")


def _without(inventory: str, device_id: str, tmp_path: Path) -> Path:
    data = yaml.safe_load(Path(inventory).read_text(encoding="utf-8"))
    data["devices"] = [d for d in data["devices"] if d["id"] != device_id]
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_a_device_missing_from_the_inventory_is_proposed_and_written(
    lab: Lab, tmp_path: Path
) -> None:
    inventory = _without(lab.state.inventory, f"cam-{SITE}", tmp_path)
    target = tmp_path / "discovered.yaml"
    done, _ = _discover("--site", SITE, "--cidr", CIDR, "-i", inventory, "--write", target)
    assert done.returncode == 0, done.stderr
    fragment = yaml.safe_load(done.stdout)
    assert fragment == {
        "devices": [{"id": f"{SITE}-{LAN.replace('.', '-')}-50", "site": SITE,
                     "address": f"{LAN}.50", "role": "camera"}],
        "links": [],
    }  # fmt: skip
    diff = [line.split()[1:3] for line in done.stdout.splitlines() if line[:4] in ("# + ", "# = ")]
    assert diff == [["=", f"{LAN}.2"], ["+", f"{LAN}.50"], ["=", f"{LAN}.60"], ["=", f"{LAN}.70"]]
    assert yaml.safe_load(target.read_text(encoding="utf-8")) == fragment
    merged = load_inventory([inventory, target])
    assert merged.device(f"{SITE}-{LAN.replace('.', '-')}-50").role == "camera"


def test_named_credential_is_the_one_recorded(lab: Lab) -> None:
    done, _ = _discover("--site", SITE, "--cidr", f"{LAN}.0/28", "-i", lab.state.inventory,
                        "--credential", "snmp-lab-v2", "--output", "json", "--no-arp")  # fmt: skip
    data = _json(done)
    switch = next(d for d in data["devices"] if d["address"] == f"{LAN}.2")
    assert switch["snmp"] == {"credential": "snmp-lab-v2"}
    # v3 (the inventory's) was not tried, so nothing is known against it: still "=".
    assert [e["op"] for e in data["diff"] if e["address"] == f"{LAN}.2"] == ["="]
    assert not any(note.startswith("ARP") for note in data["notes"])


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=20)


@pytest.fixture
def quiet_segment(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """Namespace A (198.18.77.1/24) on a veth to namespace B, which holds .10 and .11 and
    ignores ping. Yields A's name and an inventory with a site for that LAN."""
    suffix = f"{os.getpid() % 100000}"
    ns_a, ns_b = f"nwt-disc-a{suffix}", f"nwt-disc-b{suffix}"
    try:
        _ip("netns", "add", ns_a)
        _ip("netns", "add", ns_b)
        _ip("link", "add", "name", "d0", "netns", ns_a, "type", "veth",
            "peer", "name", "d0", "netns", ns_b)  # fmt: skip
        for ns, addresses in ((ns_a, ["198.18.77.1/24"]),
                              (ns_b, ["198.18.77.10/24", "198.18.77.11/24"])):  # fmt: skip
            for address in addresses:
                _ip("-n", ns, "address", "add", address, "dev", "d0")
            _ip("-n", ns, "link", "set", "d0", "up")
            _ip("-n", ns, "link", "set", "lo", "up")
        subprocess.run(["ip", "netns", "exec", ns_b, "sysctl", "-qw",
                        "net.ipv4.icmp_echo_ignore_all=1"], check=True, timeout=20)  # fmt: skip
        community = tmp_path / "community"
        community.write_text("not-here\n", encoding="utf-8")
        inventory = tmp_path / "lan.yaml"
        inventory.write_text(
            "province: nwt\nsites: [{id: nwt-lan, kind: agency}]\n"
            "agents: [{id: nwt-agent, site: nwt-lan}]\n"
            f"credentials: {{v2: {{snmp: {{version: 2c, community: 'file:{community}'}}}}}}\n",
            encoding="utf-8",
        )
        yield ns_a, inventory
    finally:
        for ns in (ns_a, ns_b):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=20,
                           check=False)  # fmt: skip


def test_arp_finds_hosts_that_ignore_ping(quiet_segment: tuple[str, Path]) -> None:
    ns, inventory = quiet_segment
    args = ("--site", "nwt-lan", "--cidr", "198.18.77.0/24", "-i", inventory, "--output", "json",
            "--timeout", "1")  # fmt: skip
    pinged = _json(_discover(*args, "--no-arp", ns=ns)[0])
    assert pinged["devices"] == []  # they ignore ping: ICMP alone finds nothing
    done, seconds = _discover(*args, ns=ns)
    data = _json(done)
    assert [(d["address"], d["id"], d["role"]) for d in data["devices"]] == [
        ("198.18.77.10", "nwt-lan-198-18-77-10", "host"),
        ("198.18.77.11", "nwt-lan-198-18-77-11", "host"),
    ]
    assert [e["op"] for e in data["diff"]] == ["+", "+"]
    assert "ARP on d0: 2 answered" in data["notes"]
    # The machine discovering is on the segment too, and is not proposed.
    assert "not proposed: 198.18.77.1 (this machine's own addresses)" in data["notes"]
    print(f"\ndiscover with ARP in {ns}: {seconds:.2f} s as a process")
