"""The service built-ins' decisions on recorded answers (the lab cannot fault a host's load or
memory, nor hold a group of several cameras): dc-host-resources' conclusions from real command
outputs, camera-group with some cameras down, wifi-hotspot with the site's uplink down,
portal-down slow; each run through the collector's engine with fake agents."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.unit.collector.conftest import Clock
from tests.unit.incidents.province import PROVINCE
from tests.unit.incidents.webhooks import BASE
from tests.unit.playbooks.collector_rig import Rig
from tests.waiting import wait_for

AGENTS = (
    ("agent-core", "core"),
    ("agent-so-tc", "so-tc"),
    ("agent-dc", "dc"),
    ("agent-hs", "hs-quang-truong"),
)
EXTRA_DEVICES = [
    {
        "id": f"cam-so-tc-0{n}",
        "site": "cg-so-tc",
        "agent": "agent-so-tc",
        "address": f"198.19.20.1{n}",
        "role": "camera",
    }
    for n in (2, 3)
] + [
    {"id": f"hs-ap-0{n}", "site": "hs-quang-truong", "address": f"198.19.30.1{n}", "role": "ap"}
    for n in (1, 2)
]

PS_HEAD = "USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n"
# Recorded on a Debian 12 host (trimmed): what `ssh_command` returns as output.output.
RECORDED = {
    "df -hP": "Filesystem      Size  Used Avail Use% Mounted on\n"
    "/dev/vda1        40G   38G  1.9G  96% /\ntmpfs           1.9G     0  1.9G   0% /dev/shm\n",
    "df -i": "Filesystem      Inodes  IUsed   IFree IUse% Mounted on\n"
    "/dev/vda1      2621440 412345 2209095   16% /\n",
    "free -m": "               total        used        free      shared  buff/cache   available\n"
    "Mem:            3911        3702          61          12         147          88\n"
    "Swap:           1023        1020           3\n",
    "uptime": " 10:42:01 up 12 days,  3:05,  1 user,  load average: 9.12, 8.75, 8.40\n",
    "ps aux --sort=-%cpu": "\n"
    + PS_HEAD  # netmiko leaves the prompt's line break
    + "postgres    4242 97.5 12.0 812344 480212 ?      Rs   09:10  91:02 postgres: 15/main: "
    "hoso hoso 198.18.10.21(51234) SELECT\n",
    "ps aux --sort=-%mem": PS_HEAD
    + "java        3131  4.0 71.3 9812344 2790212 ?    Sl   Nov20 301:02 /usr/bin/java -Xmx3g "
    "-jar /opt/egov/portal.jar\n",
}


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    document = yaml.safe_load(PROVINCE.read_text(encoding="utf-8"))
    document["devices"] += EXTRA_DEVICES
    document["devices"][2]["ssh"] = {"credential": "ssh", "platform": "linux"}  # dc-web
    document["credentials"]["ssh"] = {"ssh": {"username": "ops", "password": "env:NW_SSH"}}
    inventory = tmp_path / "province.yaml"
    inventory.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    found = Rig(tmp_path, Clock(BASE + 60), inventory=inventory, agents=AGENTS)
    try:
        yield found
    finally:
        found.close()


def _run(
    rig: Rig, playbook: str, labels: dict[str, str], answer: Callable[[str, dict[str, Any]], Any]
) -> dict[str, Any]:
    body = {"playbook": playbook, "alert": {"labels": labels}}
    run_id = rig.call("POST", "/api/v1/playbook-runs", json=body)["id"]

    def ended() -> dict[str, Any] | None:
        for agent, _ in AGENTS:
            rig.serve_jobs(agent, answer)
        found: dict[str, Any] = rig.call("GET", f"/api/v1/playbook-runs/{run_id}", "viewer")
        return found if found["status"] != "running" else None

    # Each of the run's steps needs a poll to serve its jobs: a short pause between polls
    # (a few SQLite reads each) instead of wait_for's 0.25 s, paid once per step.
    run: dict[str, Any] = wait_for(f"{playbook} ended", ended, timeout=30, every=0.1)
    assert run["status"] == "succeeded", run
    return run


def _ssh(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    assert kind == "ssh_command"
    output = {"device": params["device"], "platform": "linux", "command": params["command"]}
    output["output"] = RECORDED[params["command"]]
    return {"ok": True, "kind": kind, "output": output, "text": output["output"]}


def _pings(down: set[str]) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    """An agent whose pings and TCP connects fail for the devices or hosts in ``down``."""

    def answer(kind: str, params: dict[str, Any]) -> dict[str, Any]:
        target = params.get("device") or params.get("host")
        alive = target not in down
        if kind == "tcp":
            output: dict[str, Any] = {"device": params.get("device"), "connected": alive}
        else:
            output = {"device": params.get("device"), "host": params.get("host"), "sent": 5}
            output["received"] = 5 if alive else 0
        return {"ok": True, "kind": kind, "output": output, "text": f"{target} {alive}"}

    return answer


def test_dc_host_memory_low_names_memory_load_and_the_top_processes(rig: Rig) -> None:
    labels = {"alertname": "NetwardenHostMemoryLow", "device": "dc-web", "site": "dc"}
    run = _run(rig, "dc-host-resources", labels, _ssh)
    assert {s["agent"] for s in run["steps"]} == {"agent-dc"}
    assert run["conclusions"] == [
        "dc-web: 10:42:01 up 12 days,  3:05,  1 user,  load average: 9.12, 8.75, 8.40",
        "dc-web: 88 MiB available of 3911 MiB.",
        "Top process by CPU: postgres: 15/main: hoso hoso 198.18.10.21(51234) SELECT (PID "
        "4242, user postgres, 97.5 % CPU).",
        "Top process by memory: /usr/bin/java -Xmx3g -jar /opt/egov/portal.jar (PID 3131, user "
        "java, 71.3 % memory).",
    ]


def test_dc_host_disk_full_on_root_and_a_mountpoint_gone(rig: Rig) -> None:
    labels = {"alertname": "NetwardenHostDiskFull", "device": "dc-web", "mountpoint": "/"}
    run = _run(rig, "dc-host-resources", labels, _ssh)
    assert run["conclusions"][:2] == [
        "dc-web: / is 96% full (1.9G left of 40G, /dev/vda1).",
        "Inodes of /: 16% used.",
    ]
    labels["mountpoint"] = "/srv/backup"
    rig.clock.now += 3600  # past the throttle
    run = _run(rig, "dc-host-resources", labels, _ssh)
    assert (
        run["conclusions"][0]
        == "dc-web: /srv/backup is not mounted any more (df lists it no longer)."
    )


def test_camera_group_some_down_names_those_cameras(rig: Rig) -> None:
    labels = {"alertname": "NetwardenCameraGroupUnavailable", "site": "cg-so-tc"}
    run = _run(rig, "camera-group", labels, _pings({"cam-so-tc-02"}))
    cameras = run["steps"][0]
    expected = ["cam-so-tc-01", "cam-so-tc-02", "cam-so-tc-03"]
    assert [j["item"]["id"] for j in cameras["jobs"]] == expected
    assert run["conclusions"] == [
        "1 of 3 cameras of Camera Sở Tài chính are down (cam-so-tc-02); the others answer, so "
        "those cameras (their power, cable or PoE port) are the problem, not the group's switch."
    ]
    rig.clock.now += 3600
    run = _run(rig, "camera-group", labels, _pings({f"cam-so-tc-0{n}" for n in (1, 2, 3)}))
    assert run["conclusions"] == [
        "All 3 cameras of Camera Sở Tài chính are down: look at what they share (the group's "
        "switch, its PoE or power, or its uplink)."
    ]


def test_hotspot_with_its_uplink_down_blames_the_uplink(rig: Rig) -> None:
    labels = {"alertname": "NetwardenHotspotUnavailable", "site": "hs-quang-truong"}
    dead = {"198.19.30.1", "198.19.30.11", "198.19.30.12", "hs-ap-01", "hs-ap-02"}
    run = _run(rig, "wifi-hotspot", labels, _pings(dead))
    steps = {s["step"]: s for s in run["steps"]}
    assert (steps["uplink_core"]["agent"], steps["aps_local"]["agent"]) == (
        "agent-core",
        "agent-hs",
    )
    assert run["conclusions"] == [
        "The core reaches none of Wi-Fi quảng trường's switches or routers: the site's uplink "
        "(its line, or its power) is down, not the hotspot itself."
    ]
    rig.clock.now += 3600
    run = _run(rig, "wifi-hotspot", labels, _pings({"hs-ap-02", "198.19.30.12"}))
    assert run["conclusions"] == [
        "hs-ap-02 do not answer; the other access points do: those APs are the problem."
    ]


def test_portal_slow_names_the_slowest_phase(rig: Rig) -> None:
    phases = {"resolve": 0.001, "connect": 0.002, "tls": 0.01, "processing": 4.2, "transfer": 0.3}

    def http(kind: str, params: dict[str, Any]) -> dict[str, Any]:
        output = {"url": params["url"], "success": True, "status": 200, "phases": phases}
        output |= {"duration": sum(phases.values()), "tls_days_left": 60.0}
        return {"ok": True, "kind": kind, "output": output, "text": "200"}

    labels = {"alertname": "NetwardenPortalSlow", "service": "cong-dvc", "site": "dc"}
    run = _run(rig, "portal-down", labels, http)
    steps = {s["step"]: s for s in run["steps"]}
    assert (steps["from_dc"]["agent"], steps["from_core"]["agent"]) == ("agent-dc", "agent-core")
    assert steps["from_dc"]["args"]["url"] == "https://198.18.10.21/"
    assert steps["from_agency"]["status"] == "skipped"
    assert run["conclusions"] == [
        "Cổng dịch vụ công answers from everywhere now, in 4.51 s from the data centre (slowest "
        "phase: processing)."
    ]


def test_dry_run_renders_every_item_of_a_for_each_step(rig: Rig) -> None:
    labels = {"alertname": "NetwardenHotspotUnavailable", "site": "hs-quang-truong"}
    body = {"playbook": "wifi-hotspot", "alert": {"labels": labels}, "dry_run": True}
    found = {s["step"]: s for s in rig.call("POST", "/api/v1/playbook-runs", json=body)["steps"]}
    assert found["aps_core"]["agent"] == "agent-core"
    assert [a["host"] for a in found["aps_core"]["args"]] == ["198.19.30.11", "198.19.30.12"]
    assert found["aps_local"]["agent"] == "agent-hs"
    assert [a["device"] for a in found["aps_local"]["args"]] == ["hs-ap-01", "hs-ap-02"]
    assert rig.call("GET", "/api/v1/playbook-runs", "viewer")["runs"] == []
