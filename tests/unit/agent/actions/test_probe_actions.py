"""ping, tcp, http and traceroute with the fake probers and tracer: the agent's own probers
with the step's params, a target's failure as data, the output and the text."""

from __future__ import annotations

from pathlib import Path

import pytest

from netwarden.agent.actions.tracer import TraceError
from netwarden.agent.probes import http, icmp, tcp
from netwarden.agent.probes.result import ProbeReason, ProbeResult
from tests.unit.agent.actions.rig import rig, run_async

RTTS = {"min": 0.001, "avg": 0.002, "max": 0.004, "p50": 0.0015, "p95": 0.0038}


@run_async
async def test_ping_reports_loss_rtt_and_jitter_and_keeps_the_old_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = rig(tmp_path, monkeypatch)
    values = {icmp.LOSS: 0.2, icmp.JITTER: 0.0005, icmp.SENT: 10.0}
    r.probers.results["icmp"] = ProbeResult(True, 2.1, values=values, labelled={icmp.RTT: RTTS})
    outcome = await r.run("ping", {"device": "sw-1", "count": 10, "interval": "100ms"})
    assert outcome.ok, outcome.error
    out = outcome.output
    assert out is not None
    assert (out["host"], out["device"], out["sent"], out["received"]) == (
        "198.18.1.2",
        "sw-1",
        10,
        8,
    )
    assert (out["loss_ratio"], out["jitter"], out["rtt"]) == (0.2, 0.0005, RTTS)
    assert (out["success"], out["reason"], out["duration"]) == (True, "", 2.1)
    assert out["values"] == values and out["labelled"] == {icmp.RTT: RTTS}
    assert outcome.text == (
        "ping sw-1 (198.18.1.2): 10 sent, 8 received, 20% loss\n"
        "rtt min/avg/max/p50/p95 = 1.000/2.000/4.000/1.500/3.800 ms, jitter 0.500 ms\n"
    )
    ((kind, target, deadline),) = r.probers.calls
    assert (kind, target) == ("icmp", icmp.IcmpTarget("198.18.1.2", 10, 0.1, 1.0))
    assert deadline == pytest.approx(10 * 0.1 + 1.0 + 5.0)
    r.close()


@run_async
async def test_a_dead_host_is_data_not_a_failed_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = rig(tmp_path, monkeypatch)
    values = {icmp.LOSS: 1.0, icmp.JITTER: 0.0, icmp.SENT: 5.0}
    r.probers.results["icmp"] = ProbeResult(
        False, 6.0, ProbeReason.loss, "all 5 packets lost", values
    )
    outcome = await r.run("ping", {"host": "198.18.1.99", "count": 5})
    assert outcome.ok
    assert outcome.output is not None
    assert (outcome.output["received"], outcome.output["loss_ratio"]) == (0, 1.0)
    assert outcome.output["rtt"] == dict.fromkeys(("min", "avg", "max", "p50", "p95"))
    assert outcome.output["jitter"] is None
    assert outcome.text == (
        "ping 198.18.1.99: 5 sent, 0 received, 100% loss\nloss: all 5 packets lost\n"
    )
    r.close()


@run_async
async def test_tcp_connects_to_the_device_or_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = rig(tmp_path, monkeypatch)
    r.probers.results["tcp"] = ProbeResult(True, 0.003, values={tcp.CONNECT_SECONDS: 0.002})
    outcome = await r.run("tcp", {"device": "cam-1", "port": 554})
    assert outcome.ok and outcome.output is not None
    assert outcome.output["connected"] is True
    assert (outcome.output["host"], outcome.output["port"]) == ("198.18.1.50", 554)
    assert outcome.text == "tcp 198.18.1.50:554: connected in 2.000 ms\n"
    r.probers.results["tcp"] = ProbeResult(False, 0.001, ProbeReason.refused, "connect: refused")
    refused = await r.run("tcp", {"host": "2001:db8::5", "port": 22, "timeout": 1})
    assert refused.ok and refused.output is not None
    assert (refused.output["connected"], refused.output["reason"]) == (False, "refused")
    assert refused.text == "tcp [2001:db8::5]:22: not connected (refused): connect: refused\n"
    assert [c[1] for c in r.probers.calls] == [
        tcp.TcpTarget("198.18.1.50", 554, 3.0),
        tcp.TcpTarget("2001:db8::5", 22, 1.0),
    ]
    r.close()


