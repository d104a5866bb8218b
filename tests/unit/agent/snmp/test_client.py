"""UdpSnmpSession against the in-process agent of agent_sim (v2c and v3, good and bad days)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from netwarden.agent.snmp.client import UdpSnmpSession, socket_error
from netwarden.agent.snmp.types import (
    Credentials,
    Oid,
    Reason,
    SnmpError,
    Tag,
    Target,
    V2cCredentials,
    V3Credentials,
    VarBind,
)

from .agent_sim import IF_ENTRY, Behaviour, SimAgent, start, table

T = TypeVar("T")
SYS_NAME = (1, 3, 6, 1, 2, 1, 1, 5, 0)
COLUMNS = [(*IF_ENTRY, c) for c in range(1, 6)]
PUBLIC = V2cCredentials(b"public")
V3_USER = V3Credentials("nw", "sha", b"auth-pass-1", "aes", b"priv-pass-1")


def scenario(
    body: Callable[[SimAgent, Callable[..., UdpSnmpSession]], Awaitable[T]],
    mib: dict[Oid, VarBind] | None = None,
    **agent_kwargs: object,
) -> T:
    """Run ``body(agent, session_factory)`` with a fresh agent on 127.0.0.1."""
    data = dict(mib if mib is not None else table(range(1, 6), range(1, 301)))
    data[SYS_NAME] = VarBind(SYS_NAME, Tag.OCTET_STRING, b"sim-01")
    agent = SimAgent(data, **agent_kwargs)  # type: ignore[arg-type]

    async def main() -> T:
        port = await start(agent)
        sessions: list[UdpSnmpSession] = []

        def session(creds: Credentials = PUBLIC, **kw: object) -> UdpSnmpSession:
            # 2 s: an answer never misses it on a loaded machine; tests that expect silence
            # pass their own short timeout.
            options: dict[str, object] = {"timeout": 2.0, "retries": 0, **kw}
            target = Target("127.0.0.1", port, credentials=creds, **options)  # type: ignore[arg-type]
            sessions.append(UdpSnmpSession(target))
            return sessions[-1]

        try:
            return await body(agent, session)
        finally:
            for s in sessions:
                await s.close()
            assert agent.transport is not None
            agent.transport.close()

    return asyncio.run(asyncio.wait_for(main(), 30))


def expected(columns: list[Oid], rows: range) -> dict[Oid, list[VarBind]]:
    cells = table(range(1, 6), rows)
    return {col: [cells[(*col, r)] for r in rows] for col in columns}


# -- v2c: GET and walks -------------------------------------------------------------------------


def test_get_keeps_order_and_marks_absent_objects() -> None:
    async def body(agent: SimAgent, session: Callable[..., UdpSnmpSession]) -> list[VarBind]:
        return await session().get([SYS_NAME, (1, 3, 6, 1, 9, 9, 0), (*IF_ENTRY, 2, 7)])

    got = scenario(body)
    assert [vb.value for vb in got] == [b"sim-01", None, 200007]
    assert got[1].tag == Tag.NO_SUCH_OBJECT
    assert got[2].tag == Tag.COUNTER64


def test_walk_of_columns_side_by_side_matches_the_table() -> None:
    async def body(agent: SimAgent, session: Callable[..., UdpSnmpSession]) -> Any:
        got = await session(max_repetitions=25).bulk_walk(COLUMNS)
        return got, agent.requests

    got, requests = scenario(body)
    assert got == expected(COLUMNS, range(1, 301))
    # 100 varbinds per answer, 5 columns: 20 rows per request, every request names all columns
    assert len(requests) == 16
    assert all(len(pdu.varbinds) == 5 for pdu in requests if not isinstance(pdu, str))


def test_packed_walk_has_the_rows_of_the_table_by_index() -> None:
    async def body(agent: SimAgent, session: Callable[..., UdpSnmpSession]) -> Any:
        return await session(max_repetitions=25).walk_columns(COLUMNS)

    got = scenario(body)
    assert {col: rows.varbinds(col) for col, rows in got.items()} == expected(
        COLUMNS, range(1, 301)
    )
    assert got[COLUMNS[2]].by_index() == {r: 3 * 100000 + r for r in range(1, 301)}


def test_walk_survives_answers_cut_in_the_middle_of_a_row() -> None:
    async def body(agent: SimAgent, session: Callable[..., UdpSnmpSession]) -> Any:
        return await session().bulk_walk(COLUMNS[:3])

    got = scenario(body, behaviour=Behaviour(max_varbinds=7, partial_rows=True))
    assert got == expected(COLUMNS[:3], range(1, 301))


def test_walk_stops_at_end_of_mib_view_and_at_empty_subtrees() -> None:
    mib = table([1, 2], range(1, 4))
    roots = [(*IF_ENTRY, 2), (*IF_ENTRY, 9), (1, 3, 6, 1, 2, 1, 2, 2, 1, 1)]

    async def body(agent: SimAgent, session: Callable[..., UdpSnmpSession]) -> Any:
        # SYS_NAME sorts first, so ifEntry.2 is the last subtree: it ends with endOfMibView
        return await session().bulk_walk(roots)

    got = scenario(body, mib=mib)
    assert [vb.value for vb in got[roots[0]]] == [200001, 200002, 200003]
    assert got[roots[1]] == []
    assert [vb.value for vb in got[roots[2]]] == [100001, 100002, 100003]


def test_too_big_halves_max_repetitions_and_the_session_keeps_it() -> None:
    async def body(agent: SimAgent, session: Callable[..., UdpSnmpSession]) -> Any:
        first = session(max_repetitions=25)
        got = await first.bulk_walk(COLUMNS)
        other = session(max_repetitions=25)
        return got, first.max_repetitions, other.max_repetitions

    got, tuned, untouched = scenario(body, behaviour=Behaviour(too_big_above=5))
    assert got == expected(COLUMNS, range(1, 301))
    assert (tuned, untouched) == (3, 25)  # 25 -> 12 -> 6 -> 3; never shared


def test_an_agent_whose_oids_do_not_increase_is_a_decode_error() -> None:
    def loop_back(varbinds: list[VarBind]) -> list[VarBind]:
        return [VarBind((*IF_ENTRY, 1, 1), vb.tag, vb.value) for vb in varbinds]

    async def body(agent: SimAgent, session: Callable[..., UdpSnmpSession]) -> Any:
        return await session().bulk_walk([(*IF_ENTRY, 1)])

    with pytest.raises(SnmpError) as err:
        scenario(body, behaviour=Behaviour(rewrite=loop_back))
    assert err.value.reason == Reason.decode
    assert "not increasing" in str(err.value)


def test_error_status_is_reported_with_its_name() -> None:
    async def body(agent: SimAgent, session: Callable[..., UdpSnmpSession]) -> Any:
        return await session().get([SYS_NAME])

    with pytest.raises(SnmpError) as err:
        scenario(body, behaviour=Behaviour(error_status=5))
    assert err.value.reason == Reason.error_status
    assert "genErr" in str(err.value)


def test_garbage_answer_is_a_decode_error() -> None:
    async def body(agent: SimAgent, session: Callable[..., UdpSnmpSession]) -> Any:
        return await session().get([SYS_NAME])

    with pytest.raises(SnmpError) as err:
        scenario(body, behaviour=Behaviour(garbage=b"\x30\x03\x02\x01"))
    assert err.value.reason == Reason.decode


# -- v2c: silence, retries, ICMP ---------------------------------------------------------------


def test_a_retry_recovers_a_lost_answer() -> None:
    # The retry's answer is expected: the file's 2 s timeout (0.2 s was missed when a loaded
    # machine ran the loop late), which the dropped first attempt waits out.
    async def body(agent: SimAgent, session: Callable[..., UdpSnmpSession]) -> Any:
        return await session(retries=1).get([SYS_NAME])

    assert scenario(body, behaviour=Behaviour(drop=1))[0].value == b"sim-01"


def test_silence_is_a_timeout_after_every_attempt() -> None:
    async def body(agent: SimAgent, session: Callable[..., UdpSnmpSession]) -> Any:
        t0 = time.monotonic()
        with pytest.raises(SnmpError) as err:
            await session(retries=2, timeout=0.1).get([SYS_NAME])
        return err.value, time.monotonic() - t0, agent.requests

    error, took, requests = scenario(body, behaviour=Behaviour(drop=10))
    assert error.reason == Reason.timeout
    # At least three timeouts of 0.1 s; the upper bound tells them from three of the default
    # 2 s (6 s) with seconds to spare for a loaded machine.
    assert 0.3 <= took < 3.0
    assert requests == ["dropped"] * 3


def test_wrong_community_is_a_timeout() -> None:
    async def body(agent: SimAgent, session: Callable[..., UdpSnmpSession]) -> Any:
        return await session(V2cCredentials(b"wrong"), timeout=0.3).get([SYS_NAME])

    with pytest.raises(SnmpError) as err:
        scenario(body)
    assert err.value.reason == Reason.timeout


def test_nothing_listening_is_refused() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    async def main() -> None:
        async with UdpSnmpSession(Target("127.0.0.1", port, timeout=2.0, retries=0)) as session:
            await session.get([SYS_NAME])

    with pytest.raises(SnmpError) as err:
        asyncio.run(main())
    assert err.value.reason == Reason.refused


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (ConnectionRefusedError(111, "refused"), Reason.refused),
        (OSError(113, "No route to host"), Reason.unreachable),
        (OSError(101, "Network is unreachable"), Reason.unreachable),
        (socket.gaierror(-2, "Name or service not known"), Reason.other),
        (OSError(90, "Message too long"), Reason.other),
    ],
)
def test_socket_errors_map_to_bounded_reasons(exc: OSError, reason: Reason) -> None:
    assert socket_error(exc, "x").reason == reason


def test_concurrent_requests_on_one_session_pair_by_request_id() -> None:
    async def body(agent: SimAgent, session: Callable[..., UdpSnmpSession]) -> Any:
        s = session()
        oids = [(*IF_ENTRY, 1, r) for r in range(1, 21)]
        return await asyncio.gather(*(s.get([oid]) for oid in oids))

    got = scenario(body)
    assert [answer[0].value for answer in got] == [100000 + r for r in range(1, 21)]


def test_a_closed_session_refuses_work() -> None:
    async def body(agent: SimAgent, session: Callable[..., UdpSnmpSession]) -> Any:
        s = session()
        await s.get([SYS_NAME])
        await s.close()
        return await s.get([SYS_NAME])

    with pytest.raises(SnmpError) as err:
        scenario(body)
    assert err.value.reason == Reason.other


# -- v3 ------------------------------------------------------------------------------------------

V3_LEVELS = [
    V3Credentials("a", "md5", b"auth-pass-1", "des", b"priv-pass-1"),
    V3Credentials("b", "sha", b"auth-pass-1", "aes", b"priv-pass-1"),
    V3Credentials("c", "sha224", b"auth-pass-1", "aes192", b"priv-pass-1"),
    V3Credentials("d", "sha256", b"auth-pass-1", "aes256", b"priv-pass-1"),
    V3Credentials("e", "sha384", b"auth-pass-1", "aes256c", b"priv-pass-1"),
    V3Credentials("f", "sha512", b"auth-pass-1", "des", b"priv-pass-1"),
    V3Credentials("g", "sha256", b"auth-pass-1"),
    V3Credentials("h"),
]


@pytest.mark.parametrize("creds", V3_LEVELS, ids=repr)
def test_v3_discovers_the_engine_then_gets_and_walks(creds: V3Credentials) -> None:
    async def body(agent: SimAgent, session: Callable[..., UdpSnmpSession]) -> Any:
        s = session(creds)
        name = await s.get([SYS_NAME])
        walked = await s.bulk_walk(COLUMNS[:2])
        return name, walked, agent.requests

    name, walked, requests = scenario(body, users={creds.user.encode(): creds})
    assert name[0].value == b"sim-01"
    assert walked == expected(COLUMNS[:2], range(1, 301))
    assert requests.count("discovery") == 1


def test_v3_wrong_auth_password_is_auth() -> None:
    wrong = V3Credentials("nw", "sha", b"not-the-pass", "aes", b"priv-pass-1")

    async def body(agent: SimAgent, session: Callable[..., UdpSnmpSession]) -> Any:
        return await session(wrong).get([SYS_NAME])

    with pytest.raises(SnmpError) as err:
        scenario(body, users={b"nw": V3_USER})
    assert err.value.reason == Reason.auth
    assert "usmStatsWrongDigests" in str(err.value)


def test_v3_unknown_user_is_auth() -> None:
    async def body(agent: SimAgent, session: Callable[..., UdpSnmpSession]) -> Any:
        return await session(V3_USER).get([SYS_NAME])

    with pytest.raises(SnmpError) as err:
        scenario(body, users={})
    assert err.value.reason == Reason.auth
    assert "usmStatsUnknownUserNames" in str(err.value)


def test_v3_clock_jump_resyncs_once_and_retries() -> None:
    async def body(agent: SimAgent, session: Callable[..., UdpSnmpSession]) -> Any:
        s = session(V3_USER)
        await s.get([SYS_NAME])
        agent.behaviour.time_offset = 10_000  # the agent rebooted or its clock jumped
        got = await s.get([SYS_NAME])
        return got, agent.requests

    got, requests = scenario(body, users={b"nw": V3_USER})
    assert got[0].value == b"sim-01"
    assert requests.count("discovery") == 1
    assert len([r for r in requests if not isinstance(r, str)]) == 2  # the retry, not more


def test_v3_state_is_per_session() -> None:
    async def body(agent: SimAgent, session: Callable[..., UdpSnmpSession]) -> Any:
        await session(V3_USER).get([SYS_NAME])
        await session(V3_USER).get([SYS_NAME])
        return agent.requests.count("discovery")

    assert scenario(body, users={b"nw": V3_USER}) == 2


def test_v3_silent_agent_is_a_timeout() -> None:
    async def body(agent: SimAgent, session: Callable[..., UdpSnmpSession]) -> Any:
        return await session(V3_USER, timeout=0.3).get([SYS_NAME])

    with pytest.raises(SnmpError) as err:
        scenario(body, users={}, behaviour=Behaviour(silent_reports=True))
    assert err.value.reason == Reason.timeout
