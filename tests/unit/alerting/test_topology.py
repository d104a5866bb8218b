"""What a fault hides, from the inventory: sites behind a line, sites only one agent watches,
sites behind a core router; on the example province, the lab's inventory and small cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from netwarden.alerting.topology import Shadow, Topology
from netwarden.inventory import Inventory, load_inventory
from netwarden.lab.inventory_file import build_inventory
from netwarden.lab.topology import build_plan

REPO = Path(__file__).parents[3]


def _by_source(shadows: list[Shadow]) -> dict[str, Shadow]:
    return {shadow.source: shadow for shadow in shadows}


def lab_inventory() -> Inventory:
    document = build_inventory(build_plan(), Path("/run/netwarden-lab/secrets"))
    return Inventory.model_validate(document)


def test_example_province_lines() -> None:
    lines = _by_source(Topology(load_inventory([REPO / "examples" / "province"])).behind_lines())
    assert lines["tsl-so-khcn"].sites == ("so-khcn",)
    # A ward with a camera group wired into its LAN and a hotspot only its agent watches.
    assert lines["tsl-p-phan-dinh-phung"].sites == (
        "cg-trung-tam-tn",
        "hs-quang-truong-vng",
        "p-phan-dinh-phung",
    )
    # The data centre hangs on both core routers: neither of its lines alone cuts it off;
    # the core interconnect and the uplinks to the national network cut off no site.
    for redundant in ("tsl-dc-1", "tsl-dc-2", "core-ic", "core-up-1", "core-up-2"):
        assert redundant not in lines
    assert all("dc" not in shadow.sites for shadow in lines.values())


def test_example_province_agents_and_core_routers() -> None:
    topo = Topology(load_inventory([REPO / "examples" / "province"]))
    agents = _by_source(topo.watched_only_by())
    assert agents["agent-p-phan-dinh-phung"].sites == (
        "cg-trung-tam-tn",
        "hs-quang-truong-vng",
        "p-phan-dinh-phung",
    )
    assert agents["agent-core"].sites == ("core",)
    core = _by_source(topo.core_devices())
    assert set(core) == {"core-rtr-1", "core-rtr-2"}
    assert "tsl-so-khcn" in core["core-rtr-1"].links and "tsl-dc-1" in core["core-rtr-1"].links
    assert "so-khcn" in core["core-rtr-1"].sites and "hs-ho-nui-coc" in core["core-rtr-2"].sites
    assert not set(core["core-rtr-1"].sites) & set(core["core-rtr-2"].sites)
    assert "dc" not in core["core-rtr-1"].sites + core["core-rtr-2"].sites


def test_lab_inventory() -> None:
    topo = Topology(lab_inventory())
    lines = _by_source(topo.behind_lines())
    assert {k: v.sites for k, v in lines.items()} == {
        "tsl-so-khcn": ("so-khcn",),
        "tsl-so-tc": ("cam-qt-vo-nguyen-giap", "so-tc"),
        "tsl-p-phan-dinh-phung": ("p-phan-dinh-phung",),
        "tsl-dc": ("dc",),  # the lab's DC has one line
    }
    (core,) = topo.core_devices()
    assert core.source == "core-rtr"
    assert core.sites == ("cam-qt-vo-nguyen-giap", "dc", "p-phan-dinh-phung", "so-khcn", "so-tc")
    assert core.links == ("tsl-dc", "tsl-p-phan-dinh-phung", "tsl-so-khcn", "tsl-so-tc")


def _inventory(**parts: list[dict[str, Any]]) -> Inventory:
    return Inventory.model_validate({"province": "p", **parts})


def _dev(ident: str, site: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "site": site,
        "address": f"198.18.{len(ident)}.{len(site)}",
        "role": "switch",
        **extra,
    }


def _link(ident: str, a: str, b: str, kind: str = "dedicated-data-network") -> dict[str, Any]:
    return {
        "id": ident,
        "kind": kind,
        "a": {"device": a, "interface": "x"},
        "b": {"device": b, "interface": "y"},
    }


def test_a_daisy_chain_hides_everything_past_the_cut() -> None:
    inv = _inventory(
        sites=[
            {"id": s, "kind": k}
            for s, k in (("core", "core"), ("a", "agency"), ("b", "agency"), ("c", "agency"))
        ],
        agents=[{"id": f"ag-{s}", "site": s} for s in ("core", "a", "b", "c")],
        devices=[_dev("rtr", "core"), _dev("sw-a", "a"), _dev("sw-b", "b"), _dev("sw-c", "c")],
        links=[
            _link("l-a", "rtr", "sw-a"),
            _link("l-b", "sw-a", "sw-b"),
            _link("l-c", "sw-b", "sw-c"),
        ],
    )
    lines = _by_source(Topology(inv).behind_lines())
    assert lines["l-a"].sites == ("a", "b", "c")
    assert lines["l-b"].sites == ("b", "c")
    assert lines["l-c"].sites == ("c",)


def test_a_second_path_hides_nothing_and_a_lan_link_is_a_path_too() -> None:
    inv = _inventory(
        sites=[{"id": "core", "kind": "core"}, {"id": "a", "kind": "agency"}],
        agents=[{"id": "ag-core", "site": "core"}, {"id": "ag-a", "site": "a"}],
        devices=[_dev("rtr1", "core"), _dev("rtr2", "core"), _dev("sw1", "a"), _dev("sw2", "a")],
        links=[
            _link("l1", "rtr1", "sw1"),
            _link("l2", "rtr2", "sw2"),
            _link("lan", "sw1", "sw2", kind="lan-uplink"),
        ],
    )
    topo = Topology(inv)
    assert topo.behind_lines() == []
    # Either router alone cuts nothing off either: only its own lines are hidden.
    assert {(c.source, c.sites, c.links) for c in topo.core_devices()} == {
        ("rtr1", (), ("l1",)),
        ("rtr2", (), ("l2",)),
    }


def test_an_agent_hides_only_what_no_other_agent_watches() -> None:
    inv = _inventory(
        sites=[
            {"id": "core", "kind": "core"},
            {"id": "a", "kind": "agency"},
            {"id": "hs", "kind": "hotspot"},
            {"id": "shared", "kind": "agency"},
        ],
        agents=[
            {"id": "ag-core", "site": "core"},
            {"id": "ag-a", "site": "a"},
            {"id": "ag-s1", "site": "shared"},
            {"id": "ag-s2", "site": "shared"},
        ],
        devices=[
            _dev("rtr", "core"),
            _dev("sw-a", "a"),
            _dev("ap", "hs", agent="ag-a"),
            _dev("sw-s1", "shared", agent="ag-s1"),
            _dev("sw-s2", "shared", agent="ag-s2"),
        ],
        links=[_link("l-a", "rtr", "sw-a")],
    )
    topo = Topology(inv)
    agents = _by_source(topo.watched_only_by())
    assert agents["ag-a"].sites == ("a", "hs")
    assert agents["ag-s1"].sites == () and agents["ag-s2"].sites == ()
    # The hotspot has its own Internet line, but only ag-a (behind l-a) watches it.
    assert _by_source(topo.behind_lines())["l-a"].sites == ("a", "hs")
