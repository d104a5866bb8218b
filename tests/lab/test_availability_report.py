"""``netwarden report availability`` on the lab: a real Prometheus scrapes the agents every
5 s while a dedicated-data-network link is cut twice (``netwarden lab fault``); the report
over a window that holds both outages finds them, each within one scrape interval of what was
injected, and with ``--exclude`` over the second one counts only the first.

Cuts a WAN link: runs only on the module's own lab (not with NW_LAB_REUSE=1).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from netwarden.reports.window import VIETNAM
from tests.lab.conftest import Lab
from tests.lab.fleet_lab import netwarden, ok, wait_for
from tests.lab.observed_fleet import ObservedFleet, observed_fleet

pytestmark = pytest.mark.skipif(
    os.environ.get("NW_LAB_REUSE") == "1", reason="cuts a WAN link: runs only on its own lab"
)
SCRAPE = 5  # s: the Prometheus scrape interval, and the report's step
LINK, AGENCY = "tsl-so-khcn", "so-khcn"
FIRST, BETWEEN, SECOND = 60.0, 40.0, 30.0  # s: outage, link up, outage
REACH_INTERVAL = 2.0  # s: the core's ping of the agency switch (observed_fleet)
LINK_STATE = (
    f'min(ifOperStatus{{device="core-rtr"}} * on(device, ifName) group_left(link)'
    f' netwarden_link_info{{link="{LINK}"}})'
)
REACH = f'max(netwarden_probe_success{{service="reach-{AGENCY}"}})'


@pytest.fixture(scope="module")
def fleet(lab: Lab) -> Iterator[ObservedFleet]:
    with observed_fleet(lab, SCRAPE) as observed:
        yield observed


def _value(fleet: ObservedFleet, expr: str) -> float | None:
    result = fleet.prometheus.api("query", query=expr)["result"]
    return float(result[0]["value"][1]) if result else None


def _wait_state(fleet: ObservedFleet, up: bool) -> None:
    want = 1.0 if up else 0.0
    wait_for(
        f"{LINK} and the ping of {AGENCY} {'up' if up else 'down'} in Prometheus",
        lambda: _value(fleet, LINK_STATE) == (1.0 if up else 2.0) and _value(fleet, REACH) == want,
        60,
        every=1,
    )


def _fault(down: bool) -> float:
    """Cut or restore the link; the time it is done (the command ends right after)."""
    ok(netwarden("lab", "fault", LINK, "down" if down else "up"))
    return time.time()


def _local(at: float) -> str:
    return datetime.fromtimestamp(at, VIETNAM).isoformat(timespec="seconds")


def _report(
    fleet: ObservedFleet, start: float, end: float, *extra: str, output: str = "json"
) -> str:
    done = netwarden(
        "report",
        "availability",
        "--prometheus",
        fleet.prometheus.url,
        "-i",
        str(fleet.inventory),
        "--from",
        _local(start),
        "--to",
        _local(end),
        "--step",
        f"{SCRAPE}s",
        "--output",
        output,
        *extra,
        timeout=120,
    )
    return ok(done)


def _rows(report: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in report[kind]}


def _outage_seconds(row: dict[str, Any]) -> list[float]:
    return [o["minutes"] * 60 for o in row["outages"]["list"]]


def test_the_report_finds_the_injected_outages_and_leaves_out_an_excluded_one(
    fleet: ObservedFleet,
) -> None:
    _wait_state(fleet, up=True)
    start = time.time()
    time.sleep(3 * SCRAPE)  # the window opens with the link up
    cut = _fault(down=True)
    try:
        _wait_state(fleet, up=False)
        time.sleep(max(0.0, cut + FIRST - time.time()))
    finally:
        restored = _fault(down=False)
    first = restored - cut
    _wait_state(fleet, up=True)
    time.sleep(max(0.0, restored + BETWEEN - time.time()))
    cut2 = _fault(down=True)
    try:
        _wait_state(fleet, up=False)
        time.sleep(max(0.0, cut2 + SECOND - time.time()))
    finally:
        restored2 = _fault(down=False)
    second = restored2 - cut2
    _wait_state(fleet, up=True)
    end = time.time() + 3 * SCRAPE
    wait_for("Prometheus past the window's end", lambda: time.time() > end + 2 * SCRAPE, 60)

    both = json.loads(_report(fleet, start, end))
    links, agencies = _rows(both, "links"), _rows(both, "agencies")
    print(
        f"injected: {first:.1f} s and {second:.1f} s\n" + _report(fleet, start, end, output="table")
    )
    link = links[LINK]
    assert link["outages"]["count"] == 2, link
    measured = _outage_seconds(link)
    print(f"measured: {measured} s; {AGENCY}: {_outage_seconds(agencies[AGENCY])} s")
    assert abs(measured[0] - first) <= SCRAPE, (measured, first)
    assert abs(measured[1] - second) <= SCRAPE, (measured, second)
    assert link["down_minutes"] * 60 == pytest.approx(sum(measured))
    assert link["no_data_minutes"] == 0 and link["excluded_minutes"] == 0
    for other in ("tsl-so-tc", "tsl-dc"):
        assert links[other]["down_minutes"] == 0 and links[other]["outages"]["count"] == 0
    # The agency: down while its link is, and until the core's next ping answers again.
    agency = agencies[AGENCY]
    assert agency["outages"]["count"] == 2, agency
    for got, injected in zip(_outage_seconds(agency), (first, second), strict=True):
        assert -SCRAPE <= got - injected <= SCRAPE + REACH_INTERVAL, (got, injected)

    # The second outage in a maintenance window: not counted, the first one still is.
    excluded = (cut2 - 10, restored2 + 10)
    window = f"{_local(excluded[0])}/{_local(excluded[1])}"
    one = json.loads(_report(fleet, start, end, "--exclude", window))
    print(_report(fleet, start, end, "--exclude", window, output="table"))
    link = _rows(one, "links")[LINK]
    assert link["outages"]["count"] == 1
    assert abs(link["down_minutes"] * 60 - first) <= SCRAPE, (link, first)
    assert abs(link["excluded_minutes"] * 60 - (excluded[1] - excluded[0])) <= SCRAPE
    assert _rows(one, "agencies")[AGENCY]["outages"]["count"] == 1
    assert one["exclusions"][0]["scope"] == "all"
