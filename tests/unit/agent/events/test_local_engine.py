"""The agent's own SNMP engine with the in-repo codec: the engine file, discovery Reports, the
time window, and a retried inform answered twice but kept once."""

from __future__ import annotations

import asyncio
import logging
import socket
from pathlib import Path

import pytest

from netwarden.agent.events.inform_dedupe import RecentInforms
from netwarden.agent.events.local_engine import LocalEngine
from netwarden.agent.events.trap_decode import (
    SNMP_TRAP_OID,
    SYS_UPTIME,
    Notification,
    Report,
    TrapError,
    decode_notification,
)
from netwarden.agent.events.usm_reports import NOT_IN_TIME_WINDOWS, UNKNOWN_ENGINE_IDS, USM_STATS
from netwarden.agent.snmp.ber import Pdu, PduType, encode_pdu
from netwarden.agent.snmp.messages import UsmParams, encode_scoped_pdu, open_v3, seal_v3
from netwarden.agent.snmp.types import Tag, V3Credentials, VarBind
from netwarden.agent.snmp.usm import FLAG_AUTH, FLAG_PRIV, FLAG_REPORTABLE, LocalKeys
from netwarden.agent.snmp.v3 import UsmState
from tests.unit.agent.events.conftest import V3_AUTH, V3_PRIV, V3_USER, running_agent
from tests.unit.agent.sync.conftest import run_async, wait_for

CREDS = V3Credentials(V3_USER, "sha", V3_AUTH.encode(), "aes", V3_PRIV.encode())
LINK_UP = (1, 3, 6, 1, 6, 3, 1, 1, 5, 4)


def _inform(engine: LocalEngine, keys: LocalKeys, *, boots: int | None = None) -> bytes:
    varbinds = [
        VarBind(SYS_UPTIME, Tag.TIMETICKS, 5),
        VarBind(SNMP_TRAP_OID, Tag.OBJECT_IDENTIFIER, LINK_UP),
    ]
    pdu = encode_pdu(Pdu(PduType.INFORM, 4711, 0, 0, varbinds))
    params = UsmParams(engine.engine_id, engine.boots if boots is None else boots,
                       engine.time(), V3_USER.encode())  # fmt: skip
    flags = FLAG_AUTH | FLAG_PRIV | FLAG_REPORTABLE
    return seal_v3(99, flags, params, encode_scoped_pdu(engine.engine_id, b"", pdu), keys)


def test_the_engine_file_keeps_the_id_and_counts_boots(tmp_path: Path) -> None:
    path = tmp_path / "state" / "snmp-engine.json"
    first = LocalEngine.load(path)
    second = LocalEngine.load(path)
    assert first.engine_id == second.engine_id
    assert (first.boots, second.boots) == (1, 2)
    # RFC 3411: enterprise with the high bit, format 5 (octets), 12 octets of its own.
    assert first.engine_id[:5] == bytes.fromhex("80007ed905") and len(first.engine_id) == 17
    assert LocalEngine.load(tmp_path / "other.json").engine_id != first.engine_id


