"""The pysnmp reference engine: its conversions, and its session against the in-process agent."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from pyasn1.type import univ
from pysnmp.proto.rfc1902 import ObjectName

from netwarden.agent.snmp.engines import EngineName, session_factory
from netwarden.agent.snmp.pysnmp_engine import (
    PysnmpSession,
    auth_data,
    hlapi,
    reason_of,
    to_varbind,
)
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
from .oracle import to_pysnmp_value, varbinds

T = TypeVar("T")
Walk = Mapping[Oid, list[VarBind]]
SYS_NAME = (1, 3, 6, 1, 2, 1, 1, 5, 0)
V3_USER = V3Credentials("nw", "sha", b"auth-pass-1", "aes", b"priv-pass-1")
PUBLIC = V2cCredentials(b"public")


def _errind() -> Any:
    hlapi()  # pysnmp's import order first
    from pysnmp.proto import errind

    return errind


# -- pysnmp values -> VarBind -------------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(varbinds())
def test_every_snmp_value_converts_back_exactly(vb: VarBind) -> None:
    assert to_varbind(ObjectName(vb.oid), to_pysnmp_value(vb)) == vb


@pytest.mark.parametrize(
    ("tag", "value"),
    [
        (Tag.COUNTER64, 2**64 - 1),  # exact, never a float
        (Tag.IP_ADDRESS, bytes([198, 18, 1, 2])),
        (Tag.OBJECT_IDENTIFIER, (1, 3, 6, 1, 4, 1, 8072, 3, 2, 10)),
        (Tag.OCTET_STRING, "Sở Tài chính".encode()),
        (Tag.NO_SUCH_INSTANCE, None),
        (Tag.END_OF_MIB_VIEW, None),
    ],
)
def test_edge_values_convert_exactly(tag: Tag, value: int | bytes | Oid | None) -> None:
    vb = VarBind((1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1), tag, value)
    got = to_varbind(vb.oid, to_pysnmp_value(vb))
    assert got == vb
    assert type(got.value) is type(value)


def test_a_value_snmp_does_not_have_is_a_decode_error() -> None:
    with pytest.raises(SnmpError) as caught:
        to_varbind((1, 3, 6, 1), univ.Boolean(True))
    assert caught.value.reason == Reason.decode


# -- errorIndication -> Reason ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("requestTimedOut", Reason.timeout),
        ("wrongDigest", Reason.auth),
        ("unknownUserName", Reason.auth),
        ("unsupportedSecurityLevel", Reason.auth),
        ("decryptionError", Reason.auth),
        ("notInTimeWindow", Reason.auth),
        ("unknownEngineID", Reason.auth),
        ("oidNotIncreasing", Reason.other),
        ("emptyResponse", Reason.other),
    ],
)
def test_error_indications_map_to_bounded_reasons(name: str, reason: Reason) -> None:
    assert reason_of(getattr(_errind(), name)) == reason


def test_the_timeout_indication_is_the_one_pysnmp_reports() -> None:
    indication = _errind().requestTimedOut
    assert str(indication) == "No SNMP response received before timeout"
    assert reason_of(indication) == Reason.timeout
    assert reason_of("No SNMP response received before timeout") == Reason.other  # not a class


# -- credentials -> pysnmp ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("priv", "protocol"),
    [
        ("des", "USM_PRIV_CBC56_DES"),
        ("aes", "USM_PRIV_CFB128_AES"),
        ("aes192", "USM_PRIV_CFB192_AES_BLUMENTHAL"),  # net-snmp's -x AES-192
        ("aes256", "USM_PRIV_CFB256_AES_BLUMENTHAL"),
        ("aes192c", "USM_PRIV_CFB192_AES"),  # Cisco's (Reeder key extension)
        ("aes256c", "USM_PRIV_CFB256_AES"),
    ],
)
def test_privacy_protocols_match_the_fast_clients_key_extension(priv: str, protocol: str) -> None:
    user = auth_data(V3Credentials("u", "sha256", b"auth-pass", priv, b"priv-pass"))
    assert user.privacy_protocol == getattr(hlapi(), protocol)
    assert user.authentication_protocol == hlapi().USM_AUTH_HMAC192_SHA256
    assert user.security_level == "authPriv"


def test_security_levels_follow_the_credentials() -> None:
    assert auth_data(V3Credentials("u")).security_level == "noAuthNoPriv"
    assert auth_data(V3Credentials("u", "md5", b"auth-pass")).security_level == "authNoPriv"
    assert auth_data(V2cCredentials(b"public")).message_processing_model == 1


def test_an_unknown_protocol_fails_when_the_session_is_made() -> None:
    with pytest.raises(ValueError, match="privacy protocol 'rc4'"):
        PysnmpSession(Target("198.18.1.2", credentials=V3Credentials("u", "sha", b"x" * 8, "rc4")))


def test_the_engines_flag_names_both_and_the_cli_does_not_import_pysnmp() -> None:
    assert session_factory(EngineName.pysnmp) is PysnmpSession
    code = "import sys, netwarden.cli; print(any(m.startswith('pysnmp') for m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)  # fmt: skip
    assert done.stdout.strip() == "False"


# -- the session against agent_sim ---------------------------------------------------------------


def scenario(
    body: Callable[[SimAgent, Callable[..., PysnmpSession]], Awaitable[T]],
    **agent_kwargs: Any,
) -> T:
    """Run ``body(agent, session_factory)`` with a fresh agent on 127.0.0.1."""
    mib = table(range(1, 4), range(1, 41))
    mib[SYS_NAME] = VarBind(SYS_NAME, Tag.OCTET_STRING, b"sim-01")
    agent = SimAgent(mib, **agent_kwargs)

    async def main() -> T:
        port = await start(agent)
        sessions: list[PysnmpSession] = []

        def session(creds: Credentials = PUBLIC, **kw: Any) -> PysnmpSession:
            # 2 s: an answer never misses it on a loaded machine; expected silence is shorter.
            options: dict[str, Any] = {"timeout": 2.0, "retries": 0, **kw}
            sessions.append(PysnmpSession(Target("127.0.0.1", port, credentials=creds, **options)))
            return sessions[-1]

        try:
            return await body(agent, session)
        finally:
            for s in sessions:
                await s.close()
            assert agent.transport is not None
            agent.transport.close()

    return asyncio.run(asyncio.wait_for(main(), 30))


COLUMNS = [(*IF_ENTRY, c) for c in (1, 2, 3)]


def _expected() -> dict[Oid, list[VarBind]]:
    cells = table(range(1, 4), range(1, 41))
    return {col: [cells[(*col, r)] for r in range(1, 41)] for col in COLUMNS}


def test_walk_side_by_side_with_rows_cut_short_and_too_big() -> None:
    async def body(agent: SimAgent, session: Callable[..., PysnmpSession]) -> tuple[Walk, int]:
        s = session(max_repetitions=16)
        return await s.bulk_walk(COLUMNS), s.max_repetitions

    behaviour = Behaviour(max_varbinds=7, partial_rows=True, too_big_above=4)
    walked, reps = scenario(body, behaviour=behaviour)
    assert walked == _expected()
    assert reps == 4


def test_v3_get_and_walk() -> None:
    async def body(
        agent: SimAgent, session: Callable[..., PysnmpSession]
    ) -> tuple[list[VarBind], Walk]:
        s = session(V3_USER)
        return await s.get([SYS_NAME, (1, 3, 6, 1, 9, 9, 0)]), await s.bulk_walk(COLUMNS[:1])

    got, walked = scenario(body, users={b"nw": V3_USER})
    assert [vb.value for vb in got] == [b"sim-01", None]
    assert got[1].tag == Tag.NO_SUCH_OBJECT
    assert walked == {COLUMNS[0]: _expected()[COLUMNS[0]]}


@pytest.mark.parametrize(
    ("creds", "behaviour", "reason"),
    [
        (V3Credentials("nw", "sha", b"wrong-pass-1", "aes", b"priv-pass-1"), None, Reason.auth),
        (V3Credentials("nobody", "sha", b"auth-pass-1"), None, Reason.auth),
        (PUBLIC, Behaviour(error_status=5), Reason.error_status),
        (PUBLIC, Behaviour(drop=10), Reason.timeout),
    ],
)
def test_failures_carry_the_fast_clients_reasons(
    creds: Credentials, behaviour: Behaviour | None, reason: Reason
) -> None:
    async def body(agent: SimAgent, session: Callable[..., PysnmpSession]) -> SnmpError:
        with pytest.raises(SnmpError) as caught:
            await session(creds, timeout=0.3 if reason is Reason.timeout else 2.0).get([SYS_NAME])
        return caught.value

    error = scenario(body, users={b"nw": V3_USER}, behaviour=behaviour or Behaviour())
    assert error.reason == reason, error
