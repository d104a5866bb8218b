"""SNMPv3 informs against net-snmp's snmpinform on loopback: the agent is the authoritative
engine (RFC 3414 §4), so snmpinform discovers our engine ID, boots and time, sends the inform
with keys localised to it, and exits 0 only once our authenticated, encrypted Response came.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.unit.agent.events.conftest import V3_AUTH, V3_PRIV, V3_USER, run_tool, running_agent
from tests.unit.agent.sync.conftest import run_async, wait_for

LINK_UP = "1.3.6.1.6.3.1.1.5.4"
# snmpinform's wait for each answer (s): every inform here is answered (a Response or a
# Report), so this costs nothing; at 2 s a loaded machine's late answer failed the sender.
ANSWER_WITHIN = "5"
IF_INDEX_2 = ("1.3.6.1.2.1.2.2.1.1.2", "i", "2")


def _inform(target: str, *, auth: str = V3_AUTH, user: str = V3_USER, level: str = "authPriv",
            retries: str = "0", priv: str = V3_PRIV) -> tuple[str, ...]:  # fmt: skip
    return (
        "snmpinform", "-v3", "-u", user, "-l", level, "-a", "SHA", "-A", auth, "-x", "AES",
        "-X", priv, "-t", ANSWER_WITHIN, "-r", retries, "--clientaddr=127.0.0.2", target, "",
        LINK_UP, *IF_INDEX_2,
    )  # fmt: skip


@run_async
async def test_v3_authpriv_informs_are_answered_and_kept_once(tmp_path: Path) -> None:
    async with running_agent(tmp_path) as agent:
        target = f"127.0.0.1:{agent.port('trap')}"
        code, out = await run_tool(*_inform(target))
        assert code == 0, out  # snmpinform got our Response
        await wait_for(lambda: agent.sink.payloads(kind="linkUp"), what="the v3 inform's event")
        event = agent.sink.payloads(kind="linkUp")[0]
        assert (event["device"], event["version"], event["pdu"]) == ("sw-3", "v3", "inform")
        assert (event["ifIndex"], event["ifName"]) == (2, "Gi0/2")
        # authNoPriv too: the Response comes back at the inform's own security level.
        code, out = await run_tool(*_inform(target, level="authNoPriv"))
        assert code == 0, out
        await wait_for(lambda: len(agent.sink.payloads(kind="linkUp")) == 2, what="2nd inform")
        # The engine ID the sender discovered is the one kept in the state dir.
        kept = json.loads((tmp_path / "snmp-engine.json").read_text())
        assert agent.service.engine is not None
        assert kept == {"engine_id": agent.service.engine.engine_id.hex(), "boots": 1}
        assert agent.service.engine.engine_id[:4] == bytes.fromhex("80007ed9")
        assert 'trap="linkUp"} 2' in agent.metrics()


@run_async
async def test_a_wrong_key_or_unknown_user_fails_the_sender_and_is_counted(tmp_path: Path) -> None:
    async with running_agent(tmp_path) as agent:
        target = f"127.0.0.1:{agent.port('trap')}"
        code, out = await run_tool(*_inform(target, auth="not-the-right-key"))
        assert code != 0, out  # never a Response
        assert "Authentication failure" in out  # our usmStatsWrongDigests Report
        await wait_for(lambda: agent.dropped("trap", "auth") >= 1, what="the auth drop")
        code, out = await run_tool(*_inform(target, user="nobody"))
        assert code != 0, out
        assert "Unknown user name" in out  # our usmStatsUnknownUserNames Report
        code, out = await run_tool(*_inform(target, priv="not-the-right-priv"))
        assert code != 0, out
        assert "Decryption error" in out  # usmStatsDecryptionErrors: the auth key was right
        await wait_for(lambda: agent.dropped("trap", "auth") >= 2, what="the decryption drop")
        await wait_for(lambda: agent.dropped("trap", "unknown-user") >= 1, what="unknown-user")
        assert not agent.sink.payloads(kind="linkUp")
        text = agent.metrics()
        assert 'netwarden_events_dropped_total{listener="trap",reason="unknown-user"} 1' in text
        # Discovery is a step of the protocol, not a drop; the right key still works after.
        code, out = await run_tool(*_inform(target))
        assert code == 0, out
        await wait_for(lambda: agent.sink.payloads(kind="linkUp"), what="the good inform")


@run_async
async def test_a_sender_with_stale_boots_resynchronises_from_our_report(tmp_path: Path) -> None:
    async with running_agent(tmp_path) as agent:
        engine = agent.service.engine
        assert engine is not None
        argv = list(_inform(f"127.0.0.1:{agent.port('trap')}", retries="1"))
        # As a device that knew our engine before the agent restarted: right ID, old boots.
        at = argv.index("-t")
        argv[at:at] = ["-e", "0x" + engine.engine_id.hex(), "-Z", f"{engine.boots + 4},100"]
        code, out = await run_tool(*argv)
        assert code == 0, out  # it took our usmStatsNotInTimeWindows, resynced, and resent
        assert agent.dropped("trap", "not-in-time-window") == 1
        await wait_for(lambda: agent.sink.payloads(kind="linkUp"), what="the resent inform")