@run_async
async def test_http_reports_status_phases_and_certificate_days(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = rig(tmp_path, monkeypatch)
    phases = {
        "resolve": 0.001,
        "connect": 0.002,
        "tls": 0.01,
        "processing": 0.02,
        "transfer": 0.001,
    }
    values = {
        http.STATUS_CODE: 200.0,
        http.TLS_DAYS_LEFT: 12.5,
        http.TLS_VERIFIED: 1.0,
        http.REDIRECT_COUNT: 1.0,
        http.CONTENT_LENGTH: 5120.0,
    }
    r.probers.results["http"] = ProbeResult(
        True, 0.034, values=values, labelled={http.PHASE_SECONDS: phases}
    )
    params = {"url": "https://198.18.10.5/", "ca_file": "/etc/netwarden/portal-ca.pem"}
    outcome = await r.run("http", params)
    assert outcome.ok and outcome.output is not None
    out = outcome.output
    assert (out["status"], out["success"], out["tls_days_left"], out["tls_verified"]) == (
        200,
        True,
        12.5,
        True,
    )
    assert (out["phases"], out["redirects"], out["content_length"]) == (phases, 1, 5120)
    assert outcome.text.splitlines()[0] == "GET https://198.18.10.5/: status 200, ok"
    assert outcome.text.splitlines()[-1] == "TLS certificate: 12.5 days left (verified)"
    ((_, target, deadline),) = r.probers.calls
    assert target == http.HttpTarget(
        "https://198.18.10.5/", 200, True, timeout=10.0, ca_file="/etc/netwarden/portal-ca.pem"
    )
    assert deadline == 10.0
    r.probers.results["http"] = ProbeResult(False, 10.0, ProbeReason.timeout, "no answer")
    down = await r.run("http", {"url": "http://portal.example/", "expect_status": 204})
    assert down.ok and down.output is not None
    assert (down.output["success"], down.output["status"], down.output["tls_days_left"]) == (
        False,
        None,
        None,
    )
    assert down.text.startswith("GET http://portal.example/: status -, FAILED (timeout): no answer")
    r.close()


@run_async
async def test_traceroute_lists_hops_to_the_destination(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = rig(tmp_path, monkeypatch)
    r.tracer.path = ["198.19.255.2", "198.19.1.2"]
    r.tracer.silent = {2}
    outcome = await r.run("traceroute", {"device": "sw-1", "max_hops": 8, "timeout": "500ms"})
    assert outcome.ok and outcome.output is not None
    assert outcome.output["reached"] is True
    assert outcome.output["hops"] == [
        {"ttl": 1, "address": "198.19.255.2", "rtt": 0.001},
        {"ttl": 2, "address": None, "rtt": None},
        {"ttl": 3, "address": "198.18.1.2", "rtt": 0.003},
    ]
    assert outcome.text.splitlines() == [
        "traceroute to 198.18.1.2 (198.18.1.2), 8 hops max",
        "  1  198.19.255.2     1.000 ms",
        "  2  *",
        "  3  198.18.1.2       3.000 ms",
        "reached",
    ]
    assert r.tracer.calls == [("198.18.1.2", 8, 0.5)]
    r.tracer.path = ["198.19.255.2"] * 4  # a loop: never reaches it
    lost = await r.run("traceroute", {"host": "198.18.7.7", "max_hops": 4})
    assert lost.ok and lost.output is not None
    assert (lost.output["reached"], len(lost.output["hops"])) == (False, 4)
    assert lost.text.splitlines()[-1] == "not reached within 4 hops"
    r.tracer.error = TraceError("traceroute needs a raw socket (root or CAP_NET_RAW)")
    failed = await r.run("traceroute", {"host": "198.18.7.7"})
    assert (failed.ok, failed.error) == (
        False,
        "traceroute needs a raw socket (root or CAP_NET_RAW)",
    )
    r.close()


@run_async
async def test_traceroute_of_a_name_that_does_not_resolve_fails_in_a_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = rig(tmp_path, monkeypatch)
    outcome = await r.run("traceroute", {"host": "no-such-host.invalid"})
    assert not outcome.ok
    assert outcome.error.startswith("traceroute: cannot resolve no-such-host.invalid: ")
    assert r.tracer.calls == []
    r.close()


@run_async
async def test_an_action_past_its_time_bound_is_cut_with_a_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = rig(tmp_path, monkeypatch)

    async def hang(kind: str, target: object, deadline: float) -> ProbeResult:
        import asyncio

        await asyncio.sleep(3600)
        raise AssertionError("not reached")

    r.probers.answer = hang  # type: ignore[method-assign]
    outcome = await r.run("tcp", {"host": "h", "port": 1, "timeout": 0.05})
    assert (outcome.ok, outcome.error) == (False, "tcp: no result within 5.05 s")
    r.close()
