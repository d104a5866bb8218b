"""``netwarden report availability`` on the lab: a real Prometheus scrapes the agents every
2 s while a dedicated-data-network link is cut twice (as ``netwarden lab fault`` does); the
report over a window that holds both outages finds them, and with ``--exclude`` over the
second one counts only the first.

How close: each outage the report finds is within one scrape interval of the outage as the
core's agent saw it (a watcher reads the agent's /metrics twice a second, faster than the
agent's 1 s polls, and takes the time of the polls that saw the link go down and come back),
and within one scrape interval plus the SNMP path's lag of the injected one: the agent polls
the core router every second and net-snmp's snmpd shows a carrier change 0.1 to 3 s late (its
interface cache; lab-notes).

The sizes (2 s scrape and step, outages of about 20 s and 12 s, 12 s between them): every
outage spans several steps beyond those bounds (6 s), so the report's two outages, their
lengths and the excluded one are told apart as with longer ones; the report rounds minutes
to 6 decimals (``render.minutes``), far inside the 0.1 s the comparisons allow for it.

Cuts a WAN link: runs only on the module's own lab (not with NW_LAB_REUSE=1).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from netwarden.lab import wan
from netwarden.reports.window import VIETNAM
from tests.cli_in_process import run_in_process
from tests.lab.conftest import Lab
from tests.lab.fleet_lab import wait_for
from tests.lab.observed_fleet import ObservedFleet, Watch, observed_fleet

# The budget counts the first test's share of the module's fleet start, which took up to
# 140 s at a load of 20 (lab tier -n 4 beside other engineers' runs): a hang bound, no more.
pytestmark = [
    pytest.mark.skipif(
        os.environ.get("NW_LAB_REUSE") == "1", reason="cuts a WAN link: runs only on its own lab"
    ),
    pytest.mark.timeout(600),
]
SCRAPE = 2  # s: the Prometheus scrape interval, and the report's step
LINK, AGENCY = "tsl-so-khcn", "so-khcn"
# s: outage, link up, outage. Each outage is longer than the 6 s of lag either bound below
# allows; BETWEEN starts once Prometheus shows the link and the ping up again, and leaves the
# exclusion's 5 s margin before the second cut clear of the first outage's end by 3+ steps.
FIRST, BETWEEN, SECOND = 20.0, 12.0, 12.0
# s: the core pings the agency switch every 2 s (observed_fleet), a probe lasting up to 1.8 s
REACH_LAG = 2.0 + 1.8
SNMP_LAG = 1.0 + 3.0  # s: the core router's poll interval, snmpd's lag
CORE_AGENT_METRICS = "http://198.18.100.1:9430/metrics"
POLLED = "netwarden_snmp_last_success_timestamp_seconds{"
STATUS = "ifOperStatus{"
LINK_STATE = (
    f'min(ifOperStatus{{device="core-rtr"}} * on(device, ifName) group_left(link)'
    f' netwarden_link_info{{link="{LINK}"}})'
)
REACH = f'max(netwarden_probe_success{{service="reach-{AGENCY}"}})'


@pytest.fixture(scope="module")
def fleet(lab: Lab) -> Iterator[ObservedFleet]:
    with observed_fleet(lab, SCRAPE) as observed:
        yield observed


def _core_rtr_wan1(text: str) -> tuple[float, bool] | None:
    """(the core router's last poll, wan1 up) from the agent's exposition text: two series
    picked by their lines, not the whole page parsed (the watcher reads it twice a second)."""
    polled, state = None, None
    for line in text.splitlines():
        if 'device="core-rtr"' not in line:
            continue
        if line.startswith(POLLED):
            polled = float(line.rsplit(" ", 1)[1])
        elif line.startswith(STATUS) and 'ifName="wan1"' in line:
            state = float(line.rsplit(" ", 1)[1]) == 1
    return (polled, state) if polled is not None and state is not None else None


class AgentWatch(Watch):
    """The core agent's own view of the link: (poll time, up) at each change of ifOperStatus."""

    # Twice a second: each change is stamped with the time of the poll that saw it, so
    # reading faster than the 1 s polls only has to see every poll, not be quick.
    every = 0.5

    def __init__(self) -> None:
        super().__init__()
        self.changes: list[tuple[float, bool]] = []
        self._client = httpx.Client(timeout=2)

    def look(self) -> None:
        try:
            seen = _core_rtr_wan1(self._client.get(CORE_AGENT_METRICS).text)
        except httpx.HTTPError:
            return
        if seen and (not self.changes or self.changes[-1][1] != seen[1]):
            self.changes.append(seen)

    def __exit__(self, *_: object) -> None:
        super().__exit__()
        self._client.close()

    def outages(self) -> list[float]:
        """Seconds from each poll that saw the link down to the next that saw it up."""
        return [
            b[0] - a[0]
            for a, b in zip(self.changes, self.changes[1:], strict=False)
            if not a[1] and b[1]
        ]


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


def _fault(fleet: ObservedFleet, down: bool) -> float:
    """Cut or restore the link as ``netwarden lab fault`` does (its own tests run the command);
    the time it is done."""
    wan.fault(fleet.lab.root, LINK, down=down)
    return time.time()


def _wait_scraped_past(fleet: ObservedFleet, end: float) -> None:
    """Until Prometheus holds a scrape of the core agent (the link's state and the ping both
    come from it) taken after ``end``: every step of a window ending there is then final."""
    # timestamp() of the raw series: of an aggregation it would be the evaluation time.
    newest = 'max(timestamp(ifOperStatus{device="core-rtr", ifName="wan1"}))'
    wait_for(
        "Prometheus scraped past the window's end",
        lambda: (_value(fleet, newest) or 0.0) > end,
        60,
        every=1,
    )


def _local(at: float) -> str:
    return datetime.fromtimestamp(at, VIETNAM).isoformat(timespec="seconds")


def _report(
    fleet: ObservedFleet, start: float, end: float, *extra: str, output: str = "json"
) -> str:
    done = run_in_process(
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
    )
    assert done.returncode == 0, f"{done.args}: exit {done.returncode}\n{done.stderr}"
    return done.stdout


def _rows(report: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in report[kind]}


def _outage_seconds(row: dict[str, Any]) -> list[float]:
    return [o["minutes"] * 60 for o in row["outages"]["list"]]


def _inject(fleet: ObservedFleet, seconds: float) -> float:
    """One outage of about ``seconds``: its injected length."""
    cut = _fault(fleet, down=True)
    try:
        _wait_state(fleet, up=False)
        time.sleep(max(0.0, cut + seconds - time.time()))
    finally:
        restored = _fault(fleet, down=False)
    _wait_state(fleet, up=True)
    return restored - cut


def test_the_report_finds_the_injected_outages_and_leaves_out_an_excluded_one(
    fleet: ObservedFleet,
) -> None:
    _wait_state(fleet, up=True)
    with AgentWatch() as watch:
        start = time.time()
        time.sleep(3 * SCRAPE)  # the window opens with the link up
        first = _inject(fleet, FIRST)
        time.sleep(BETWEEN)
        cut2 = time.time()
        second = _inject(fleet, SECOND)
        restored2 = time.time()
        end = time.time() + 3 * SCRAPE  # the window closes with the link up
        _wait_scraped_past(fleet, end)
    seen = watch.outages()
    assert len(seen) == 2, watch.changes

    both = json.loads(_report(fleet, start, end))
    links, agencies = _rows(both, "links"), _rows(both, "agencies")
    link = links[LINK]
    measured = _outage_seconds(link)
    print(
        f"injected: {first:.1f} s, {second:.1f} s; the agent saw {seen[0]:.1f} s, "
        f"{seen[1]:.1f} s; the report: {measured} s; agency {AGENCY}: "
        f"{_outage_seconds(agencies[AGENCY])} s\n" + _report(fleet, start, end, output="table")
    )
    assert link["outages"]["count"] == 2, link
    for got, agent_saw, injected in zip(measured, seen, (first, second), strict=True):
        assert abs(got - agent_saw) < SCRAPE + 0.1, (got, agent_saw)  # 0.1: minutes' rounding
        assert abs(got - injected) <= SCRAPE + SNMP_LAG, (got, injected)
    assert link["down_minutes"] * 60 == pytest.approx(sum(measured), abs=0.01)
    assert link["no_data_minutes"] == 0 and link["excluded_minutes"] == 0
    for other in ("tsl-so-tc", "tsl-dc"):
        assert links[other]["down_minutes"] == 0 and links[other]["outages"]["count"] == 0
    # The agency: down while its link is or the core's ping fails (which starts and ends
    # on the ping's own schedule). The ping sees the cut at once while the agent may see it
    # up to snmpd's lag later, and the other way round at the restore: both paths' lags.
    agency = agencies[AGENCY]
    assert agency["outages"]["count"] == 2, agency
    for got, agent_saw in zip(_outage_seconds(agency), seen, strict=True):
        assert abs(got - agent_saw) < SCRAPE + REACH_LAG + SNMP_LAG, (got, agent_saw)

    # The second outage in a maintenance window: not counted, the first one still is.
    excluded = (cut2 - 5, restored2 + 5)
    window = f"{_local(excluded[0])}/{_local(excluded[1])}"
    one = json.loads(_report(fleet, start, end, "--exclude", window))
    print(_report(fleet, start, end, "--exclude", window, output="table"))
    link = _rows(one, "links")[LINK]
    assert link["outages"]["count"] == 1
    assert link["down_minutes"] * 60 == pytest.approx(measured[0], abs=0.1)
    assert abs(link["excluded_minutes"] * 60 - (excluded[1] - excluded[0])) <= SCRAPE
    assert _rows(one, "agencies")[AGENCY]["outages"]["count"] == 1
    assert one["exclusions"][0]["scope"] == "all"
