"""What the report measures (from an inventory, or from the metrics alone), how exclusions
reach links and agencies, the collector's maintenance windows over HTTP (MockTransport), the
renderings, and the command's one-line errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import httpx
import pytest

from netwarden.errors import NetwardenError, UsageError
from netwarden.inventory import load_inventory
from netwarden.reports import render, topology
from netwarden.reports.availability import Availability, Outage, Report, resolve
from netwarden.reports.exclusions import Exclusion
from netwarden.reports.run import AvailabilityRequest, maintenance
from netwarden.reports.window import Window, month_window
from tests.cli_in_process import run_in_process
from tests.unit.reports.test_availability_prometheus import INVENTORY


@pytest.fixture
def plan(tmp_path: Path) -> topology.Plan:
    path = tmp_path / "inventory.yaml"
    path.write_text(INVENTORY, encoding="utf-8")
    return topology.from_inventory(load_inventory([path]))


def test_plan_from_the_inventory(plan: topology.Plan) -> None:
    assert [(lp.id, lp.core_devices, lp.agency, lp.far_devices) for lp in plan.links] == [
        ("tsl-a", ("core-rtr",), "a", ("sw-a",)),
        ("tsl-b", ("core-rtr",), "b", ("sw-b",)),
        ("tsl-dc", ("core-rtr",), "", ("sw-dc",)),  # the data centre is not an agency
    ]
    assert plan.agencies == (
        topology.AgencyPlan("a", "Sở A", ("tsl-a",), ("reach-a",), ()),
        topology.AgencyPlan("b", "Sở B", ("tsl-b",), (), ()),
    )
    assert plan.core_devices == ("core-rtr",)
    assert plan.core_ifnames == ("dc0", "wan1", "wan2")  # the query asks for these only


def test_plan_from_link_info_takes_the_hub_as_the_core_end() -> None:
    ends = [
        {"link": "l1", "device": "hub", "ifName": "w1"},
        {"link": "l1", "device": "sw1", "ifName": "up"},
        {"link": "l2", "device": "hub", "ifName": "w2"},
        {"link": "l2", "device": "sw2", "ifName": "up"},
        {"link": "l3", "device": "hub", "ifName": "w3"},  # far end not polled
        {"link": "solo", "device": "x", "ifName": "a"},
        {"link": "solo", "device": "y", "ifName": "b"},  # a tie: both
    ]
    plan = topology.from_link_ends(ends)
    got = {lp.id: (lp.core_devices, lp.far_devices) for lp in plan.links}
    assert got == {
        "l1": (("hub",), ("sw1",)),
        "l2": (("hub",), ("sw2",)),
        "l3": (("hub",), ()),
        "solo": (("x", "y"), ()),
    }
    assert plan.core_ifnames == ("a", "b", "w1", "w2", "w3")


def test_scoped_windows_reach_what_they_concern(plan: topology.Plan) -> None:
    link = Exclusion(10, 20, "link", "tsl-a")
    core = Exclusion(30, 40, "device", "core-rtr")
    site = Exclusion(50, 60, "site", "b")
    elsewhere = Exclusion(70, 80, "device", "cam-1", source="collector #9")
    scoped = resolve(plan, [link, core, site, elsewhere, Exclusion(90, 100)])
    assert scoped.everything == [(90, 100)]
    assert scoped.links == {
        "tsl-a": [(10, 20), (30, 40)],
        "tsl-b": [(30, 40), (50, 60)],
        "tsl-dc": [(30, 40)],
    }
    # An agency is excluded when all its links are, or the window is on its site.
    assert scoped.sites == {"a": [(10, 20), (30, 40)], "b": [(30, 40), (50, 60)]}
    assert scoped.notes == [
        "maintenance window collector #9 (device cam-1) concerns nothing this report measures"
    ]


def _request(**changes: object) -> AvailabilityRequest:
    base: dict[str, object] = {
        "prometheus": "http://127.0.0.1:9",
        "month": "2025-06",
        "start": None,
        "end": None,
        "step": "60s",
        "inventory": [],
        "exclude": [],
        "collector": "https://collector.example:9440",
        "ca_file": None,
        "insecure": False,
        "now": 2e9,
    }
    return AvailabilityRequest(**(base | changes))  # type: ignore[arg-type]


def test_maintenance_windows_from_the_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETWARDEN_TOKEN", "nwu.viewer.secret")
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200,
            json={
                "windows": [
                    {
                        "id": 1,
                        "site": None,
                        "link": "tsl-a",
                        "device": None,
                        "from": "2025-06-10T15:00:00Z",
                        "to": "2025-06-10T16:00:00Z",
                        "reason": "cáp",
                        "created_by": "lan",
                        "created_at": "2025-06-01T00:00:00Z",
                    }
                ]
            },
        )

    window = month_window("2025-06", 60, 2e9)
    got = maintenance(_request(), window, httpx.MockTransport(answer))
    assert [(e.scope, e.target, e.reason) for e in got] == [("link", "tsl-a", "cáp")]
    (request,) = seen
    assert request.url.path == "/api/v1/maintenance"
    assert dict(request.url.params) == {
        "from": "2025-06-01T00:00:00+07:00",
        "to": "2025-07-01T00:00:00+07:00",
    }
    assert request.headers["Authorization"] == "Bearer nwu.viewer.secret"


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (
            403,
            {"error": "needs role viewer"},
            "the collector refused the token (needs role viewer): this needs a token with the "
            "viewer role",
        ),
        (404, {"error": "not found"}, "collector answered 404: not found"),
        (200, {"maintenance": []}, "the collector's maintenance answer has no list of windows"),
    ],
)
def test_maintenance_failures_are_one_line(
    monkeypatch: pytest.MonkeyPatch, status: int, body: object, message: str
) -> None:
    monkeypatch.setenv("NETWARDEN_TOKEN", "nwu.viewer.secret")
    transport = httpx.MockTransport(lambda _: httpx.Response(status, json=body))
    with pytest.raises(NetwardenError) as err:
        maintenance(_request(), month_window("2025-06", 60, 2e9), transport)
    assert str(err.value) == message


def test_maintenance_needs_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NETWARDEN_TOKEN", raising=False)
    with pytest.raises(UsageError, match="NETWARDEN_TOKEN is not set"):
        maintenance(_request(), month_window("2025-06", 60, 2e9))


def _sample_report() -> Report:
    window = Window(start=1_748_710_800, end=1_748_710_800 + 600 * 60, step=60, label="2025-06")
    link = Availability(
        "link",
        "tsl-a",
        "a",
        ("tsl-a",),
        60,
        600,
        60,
        500,
        480,
        (
            Outage(window.start + 600, window.start + 1800),
            Outage(window.start + 6000, window.start + 6480),
        ),
    )
    agency = Availability(
        "agency", "a", "Sở Khoa học và Công nghệ", ("tsl-a",), 60, 600, 0, 0, 0, ()
    )
    return Report(
        window,
        (Exclusion(window.start, window.start + 3600, reason="bảo trì"),),
        (link,),
        (agency,),
        ("a note",),
    )


def test_json_rendering() -> None:
    got = render.report_json(_sample_report())
    assert got["from"] == "2025-06-01T00:00:00+07:00"
    assert got["to"] == "2025-06-01T10:00:00+07:00"
    link = got["links"][0]
    assert link["availability_percent"] == 96.0
    assert (
        link["up_minutes"],
        link["down_minutes"],
        link["no_data_minutes"],
        link["excluded_minutes"],
    ) == (480, 20, 40, 60)
    assert link["outages"]["count"] == 2
    assert link["outages"]["longest_minutes"] == 20
    assert link["outages"]["list"][0] == {
        "from": "2025-06-01T00:10:00+07:00",
        "to": "2025-06-01T00:30:00+07:00",
        "minutes": 20,
    }
    agency = got["agencies"][0]
    assert agency["availability_percent"] is None  # no data: not 0 %, not 100 %
    assert agency["no_data_minutes"] == 600
    assert got["exclusions"][0]["reason"] == "bảo trì"


def test_table_and_csv_rendering() -> None:
    report = _sample_report()
    table = render.report_table(report)
    assert table.splitlines()[0] == (
        "Availability 2025-06: 2025-06-01 00:00 to 2025-06-01 10:00 (Vietnam time, UTC+07:00),"
        " step 60s"
    )
    assert "excluded: 2025-06-01 00:00 to 2025-06-01 01:00 all (--exclude): bảo trì" in table
    link_row = next(line for line in table.splitlines() if line.startswith("tsl-a"))
    assert link_row.split()[:9] == ["tsl-a", "a", "96.000", "%", "480", "20", "40", "60", "2"]
    assert "Sở Khoa học và Công nghệ" in table
    assert table.splitlines()[-1] == "note: a note"
    rows = list(csv.DictReader(io.StringIO(render.report_csv(report))))
    assert [r["kind"] for r in rows] == ["link", "agency"]
    assert rows[0]["down_minutes"] == "20" and rows[1]["availability_percent"] == ""
    assert tuple(rows[0]) == render.CSV_COLUMNS


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give --month YYYY-MM, or --from and --to"),
        (
            ["--month", "2025-06", "--from", "2025-06-01T00:00"],
            "give --month YYYY-MM, or --from and --to",
        ),
        (["--from", "2025-06-01T00:00"], "--from and --to go together"),
        (["--month", "2025-6"], "--month must be YYYY-MM, got '2025-6'"),
        (
            ["--month", "2025-06", "--exclude", "2025-06-02"],
            "--exclude must be FROM/TO, got '2025-06-02'",
        ),
        (
            ["--month", "2025-06", "--step", "1.5m"],
            "--step must be a duration like 60s, 5m or 1h, got '1.5m'",
        ),
    ],
)
def test_usage_errors_are_one_line_exit_2(args: list[str], message: str) -> None:
    done = run_in_process("report", "availability", "--prometheus", "http://127.0.0.1:9", *args)
    assert done.returncode == 2, done.stderr
    assert done.stderr == f"netwarden: error: {message}\n"


def test_an_unreachable_prometheus_is_one_line_exit_1() -> None:
    done = run_in_process(
        "report",
        "availability",
        "--prometheus",
        "http://127.0.0.1:9",
        "--month",
        "2025-06",
        "--output",
        "json",
    )
    assert done.returncode == 1
    assert done.stderr.startswith("netwarden: error: cannot reach Prometheus at http://127.0.0.1:9")
    assert done.stderr.count("\n") == 1
    assert json.loads(done.stdout or "null") is None
