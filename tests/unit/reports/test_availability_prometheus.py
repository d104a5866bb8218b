"""The availability report against a real Prometheus holding known history in February 2024
(Vietnam time): outages carried in from January, cut by an exclusion, running past the
month's end; time without data; an agency down while its link is up; decoys the report must
not count (the far end's own view, an agency agent's ping, a LAN link).

The history has data only around its events (55 of the month's 696 hours): promtool writes a
block per 2 hours of history, and a whole month of it took minutes to write on 2 loaded cores.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from netwarden.inventory import load_inventory
from netwarden.reports import availability, topology
from netwarden.reports.availability import Availability, Outage, Report, compute
from netwarden.reports.exclusions import Exclusion
from netwarden.reports.prometheus import HttpPrometheus
from netwarden.reports.window import VIETNAM, month_window
from tests.cli_in_process import run_in_process
from tests.unit.reports.backfill import (
    BackfilledPrometheus,
    Segment,
    up_except,
    within,
    without,
)


def vn(day: int, hour: int = 0, minute: int = 0, month: int = 2) -> int:
    """Unix seconds of a Vietnam-time instant in early 2024."""
    return int(datetime(2024, month, day, hour, minute, tzinfo=VIETNAM).timestamp())


START, END = vn(1), vn(1, month=3)
DATA = (START - 7200, END + 3600)
MINUTES = 29 * 24 * 60  # February 2024
# When the history has data (the agents were scraped): 3,060 minutes of February, 3,000
# without the hour the core agent was not scraped.
OBSERVED = [
    (vn(31, 22, month=1), vn(1, 2)),
    (vn(5, 6), vn(5, 10)),
    (vn(10, 1), vn(10, 4)),
    (vn(15, 8), vn(15, 13)),
    (vn(19, 23), vn(21, 8)),
    (vn(25, 13), vn(25, 15)),
    (vn(29, 22), vn(1, 2, month=3)),
]
CORE_GAP = (vn(5, 8), vn(5, 9))  # the core agent not scraped for an hour in between
NO_DATA = MINUTES - 3000
EXCLUDE = (vn(15, 9), vn(15, 12))  # --exclude, for everything
TSL_A_DOWN = [
    (vn(31, 23, 30, month=1), vn(1, 0, 20)),  # under way when the month opens: 20 min count
    (vn(10, 2), vn(10, 2, 45)),  # 45 min
    (vn(15, 10), vn(15, 10, 5)),  # inside the exclusion: not counted
    (vn(15, 11, 50), vn(15, 12, 10)),  # across the exclusion's end: 10 min count
]
TSL_B_DOWN = [(vn(20), vn(21, 6, 30)), (vn(29, 23, 50), vn(1, 1, month=3))]
TSL_B_MAINTENANCE = Exclusion(vn(20), vn(20, 6), "link", "tsl-b", "thay cáp quang", "collector #7")
REACH_A_DOWN = [(vn(25, 14), vn(25, 14, 30))]

CORE = 'job="netwarden-agents",instance="198.18.100.1:9430",agent="agent-core"'
AGENCY_A = 'job="netwarden-agents",instance="198.18.1.2:9430",agent="agent-a"'
DDN = 'kind="dedicated-data-network"'

INVENTORY = """
province: test
agents:
  - {id: agent-core, site: core}
  - {id: agent-a, site: a}
  - {id: agent-b, site: b}
  - {id: agent-dc, site: dc}
sites:
  - {id: core, kind: core, name: "Lõi"}
  - {id: a, kind: agency, name: "Sở A"}
  - {id: b, kind: agency, name: "Sở B"}
  - {id: dc, kind: datacentre, name: "Trung tâm dữ liệu"}
devices:
  - {id: core-rtr, site: core, address: 198.18.100.1, role: router}
  - {id: sw-a, site: a, address: 198.18.1.2, role: switch}
  - {id: sw-b, site: b, address: 198.18.2.2, role: switch}
  - {id: sw-dc, site: dc, address: 198.18.10.2, role: switch}