def test_a_corrupt_engine_file_is_one_error_line_and_an_engine_for_this_run(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "snmp-engine.json"
    path.write_text("{not json", encoding="utf-8")
    with caplog.at_level(logging.ERROR):
        engine = LocalEngine.load(path)
    assert engine.boots == 1 and len(engine.engine_id) == 17
    assert "cannot read" in caplog.text and "for this run only" in caplog.text
    assert path.read_text(encoding="utf-8") == "{not json"  # left for the admin to look at


def test_discovery_gets_our_engine_id_boots_and_time() -> None:
    engine = LocalEngine(bytes.fromhex("80007ed905") + bytes(12), 7)
    probe = UsmState(CREDS).discovery_request(321)
    answer = decode_notification(probe, lambda user, eid: None, engine)
    assert isinstance(answer, Report) and answer.reply is not None
    msg = open_v3(answer.reply, None)
    assert (msg.msg_id, msg.usm.engine_id, msg.usm.boots) == (321, engine.engine_id, 7)
    assert msg.pdu.type is PduType.REPORT and msg.pdu.request_id == 321
    assert msg.pdu.varbinds[0].oid == (*USM_STATS, UNKNOWN_ENGINE_IDS, 0)
    # Our own Report is what the project's v3 client learns the engine from.
    state = UsmState(CREDS)
    state.learn(answer.reply)
    assert state.engine_id == engine.engine_id


def test_an_inform_outside_the_time_window_gets_an_authenticated_report() -> None:
    engine = LocalEngine(bytes.fromhex("80007ed905") + bytes(12), 3)
    keys = LocalKeys(CREDS, engine.engine_id)
    with pytest.raises(TrapError) as caught:
        decode_notification(_inform(engine, keys, boots=2), lambda u, e: keys, engine)
    assert caught.value.reason == "not-in-time-window" and caught.value.reply is not None
    report = open_v3(caught.value.reply, keys)  # checks our HMAC with the sender's keys
    assert report.authenticated and not report.flags & FLAG_PRIV
    assert report.pdu.varbinds[0].oid == (*USM_STATS, NOT_IN_TIME_WINDOWS, 0)
    assert (report.usm.boots, report.pdu.request_id) == (3, 4711)
    note = decode_notification(_inform(engine, keys), lambda u, e: keys, engine)
    assert isinstance(note, Notification) and note.reply is not None
    response = open_v3(note.reply, keys)
    assert (response.pdu.type, response.pdu.request_id) == (PduType.RESPONSE, 4711)
    assert response.flags & (FLAG_AUTH | FLAG_PRIV) == FLAG_AUTH | FLAG_PRIV


def test_recent_informs_forget_after_the_window_and_stay_bounded() -> None:
    now = [0.0]
    recent = RecentInforms(window=10.0, limit=3, clock=lambda: now[0])
    assert recent.first_time(("a", b"u", 1)) and not recent.first_time(("a", b"u", 1))
    assert recent.first_time(("b", b"u", 1))  # another sender, same request-id
    now[0] = 11.0
    assert recent.first_time(("a", b"u", 1))  # a new inform after the window
    for n in range(10):
        recent.first_time(("c", b"u", n))
    assert len(recent._seen) == 3


@run_async
async def test_a_retried_inform_is_answered_each_time_and_kept_once(tmp_path: Path) -> None:
    async with running_agent(tmp_path) as agent:
        engine = agent.service.engine
        assert engine is not None
        keys = LocalKeys(CREDS, engine.engine_id)
        datagram = _inform(engine, keys)
        loop = asyncio.get_running_loop()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.2", 0))
            sock.setblocking(False)
            await loop.sock_connect(sock, ("127.0.0.1", agent.port("trap")))
            for _ in range(3):  # the sender lost our Response twice
                await loop.sock_sendall(sock, datagram)
                reply = await asyncio.wait_for(loop.sock_recv(sock, 65535), 5.0)
                assert open_v3(reply, keys).pdu.type is PduType.RESPONSE
        await wait_for(lambda: agent.dropped("trap", "duplicate") == 2, what="two duplicates")
        await wait_for(lambda: agent.sink.payloads(kind="linkUp"), what="the inform's event")
        await agent.service.flush()
        assert len(agent.sink.payloads(kind="linkUp")) == 1
        assert 'netwarden_events_dropped_total{listener="trap",reason="duplicate"} 2' in (
            agent.metrics()
        )


def test_the_engine_file_is_the_state_dirs_unless_the_environment_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from netwarden.agent.agent_run import ENGINE_FILE_ENV, engine_file

    monkeypatch.delenv(ENGINE_FILE_ENV, raising=False)
    assert engine_file(tmp_path) == tmp_path / "snmp-engine.json"
    assert engine_file(None) == Path("/var/lib/netwarden/snmp-engine.json")
    monkeypatch.setenv(ENGINE_FILE_ENV, str(tmp_path / "e.json"))
    assert engine_file(None) == tmp_path / "e.json"
