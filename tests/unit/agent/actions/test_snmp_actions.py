"""snmp_get and snmp_walk on the fake SNMP session: values as JSON (exact Counter64, text,
hex for binary), the text as net-snmp prints it, failures as one line, devices resolved on
the agent with their own credentials."""

from __future__ import annotations

from pathlib import Path

import pytest

from netwarden.agent.snmp.types import Reason, Tag, V2cCredentials, VarBind, parse_oid
from tests.unit.agent.actions.rig import rig, run_async

SYS_NAME = parse_oid("1.3.6.1.2.1.1.5.0")
SYS_DESCR = parse_oid("1.3.6.1.2.1.1.1.0")
IF_OPER = parse_oid("1.3.6.1.2.1.2.2.1.8")
HC_IN = parse_oid("1.3.6.1.2.1.31.1.1.1.6.1")
MAC, IP_ADDR = "1.3.6.1.2.1.2.2.1.6.1", "1.3.6.1.2.1.4.20.1.1.198.18.1.2"


def _mib() -> dict[tuple[int, ...], VarBind]:
    rows = [
        VarBind(SYS_NAME, Tag.OCTET_STRING, "Sở KH&CN".encode()),
        VarBind(SYS_DESCR, Tag.OCTET_STRING, b"Cisco IOS\r\nline two"),
        VarBind(HC_IN, Tag.COUNTER64, 2**64 - 1),
        VarBind(parse_oid("1.3.6.1.2.1.2.2.1.6.1"), Tag.OCTET_STRING, b"\x00\xa3\xd1\x4f\x2a\x30"),
        VarBind(
            parse_oid("1.3.6.1.2.1.4.20.1.1.198.18.1.2"), Tag.IP_ADDRESS, bytes([198, 18, 1, 2])
        ),
    ]
    rows += [VarBind((*IF_OPER, n), Tag.INTEGER, 1 if n < 3 else 2) for n in range(1, 6)]
    return {vb.oid: vb for vb in rows}


@run_async
async def test_snmp_get_returns_typed_values_in_request_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = rig(tmp_path, monkeypatch, mib=_mib())
    oids = ["1.3.6.1.2.1.31.1.1.1.6.1", ".1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.1.1.0", MAC, IP_ADDR]
    oids.append("1.3.6.1.2.1.1.99.0")
    outcome = await r.run("snmp_get", {"device": "sw-1", "oids": oids})
    assert outcome.ok, outcome.error
    assert outcome.output == {
        "device": "sw-1",
        "values": [
            {"oid": "1.3.6.1.2.1.31.1.1.1.6.1", "type": "Counter64", "value": 2**64 - 1},
            {"oid": "1.3.6.1.2.1.1.5.0", "type": "STRING", "value": "Sở KH&CN"},
            {"oid": "1.3.6.1.2.1.1.1.0", "type": "STRING", "value": "Cisco IOS\r\nline two"},
            {"oid": "1.3.6.1.2.1.2.2.1.6.1", "type": "STRING", "value": "0x00a3d14f2a30"},
            {"oid": "1.3.6.1.2.1.4.20.1.1.198.18.1.2", "type": "IpAddress", "value": "198.18.1.2"},
            {"oid": "1.3.6.1.2.1.1.99.0", "type": "noSuchObject", "value": None},
        ],
    }
    lines = outcome.text.splitlines()
    assert lines[0] == "SNMP GET sw-1"
    assert lines[1] == "1.3.6.1.2.1.31.1.1.1.6.1 = Counter64: 18446744073709551615"
    assert lines[2] == '1.3.6.1.2.1.1.5.0 = STRING: "Sở KH&CN"'
    assert lines[-1] == "1.3.6.1.2.1.1.99.0 = noSuchObject"
    # The device's own address and credential, read on the agent; the session is closed.
    ((target, session),) = r.opened
    assert (target.host, target.credentials) == ("198.18.1.2", V2cCredentials(b"public"))
    assert session.closed
    r.close()


@run_async
async def test_snmp_get_of_a_silent_device_is_a_failed_step_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = rig(tmp_path, monkeypatch, mib=_mib(), snmp_failures={(1, 3, 6): Reason.timeout})
    outcome = await r.run("snmp_get", {"device": "sw-1", "oids": ["1.3.6.1.2.1.1.5.0"]})
    assert not outcome.ok
    assert outcome.error == "sw-1: SNMP GET failed (timeout): fake: timeout for 1.3.6"
    assert r.opened[0][1].closed
    r.close()


@run_async
async def test_snmp_walk_keeps_max_rows_and_says_it_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = rig(tmp_path, monkeypatch, mib=_mib())
    outcome = await r.run(
        "snmp_walk", {"device": "sw-1", "oid": "1.3.6.1.2.1.2.2.1.8", "max_rows": 3}
    )
    assert outcome.ok, outcome.error
    assert outcome.output is not None
    assert [row["value"] for row in outcome.output["rows"]] == [1, 1, 2]
    assert outcome.output["rows"][0] == {
        "oid": "1.3.6.1.2.1.2.2.1.8.1",
        "type": "INTEGER",
        "value": 1,
    }
    assert (outcome.output["truncated"], outcome.output["total"]) == (True, 5)
    assert outcome.text.splitlines()[0] == "SNMP walk sw-1 1.3.6.1.2.1.2.2.1.8: 5 rows"
    assert outcome.text.splitlines()[-1] == "... 2 more rows not kept (max_rows 3)"
    whole = await r.run("snmp_walk", {"device": "sw-1", "oid": "1.3.6.1.2.1.2.2.1.8"})
    assert whole.output is not None and whole.output["truncated"] is False
    assert len(whole.output["rows"]) == 5
    r.close()


@run_async
async def test_a_device_is_resolved_only_from_this_agents_slice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = rig(tmp_path, monkeypatch, mib=_mib())
    unknown = await r.run("snmp_get", {"device": "sw-9", "oids": ["1.3.6.1.2.1.1.5.0"]})
    assert unknown.error == (
        "device sw-9 is not in the inventory of agent agent-a (name the host, or run the step "
        "from the agent that polls it)"
    )
    no_snmp = await r.run("snmp_walk", {"device": "cam-1", "oid": "1.3.6.1.2.1.1"})
    assert no_snmp.error == "cam-1: device cam-1 has no snmp block in the inventory"
    r.inventory = None
    waiting = await r.run("snmp_get", {"device": "sw-1", "oids": ["1.3.6.1.2.1.1.5.0"]})
    assert waiting.error == "agent agent-a has no inventory yet (no assignment)"
    assert r.opened == []
    r.close()


@run_async
async def test_a_secret_the_agent_cannot_read_is_a_failed_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = rig(tmp_path, monkeypatch, mib=_mib())
    monkeypatch.delenv("NW_ACTIONS_COMMUNITY")
    outcome = await r.run("snmp_get", {"device": "sw-1", "oids": ["1.3.6.1.2.1.1.5.0"]})
    assert not outcome.ok
    assert outcome.error.startswith("sw-1: ")
    assert "NW_ACTIONS_COMMUNITY" in outcome.error
    r.close()


@run_async
async def test_bad_params_are_refused_before_anything_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = rig(tmp_path, monkeypatch, mib=_mib())
    outcome = await r.run("snmp_get", {"device": "sw-1", "oids": ["ifDescr.1"], "x": 1})
    assert outcome.error == (
        "snmp_get: oids.0: must be a numeric OID like 1.3.6.1.2.1.1.3.0; "
        "x: is not a parameter of this action"
    )
    assert r.opened == []
    r.close()