links:
  - {id: tsl-a, kind: dedicated-data-network, a: {device: core-rtr, interface: wan1},
     b: {device: sw-a, interface: wan0}}
  - {id: tsl-b, kind: dedicated-data-network, a: {device: core-rtr, interface: wan2},
     b: {device: sw-b, interface: wan0}}
  - {id: tsl-dc, kind: dedicated-data-network, a: {device: core-rtr, interface: dc0},
     b: {device: sw-dc, interface: wan0}}
  - {id: lan-x, kind: lan-uplink, a: {device: core-rtr, interface: lan0},
     b: {external: "a LAN"}}
services:
  - {id: reach-a, site: a, agent: agent-core, check: {icmp: {host: 198.18.1.2}}}
"""


def _seen(segments: list[Segment], gap: tuple[int, int] | None = CORE_GAP) -> list[Segment]:
    seen = within(segments, OBSERVED)
    return without(seen, gap) if gap else seen


def _status(down: list[tuple[int, int]]) -> list[Segment]:
    return _seen(up_except(*DATA, down))


def _history() -> dict[str, tuple[str, list[Segment]]]:
    def core_if(if_name: str) -> str:
        return (
            f'ifOperStatus{{{CORE},device="core-rtr",site="core",role="router",'
            f'ifIndex="{if_name}",ifName="{if_name}",ifDescr="{if_name}"}}'
        )

    def info(
        link: str, device: str, if_name: str, kind: str = DDN, who: str = CORE, site: str = "core"
    ) -> str:
        return (
            f'netwarden_link_info{{{who},site="{site}",link="{link}",{kind},'
            f'device="{device}",ifName="{if_name}"}}'
        )

    core_always = _seen([Segment(*DATA, 1)])
    reach_down = TSL_A_DOWN + REACH_A_DOWN
    far_a_missing = [Segment(a, b, 0) for a, b in TSL_A_DOWN]  # unreachable: no data
    # A decoy outage only the far end sees
    far_a = _seen(up_except(*DATA, [(vn(5, 6, 30), vn(5, 7))]), None)
    for gap in far_a_missing:
        far_a = without(far_a, (gap.start, gap.end))
    return {
        core_if("wan1"): ("gauge", _status(TSL_A_DOWN)),
        core_if("wan2"): ("gauge", _status(TSL_B_DOWN)),
        core_if("dc0"): ("gauge", core_always),
        core_if("lan0"): ("gauge", _status([(vn(7), vn(8))])),
        info("tsl-a", "core-rtr", "wan1"): ("gauge", core_always),
        info("tsl-b", "core-rtr", "wan2"): ("gauge", core_always),
        info("tsl-dc", "core-rtr", "dc0"): ("gauge", core_always),
        info("lan-x", "core-rtr", "lan0", 'kind="lan-uplink"'): ("gauge", core_always),
        info("tsl-a", "sw-a", "wan0", who=AGENCY_A, site="a"): ("gauge", far_a),
        (
            f'ifOperStatus{{{AGENCY_A},device="sw-a",site="a",role="switch",ifIndex="3",'
            f'ifName="wan0",ifDescr="wan0",ifAlias=""}}'
        ): ("gauge", far_a),
        (
            f'netwarden_probe_success{{{CORE},probe="icmp",service="reach-a",site="a",'
            f'target="198.18.1.2"}}'
        ): ("gauge", _seen(up_except(*DATA, reach_down, value_down=0))),
        # The agency's own agent pings its switch: not the core side, not counted.
        (
            f'netwarden_probe_success{{{AGENCY_A},probe="icmp",device="sw-a",site="a",'
            f'role="switch",target="198.18.1.2"}}'
        ): ("gauge", _seen(up_except(*DATA, [(vn(25, 13), vn(25, 13, 5))], value_down=0), None)),
    }


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackfilledPrometheus]:
    server = BackfilledPrometheus(tmp_path_factory.mktemp("prom"), _history())
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def inventory_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("inv") / "inventory.yaml"
    path.write_text(INVENTORY, encoding="utf-8")
    return path


def _report(
    prometheus: BackfilledPrometheus, inventory: Path, exclusions: list[Exclusion]
) -> Report:
    plan = topology.from_inventory(load_inventory([inventory]))
    window = month_window("2024-02", 60, now=END + 86400)
    api = HttpPrometheus(prometheus.url)
    try:
        return compute(api, plan, window, exclusions)
    finally:
        api.close()


@pytest.fixture(scope="module")
def month_report(prometheus: BackfilledPrometheus, inventory_file: Path) -> Report:
    """The month with both exclusions, in one query per kind: read by two tests (a month of
    Prometheus evaluations each time it is computed)."""
    return _report(prometheus, inventory_file, [Exclusion(*EXCLUDE), TSL_B_MAINTENANCE])


def _minutes(row: Availability) -> dict[str, int]:
    return {
        "up": row.up_steps,
        "down": row.down_steps,
        "no_data": row.no_data_steps,
        "excluded": row.excluded_steps,
    }


def _outages(row: Availability) -> list[tuple[int, int]]:
    return [(o.start, o.end) for o in row.outages]


def test_a_month_of_links_and_agencies_with_exclusions(month_report: Report) -> None:
    report = month_report
    links = {r.id: r for r in report.links}
    agencies = {r.id: r for r in report.agencies}
    assert set(links) == {"tsl-a", "tsl-b", "tsl-dc"}  # the LAN link is not measured
    assert set(agencies) == {"a", "b"}  # the data centre is not an agency
    for row in (*links.values(), *agencies.values()):
        assert row.total_steps == MINUTES
        # Prometheus' counts and the outages paired from its edges agree.
        assert sum(o.seconds for o in row.outages) == row.down_steps * 60

    a = links["tsl-a"]
    assert _outages(a) == [
        (START, vn(1, 0, 20)),
        (vn(10, 2), vn(10, 2, 45)),
        (vn(15, 12), vn(15, 12, 10)),
    ]
    assert _minutes(a) == {"up": 3000 - 180 - 75, "down": 75, "no_data": NO_DATA, "excluded": 180}
    assert a.longest == 45 * 60
    assert a.ratio == pytest.approx((3000 - 255) / (3000 - 180))

    b = links["tsl-b"]  # the collector's window on tsl-b cuts the first outage's start
    assert _outages(b) == [(vn(20, 6), vn(21, 6, 30)), (vn(29, 23, 50), END)]
    assert _minutes(b) == {
        "up": 3000 - 540 - 1480,
        "down": 1480,
        "no_data": NO_DATA,
        "excluded": 540,
    }

    dc = links["tsl-dc"]
    assert _minutes(dc) == {"up": 3000 - 180, "down": 0, "no_data": NO_DATA, "excluded": 180}
    assert dc.outages == () and dc.ratio == 1.0

    # Agency a: its link's outages and 30 min its switch did not answer the core's ping.
    agency_a = agencies["a"]
    assert agency_a.name == "Sở A" and agency_a.links == ("tsl-a",)
    assert _outages(agency_a) == [*_outages(a), (vn(25, 14), vn(25, 14, 30))]
    assert _minutes(agency_a)["down"] == 105
    # Agency b has no ping from the core side: its link only, and the link's maintenance.
    assert _minutes(agencies["b"]) == _minutes(b)
    assert _outages(agencies["b"]) == _outages(b)
    assert any("agency b: no ICMP probe from the core side" in n for n in report.notes)


def test_queries_in_batches_give_the_same_figures(
    prometheus: BackfilledPrometheus,
    inventory_file: Path,
    month_report: Report,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    exclusions = [Exclusion(*EXCLUDE), TSL_B_MAINTENANCE]
    assert availability.BATCH >= 3  # month_report took every link in one query
    monkeypatch.setattr(availability, "BATCH", 1)  # a query per link and per agency
    assert _report(prometheus, inventory_file, exclusions) == month_report


def test_device_and_site_windows_reach_the_links_and_agencies_they_concern(
    prometheus: BackfilledPrometheus, inventory_file: Path
) -> None:
    switch = Exclusion(vn(10, 1), vn(10, 3), "device", "sw-a", "", "collector #1")
    site_b = Exclusion(vn(29, 23), END + 3600, "site", "b", "", "collector #2")
    report = _report(prometheus, inventory_file, [switch, site_b])
    links = {r.id: r for r in report.links}
    agencies = {r.id: r for r in report.agencies}
    # The switch's maintenance covers tsl-a's 45 min outage, for the link and its agency.
    assert (vn(10, 2), vn(10, 2, 45)) not in _outages(links["tsl-a"])
    assert links["tsl-a"].excluded_steps == agencies["a"].excluded_steps == 120
    # Site b's window at the month's end: agency b and its link, not the others.
    assert links["tsl-b"].outages[-1] == Outage(vn(20), vn(21, 6, 30))
    assert agencies["b"].excluded_steps == links["tsl-b"].excluded_steps == 60
    assert links["tsl-dc"].excluded_steps == 0


def _cli_json(prometheus: BackfilledPrometheus, *args: str) -> dict[str, object]:
    done = run_in_process(
        "report", "availability", "--prometheus", prometheus.url, *args, "--output", "json"
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def test_the_command_with_and_without_the_inventory(
    prometheus: BackfilledPrometheus, inventory_file: Path
) -> None:
    exclude = (
        f"{datetime.fromtimestamp(EXCLUDE[0], VIETNAM).isoformat()}/"
        f"{datetime.fromtimestamp(EXCLUDE[1], VIETNAM).isoformat()}"
    )
    full = _cli_json(
        prometheus, "--month", "2024-02", "-i", str(inventory_file), "--exclude", exclude
    )
    assert full["from"] == "2024-02-01T00:00:00+07:00"
    assert full["to"] == "2024-03-01T00:00:00+07:00"
    rows = {row["id"]: row for row in full["links"]}  # type: ignore[attr-defined]
    tsl_a = rows["tsl-a"]
    assert tsl_a["down_minutes"] == 75 and tsl_a["no_data_minutes"] == NO_DATA
    assert tsl_a["excluded_minutes"] == 180
    assert tsl_a["outages"] == {
        "count": 3,
        "longest_minutes": 45,
        "total_minutes": 75,
        "list": [
            {"from": "2024-02-01T00:00:00+07:00", "to": "2024-02-01T00:20:00+07:00", "minutes": 20},
            {"from": "2024-02-10T02:00:00+07:00", "to": "2024-02-10T02:45:00+07:00", "minutes": 45},
            {"from": "2024-02-15T12:00:00+07:00", "to": "2024-02-15T12:10:00+07:00", "minutes": 10},
        ],
    }
    assert [a["id"] for a in full["agencies"]] == ["a", "b"]  # type: ignore[attr-defined]
    # Without the inventory: the links from netwarden_link_info, measured at the hub's end.
    bare = _cli_json(prometheus, "--month", "2024-02", "--exclude", exclude)
    assert bare["agencies"] == []
    bare_rows = {row["id"]: row for row in bare["links"]}  # type: ignore[attr-defined]
    assert set(bare_rows) == {"tsl-a", "tsl-b", "tsl-dc"}
    assert bare_rows["tsl-a"]["outages"] == tsl_a["outages"]
    assert bare_rows["tsl-b"]["down_minutes"] == 1830 + 10  # no collector window this time
