"""Incident keys, and what the topology says an incident affects (alerts cannot say it:
Alertmanager inhibits and silences the alerts of everything behind a failed link)."""

from __future__ import annotations

import pytest

from netwarden.collector.incidents.affected import Affected
from netwarden.collector.incidents.keys import Subject, incident_key, subject_of
from netwarden.collector.incidents.topology import Topology, TopologyCache
from tests.unit.incidents.province import province


def _site_of(device: str) -> str | None:
    return {"sw-so-yt": "so-yt"}.get(device)


@pytest.mark.parametrize(
    ("labels", "key"),
    [
        ({"incident": "link/tsl-so-tc", "site": "x"}, "link/tsl-so-tc"),
        ({"incident": " device/core-rtr "}, "device/core-rtr"),
        ({"alertname": "Down", "site": "so-tc"}, "site/so-tc/Down"),
        ({"alertname": "Down", "device": "sw-so-yt"}, "site/so-yt/Down"),
        ({"alertname": "Down", "device": "nowhere"}, "site/unknown/Down"),
        ({}, "site/unknown/unnamed"),
        # A broken incident label is ignored rather than refusing the whole group.
        ({"incident": "no-slash", "alertname": "A", "site": "s"}, "site/s/A"),
        ({"incident": "link/" + "x" * 300, "alertname": "A", "site": "s"}, "site/s/A"),
        ({"incident": "link/a\nb", "alertname": "A", "site": "s"}, "site/s/A"),
    ],
)
def test_keys(labels: dict[str, str], key: str) -> None:
    assert incident_key(labels, _site_of) == key


def test_subjects() -> None:
    assert subject_of("link/tsl-so-tc") == Subject("link", "tsl-so-tc")
    assert subject_of("site/so-tc/InterfaceDown") == Subject("site", "so-tc")
    assert subject_of("group/cg-so-tc") == Subject("group", "cg-so-tc")


@pytest.fixture(scope="module")
def topo() -> Topology:
    return Topology(province())


def _ids(a: Affected) -> dict[str, list[str]]:
    return {w: [t.id for t in getattr(a, w)] for w in ("sites", "devices", "links", "services")}


def test_a_link_affects_the_sites_behind_it_with_their_devices_and_services(topo: Topology) -> None:
    a = topo.affected(Subject("link", "tsl-so-tc"), {})
    assert _ids(a) == {
        # The camera group hangs off the agency's access switch: it is cut off too.
        "sites": ["cg-so-tc", "so-tc"],
        "devices": ["cam-so-tc-01", "cg-so-tc-sw", "srv-so-tc", "sw-so-tc", "sw-so-tc-lan1"],
        "links": ["lan-cg-so-tc", "lan-so-tc-1", "tsl-so-tc"],
        "services": ["ke-toan"],
    }
    assert a.primary_site == "so-tc"  # the link's own far end, not a site beyond it
    levels = {t.id: t.security_level for t in (*a.sites, *a.devices, *a.services)}
    # Devices take their site's level; a service without one takes its site's.
    assert levels == {"cg-so-tc": 2, "so-tc": 4, "cam-so-tc-01": 2, "cg-so-tc-sw": 2,
                      "srv-so-tc": 4, "sw-so-tc": 4, "sw-so-tc-lan1": 4, "ke-toan": 4}  # fmt: skip
    assert {t.id: t.security_level for t in a.links}["tsl-so-tc"] == 4  # higher end
    assert a.interrupting and a.serious("link", "warning")  # level 4 cut off


def test_a_device_affects_its_site_what_runs_on_it_and_what_is_behind_it(topo: Topology) -> None:
    core = topo.affected(Subject("device", "core-rtr"), {})
    assert _ids(core)["sites"] == ["cg-so-tc", "core", "so-tc", "so-yt"]  # not dc: a root
    assert "tsl-so-yt" in _ids(core)["links"] and "ho-so-yt" in _ids(core)["services"]
    host = topo.affected(Subject("device", "srv-so-tc"), {})
    assert _ids(host) == {"sites": ["so-tc"], "devices": ["srv-so-tc"], "links": [],
                          "services": ["ke-toan"]}  # fmt: skip
    access = topo.affected(Subject("device", "sw-so-tc-lan1"), {})
    assert _ids(access)["sites"] == ["cg-so-tc", "so-tc"]


def test_groups_services_agents_and_fallback_sites(topo: Topology) -> None:
    group = topo.affected(Subject("group", "cg-so-tc"), {})
    assert _ids(group)["devices"] == ["cam-so-tc-01", "cg-so-tc-sw"]
    assert not group.serious("group", "critical")  # level 2
    portal = topo.affected(Subject("service", "cong-dvc"), {})
    assert _ids(portal) == {"sites": ["dc"], "devices": ["dc-web"], "links": [],
                            "services": ["cong-dvc"]}  # fmt: skip
    assert portal.serious("service", "warning")
    agent = topo.affected(Subject("agent", "agent-so-tc"), {})
    assert "cam-so-tc-01" in _ids(agent)["devices"]  # it polls the camera group too
    assert not agent.interrupting  # unmonitored, not interrupted
    site = topo.affected(Subject("site", "so-tc"), {"device": "srv-so-tc", "link": "x"})
    assert _ids(site)["devices"] == ["srv-so-tc"] and _ids(site)["links"] == []
    assert not site.serious("site", "warning") and site.serious("site", "critical")


def test_hotspot_on_the_internet_and_unknown_subjects(topo: Topology) -> None:
    hotspot = topo.affected(Subject("link", "inet-hs"), {})
    assert _ids(hotspot)["sites"] == ["hs-quang-truong"]  # no root behind: its own end
    for subject in (Subject("link", "nope"), Subject("device", "nope"), Subject("weird", "x")):
        assert _ids(topo.affected(subject, {})) == {"sites": [], "devices": [], "links": [],
                                                    "services": []}  # fmt: skip


def test_scope_is_what_maintenance_windows_cover(topo: Topology) -> None:
    link = topo.scope(Subject("link", "tsl-so-tc"), {})
    assert link.links == {"tsl-so-tc"} and link.devices == {"core-rtr", "sw-so-tc"}
    assert link.sites == {"core", "so-tc"}
    service = topo.scope(Subject("service", "ke-toan"), {})
    assert service.sites == {"so-tc"} and service.devices == {"srv-so-tc"}
    labelled = topo.scope(Subject("site", "so-yt"), {"device": "sw-so-yt"})
    assert labelled.sites == {"so-yt"} and labelled.devices == {"sw-so-yt"}


def test_affected_round_trips_through_its_stored_json(topo: Topology) -> None:
    a = topo.affected(Subject("device", "core-rtr"), {})
    assert Affected.from_json(a.to_json()) == a
    shown = a.as_json()
    assert shown["sites"][0] == {"id": "cg-so-tc", "name": "Camera Sở Tài chính",
                                 "kind": "camera-group", "security_level": 2}  # fmt: skip
    assert shown["links"][0]["sites"] == ["core", "dc"]


def test_the_cache_rebuilds_for_a_new_inventory_only() -> None:
    cache = TopologyCache()
    inv = province()
    assert cache.get(inv) is cache.get(inv)
    assert cache.get(province()) is not cache.get(inv)
