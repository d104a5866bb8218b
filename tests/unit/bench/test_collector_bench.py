"""Smoke test of bench.collector: a small fleet against a real collector process on loopback.

No timing is asserted (the machine is shared); what must hold is that every simulated agent
enrolled, every route was exercised without a single error, and the report has its figures.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import bench.collector
from bench.collector import main
from bench.collector_report import LONG_POLL, SETUP

# One join token from the real CLI (the path the bench keeps for its first agents): each CLI
# run is an interpreter start and every import, 1 CPU-s; the store API makes the others.
ONE_CLI_TOKEN = 1


@pytest.fixture(autouse=True)
def _one_cli_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench.collector, "CLI_TOKENS", ONE_CLI_TOKEN)


def test_a_small_fleet_runs_without_errors_and_reports(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    argv = ["--agents", "20", "--duration", "6", "--heartbeat", "1", "--results", "2",
            "--batch", "5", "--wait", "2", "--json", str(out)]  # fmt: skip
    assert main(argv) == 0
    (report,) = json.loads(out.read_text())
    assert report["db"] == "sqlite"
    assert report["agents"] == 20
    assert report["errors"] == 0, report["error_samples"]
    routes = {r["route"]: r for r in report["routes"]}
    assert set(routes) == {"heartbeat", "assignment", "results", LONG_POLL, SETUP}
    assert routes[SETUP]["requests"] == 20
    # Every agent heartbeats about once a second for 6 s (first one within the first second),
    # then asks for its assignment; the run may end between the two. About 120 on an idle
    # machine, 45 at a load of 30 (heartbeats answered in seconds): no rate is asserted (the
    # docstring), only that the agents kept heartbeating, more than once each.
    assert routes["heartbeat"]["requests"] > 20
    assert 0 <= routes["heartbeat"]["requests"] - routes["assignment"]["requests"] <= 20
    for route in ("heartbeat", "assignment", "results"):
        figures = routes[route]
        assert 0 < figures["p50"] <= figures["p99"] <= figures["max"]
    usage = report["usage"]
    assert usage["collector_cpu"] > 0
    assert usage["collector_rss"] > 0
    assert report["worst_p99"] == max(
        routes[r]["p99"] for r in ("heartbeat", "assignment", "results")
    )


def test_slow_clients_run_in_their_own_process_and_are_refused_before_tls(
    tmp_path: Path,
) -> None:
    """Every kind of slow client (bench/collector_slow.py, a process of its own) is closed by
    the collector within its idle time; the flood address's connections over its limit are
    closed before the TLS handshake (connection errors, never a 503 over TLS)."""
    out = tmp_path / "report.json"
    fleet = [
        "--agents",
        "5",
        "--duration",
        "8",
        "--heartbeat",
        "1",
        "--results",
        "2",
        "--wait",
        "2",
    ]
    attack = "--slow-clients 2 --flood 6 --max-connections-per-address 4 --read-idle-timeout 2s"
    argv = [*fleet, *attack.split(), "--json", str(out)]
    assert main(argv) == 0
    (report,) = json.loads(out.read_text())
    assert report["errors"] == 0, report["error_samples"]
    slow = report["slow"]
    assert set(slow) == {"no-handshake", "silent", "slow-headers", "slow-body", "flood"}
    assert all(kind["kept"] == 0 for kind in slow.values()), slow
    assert slow["silent"]["answers"].get("408", 0) >= 2, slow["silent"]
    assert slow["flood"]["connect_errors"] > 0 and "503" not in slow["flood"]["answers"]
