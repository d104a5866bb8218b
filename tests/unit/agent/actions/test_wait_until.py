"""wait_until: an SNMP value or a probe checked every ``every`` seconds until the condition
holds or the timeout; bounded in time and in checks; not met is a failed step with the last
check."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from netwarden.agent.actions.conditions import holds
from netwarden.agent.probes.result import ProbeReason, ProbeResult
from netwarden.agent.snmp.types import Reason, Tag, VarBind, parse_oid
from tests.unit.agent.actions.rig import rig, run_async

OPER = "1.3.6.1.2.1.2.2.1.8.2"


@pytest.mark.parametrize(
    ("comparison", "expected", "value", "met"),
    [
        ("equals", 1, 1, True),
        ("equals", 1, 2, False),
        ("equals", 1, "1", True),
        ("equals", "up", "up", True),
        ("equals", "1", 1, True),
        ("equals", 1, None, False),
        ("not_equals", 1, 2, True),
        ("not_equals", 1, None, False),
        ("below", 10, 9.5, True),
        ("below", 10, 10, False),
        ("above", 90, 91, True),
        ("above", 90, "n/a", False),
        ("above", 90, None, False),
    ],
)
def test_comparisons(comparison: Any, expected: Any, value: Any, met: bool) -> None:
    assert holds(comparison, expected, value) is met


@run_async
async def test_an_snmp_condition_met_after_a_few_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    oid = parse_oid(OPER)
    r = rig(tmp_path, monkeypatch, mib={oid: VarBind(oid, Tag.INTEGER, 2)})
    params = {
        "condition": {"snmp": {"device": "sw-1", "oid": OPER, "equals": 1}},
        "every": 0.1,
        "timeout": 5,
    }

    async def link_comes_back() -> None:
        # Bounded: at most 10 s of looking, whatever the action does.
        for _ in range(1000):
            if r.opened and len(r.opened[0][1].calls) >= 3:
                r.opened[0][1].set(oid, Tag.INTEGER, 1)
                return
            await asyncio.sleep(0.01)

    back = asyncio.create_task(link_comes_back())
    outcome = await r.run("wait_until", params)
    await back
    assert outcome.ok, outcome.error
    assert outcome.output is not None
    assert outcome.output["met"] is True
    assert outcome.output["checks"] >= 3
    assert outcome.output["last"] == {"oid": OPER, "type": "INTEGER", "value": 1}
    assert 0.2 <= outcome.output["after_seconds"] < 5
    assert outcome.text.startswith(f"wait until sw-1 {OPER} equals 1: met after ")
    assert len(r.opened) == 1 and r.opened[0][1].closed  # one session for the whole wait
    r.close()


@run_async
async def test_not_met_by_the_timeout_is_a_failed_step_with_the_last_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    oid = parse_oid(OPER)
    r = rig(
        tmp_path,
        monkeypatch,
        mib={oid: VarBind(oid, Tag.INTEGER, 2)},
        snmp_failures={oid: Reason.timeout},
    )
    params = {
        "condition": {"snmp": {"device": "sw-1", "oid": OPER, "below": 2}},
        "every": 0.1,
        "timeout": 0.35,
    }
    outcome = await r.run("wait_until", params)
    assert not outcome.ok
    assert outcome.output is not None
    # One check at once and one per 0.1 s that still starts within 0.35 s: 4 at most, never
    # more; fewer when a loaded machine wakes the loop late, but always checked again.
    assert outcome.output["met"] is False and 2 <= outcome.output["checks"] <= 4
    assert outcome.output["last"] == {"error": f"timeout: fake: timeout for {OPER}"}
    assert outcome.error == (
        f"condition not met within 0.35 s (sw-1 {OPER} below 2.0; last: "
        f"{{'error': 'timeout: fake: timeout for {OPER}'}})"
    )
    r.close()


@run_async
async def test_a_probe_condition_waits_for_the_outcome_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = rig(tmp_path, monkeypatch)
    answers = [
        ProbeResult(True, 0.01),
        ProbeResult(True, 0.01),
        ProbeResult(False, 0.5, ProbeReason.refused, "refused"),
    ]

    async def answer(kind: str, target: object, deadline: float) -> ProbeResult:
        return answers.pop(0) if len(answers) > 1 else answers[0]

    r.probers.answer = answer  # type: ignore[method-assign]
    target = {"host": "198.18.1.50", "port": 554}
    params = {
        "condition": {"probe": {"kind": "tcp", "target": target, "success": False}},
        "every": 0.1,
        "timeout": 5,
    }
    outcome = await r.run("wait_until", params)
    assert outcome.ok, outcome.error
    assert outcome.output is not None
    assert (outcome.output["met"], outcome.output["checks"]) == (True, 3)
    assert outcome.output["last"] == {"success": False, "reason": "refused", "message": "refused"}
    assert outcome.text.startswith("wait until tcp probe of 198.18.1.50:554 fails: met after ")
    kinds = {call[0] for call in r.probers.calls}
    assert kinds == {"tcp"}
    assert all(0.1 <= call[2] <= 5 for call in r.probers.calls)
    bad = await r.run("wait_until", {"condition": {"probe": {"kind": "tcp", "target": {}}}})
    assert bad.error == "wait_until: probe tcp: the target needs 'host'"
    r.close()
