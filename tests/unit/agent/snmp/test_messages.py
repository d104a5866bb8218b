"""v2c/v3 framing: ids, tampering, security levels, Reports and the USM state of a session."""

from __future__ import annotations

import pytest

from netwarden.agent.snmp.ber import BerError, Pdu, PduType, encode_pdu, encode_request_pdu
from netwarden.agent.snmp.messages import (
    UsmParams,
    encode_scoped_pdu,
    encode_v2c,
    open_v3,
    peek_message_id,
    read_usm_params,
    seal_v3,
)
from netwarden.agent.snmp.types import Reason, SnmpError, Tag, V3Credentials, VarBind
from netwarden.agent.snmp.usm import FLAG_AUTH, FLAG_PRIV, FLAG_REPORTABLE, LocalKeys, UsmError
from netwarden.agent.snmp.v3 import Resync, UsmState

ENGINE = bytes.fromhex("80001f8880aabbccdd")
CREDS = V3Credentials("nw", "sha256", b"auth-pass-1", "aes", b"priv-pass-1")
SYS_NAME = (1, 3, 6, 1, 2, 1, 1, 5, 0)


def _response(msg_id: int, flags: int, keys: LocalKeys | None, pdu_type: PduType) -> bytes:
    vbs = [VarBind(SYS_NAME, Tag.OCTET_STRING, b"x")]
    pdu = encode_pdu(Pdu(pdu_type, msg_id, 0, 0, vbs))
    usm = UsmParams(ENGINE, 3, 500, b"nw")
    return seal_v3(msg_id, flags, usm, encode_scoped_pdu(ENGINE, b"", pdu), keys)


def _report(counter: int, flags: int = 0, keys: LocalKeys | None = None) -> bytes:
    vbs = [VarBind((1, 3, 6, 1, 6, 3, 15, 1, 1, counter, 0), Tag.COUNTER32, 1)]
    pdu = encode_pdu(Pdu(PduType.REPORT, 9, 0, 0, vbs))
    usm = UsmParams(ENGINE, 4, 900, b"nw")
    return seal_v3(9, flags, usm, encode_scoped_pdu(ENGINE, b"", pdu), keys)


def test_peek_finds_the_request_id_of_v2c_and_the_msg_id_of_v3() -> None:
    v2c = encode_v2c(b"c", encode_request_pdu(PduType.GET, 1234, []))
    assert peek_message_id(v2c) == 1234
    assert peek_message_id(_response(777, 0, None, PduType.RESPONSE)) == 777
    with pytest.raises(BerError):
        peek_message_id(b"\x30\x03\x02\x01")


def test_a_flipped_bit_anywhere_fails_authentication() -> None:
    keys = LocalKeys(CREDS, ENGINE)
    data = _response(5, FLAG_AUTH | FLAG_PRIV, keys, PduType.RESPONSE)
    assert open_v3(data, keys).pdu.varbinds[0].value == b"x"
    for i in (len(data) - 1, len(data) // 2, 20):
        tampered = bytearray(data)
        tampered[i] ^= 0x01
        with pytest.raises((UsmError, BerError)):
            open_v3(bytes(tampered), keys)


def test_wrong_privacy_key_is_a_usm_error() -> None:
    keys = LocalKeys(CREDS, ENGINE)
    other = V3Credentials("nw", "sha256", b"auth-pass-1", "aes", b"another-priv")
    data = _response(5, FLAG_AUTH | FLAG_PRIV, LocalKeys(other, ENGINE), PduType.RESPONSE)
    with pytest.raises(UsmError, match="decryption"):
        open_v3(data, keys)


def test_usm_params_are_readable_before_any_check() -> None:
    data = _response(5, FLAG_AUTH | FLAG_PRIV, LocalKeys(CREDS, ENGINE), PduType.RESPONSE)
    usm = read_usm_params(data)
    assert (usm.engine_id, usm.boots, usm.time, usm.user, len(usm.auth)) == (
        ENGINE, 3, 500, b"nw", 24
    )  # fmt: skip


def _state() -> UsmState:
    state = UsmState(CREDS)
    state.learn(_report(4))  # discovery: usmStatsUnknownEngineIDs with the engine's id
    return state


def test_discovery_learns_engine_id_and_clock() -> None:
    state = UsmState(CREDS)
    assert not state.discovered
    discovery = state.discovery_request(11)
    assert read_usm_params(discovery) == UsmParams(b"", 0, 0, b"")
    opened = open_v3(discovery, None)  # noAuthNoPriv, reportable, a GET without varbinds
    assert (opened.flags, opened.pdu) == (FLAG_REPORTABLE, Pdu(PduType.GET, 11, 0, 0, []))
    state.learn(_report(4))
    sealed = state.seal(12, encode_request_pdu(PduType.GET, 12, []))
    usm = read_usm_params(sealed)
    assert (usm.engine_id, usm.boots, usm.user) == (ENGINE, 4, b"nw")
    assert 900 <= usm.time <= 901


@pytest.mark.parametrize(
    ("counter", "name"),
    [
        (1, "usmStatsUnsupportedSecLevels"),
        (3, "usmStatsUnknownUserNames"),
        (5, "usmStatsWrongDigests"),
        (6, "usmStatsDecryptionErrors"),
        (2, "usmStatsNotInTimeWindows"),  # unauthenticated: not trusted for a resync
    ],
)
def test_reports_become_auth_errors_naming_the_counter(counter: int, name: str) -> None:
    with pytest.raises(SnmpError) as err:
        _state().open(_report(counter), 9)
    assert err.value.reason == Reason.auth
    assert name in str(err.value)


def test_authenticated_not_in_time_window_asks_for_a_resync() -> None:
    state = _state()
    keys = LocalKeys(CREDS, ENGINE)
    with pytest.raises(Resync):
        state.open(_report(2, FLAG_AUTH, keys), 9)


def test_unknown_engine_id_after_discovery_forgets_the_engine() -> None:
    state = _state()
    with pytest.raises(Resync):
        state.open(_report(4), 9)
    assert not state.discovered


def test_a_response_below_the_requested_security_level_is_refused() -> None:
    state = _state()
    keys = LocalKeys(CREDS, ENGINE)
    with pytest.raises(SnmpError) as err:
        state.open(_response(9, FLAG_AUTH, keys, PduType.RESPONSE), 9)  # not encrypted
    assert err.value.reason == Reason.auth
    with pytest.raises(SnmpError) as err:
        state.open(_response(9, 0, None, PduType.RESPONSE), 9)  # not even authenticated
    assert err.value.reason == Reason.auth


def test_a_response_is_accepted_at_the_requested_level() -> None:
    state = _state()
    keys = LocalKeys(CREDS, ENGINE)
    data = _response(9, FLAG_AUTH | FLAG_PRIV, keys, PduType.RESPONSE)
    assert state.open(data, 9).varbinds[0].value == b"x"
    with pytest.raises(SnmpError) as err:
        state.open(data, 10)  # another request's answer
    assert err.value.reason == Reason.decode


def test_seal_refuses_auth_without_keys() -> None:
    with pytest.raises(ValueError, match="keys"):
        seal_v3(1, FLAG_AUTH | FLAG_REPORTABLE, UsmParams(ENGINE, 0, 0, b"u"), b"\x30\x00", None)
