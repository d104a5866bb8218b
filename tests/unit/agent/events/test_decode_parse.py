"""Trap decoding, syslog parsing and normalisation, on bytes built here."""

from __future__ import annotations

import pytest

from netwarden.agent.events.normalise import Sender, syslog_event, trap_event
from netwarden.agent.events.syslog_parse import parse_syslog
from netwarden.agent.events.trap_decode import (
    SNMP_TRAP_OID,
    SYS_UPTIME,
    TrapError,
    decode_notification,
)
from netwarden.agent.snmp.ber import Pdu, PduType, encode_pdu
from netwarden.agent.snmp.messages import decode_v2c, encode_v2c
from netwarden.agent.snmp.types import Tag, VarBind

LINK_DOWN = (1, 3, 6, 1, 6, 3, 1, 1, 5, 3)
SENDER = Sender("198.18.1.2", "sw-1", "so-khcn", "switch")


def _notification(pdu_type: PduType, trap: tuple[int, ...], extra: list[VarBind]) -> bytes:
    varbinds = [
        VarBind(SYS_UPTIME, Tag.TIMETICKS, 1234),
        VarBind(SNMP_TRAP_OID, Tag.OBJECT_IDENTIFIER, trap),
        *extra,
    ]
    return encode_v2c(b"public", encode_pdu(Pdu(pdu_type, 77, 0, 0, varbinds)))


def _no_keys(user: str, engine: bytes) -> None:
    return None


def test_link_down_trap_names_the_interface_from_the_label_cache() -> None:
    extra = [
        VarBind((1, 3, 6, 1, 2, 1, 2, 2, 1, 1, 3), Tag.INTEGER, 3),
        VarBind((1, 3, 6, 1, 2, 1, 2, 2, 1, 8, 3), Tag.INTEGER, 2),
    ]
    note = decode_notification(_notification(PduType.TRAP, LINK_DOWN, extra), _no_keys)
    assert note.reply is None
    event = trap_event(note, SENDER, 100.0, {3: "Gi0/3"})
    assert (event.kind, event.if_index, event.if_name) == ("linkDown", 3, "Gi0/3")
    assert event.payload()["trap_oid"] == "1.3.6.1.6.3.1.1.5.3"
    assert event.payload()["device"] == "sw-1"


def test_an_inform_is_answered_with_a_response_carrying_its_request_id() -> None:
    note = decode_notification(_notification(PduType.INFORM, LINK_DOWN, []), _no_keys)
    assert note.reply is not None
    community, pdu = decode_v2c(note.reply)
    assert (community, pdu.type, pdu.request_id) == (b"public", PduType.RESPONSE, 77)


def test_an_unknown_trap_keeps_its_oid_and_varbinds() -> None:
    vendor = (1, 3, 6, 1, 4, 1, 99999, 0, 7)
    extra = [VarBind((1, 3, 6, 1, 4, 1, 99999, 1, 1), Tag.OCTET_STRING, b"fan 2 failed")]
    event = trap_event(
        decode_notification(_notification(PduType.TRAP, vendor, extra), _no_keys), SENDER, 1.0, {}
    )
    assert event.kind == "other"
    assert event.trap_oid == "1.3.6.1.4.1.99999.0.7"
    assert event.details["varbinds"] == [["1.3.6.1.4.1.99999.1.1", "fan 2 failed"]]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "malformed"),
        (b"\x30\x03\x02\x01", "malformed"),
        (b"garbage that is not BER", "malformed"),
        (encode_v2c(b"c", encode_pdu(Pdu(PduType.GET, 1))), "not-notification"),
        (b"\x30\x06\x02\x01\x00\x04\x01c", "version"),  # SNMPv1
    ],
)
def test_bad_datagrams_raise_with_a_bounded_reason(data: bytes, reason: str) -> None:
    with pytest.raises(TrapError) as caught:
        decode_notification(data, _no_keys)
    assert caught.value.reason == reason


def test_truncated_notifications_are_malformed_at_every_length() -> None:
    whole = _notification(PduType.TRAP, LINK_DOWN, [])
    for n in range(len(whole)):
        with pytest.raises(TrapError) as caught:
            decode_notification(whole[:n], _no_keys)
        assert caught.value.reason == "malformed"


def test_v3_without_a_known_user_is_counted_as_unknown_user() -> None:
    # A v3 header with user "nobody": the keys lookup answers None.
    from netwarden.agent.snmp.messages import UsmParams, encode_scoped_pdu, seal_v3

    scoped = encode_scoped_pdu(b"\x80\x00\x1f\x88\x04x", b"", encode_pdu(Pdu(PduType.TRAP, 5)))
    data = seal_v3(5, 0, UsmParams(b"\x80\x00\x1f\x88\x04x", 1, 1, b"nobody"), scoped, None)
    with pytest.raises(TrapError) as caught:
        decode_notification(data, _no_keys)
    assert caught.value.reason == "unknown-user"


def test_rfc5424_with_structured_data() -> None:
    msg = parse_syslog(b'<165>1 2026-12-07T04:00:00.5Z sw-1 sshd 42 ID7 [x@1 a="b]"] Hello there')
    assert (msg.facility, msg.severity_name, msg.hostname, msg.app) == (
        20,
        "notice",
        "sw-1",
        "sshd",
    )
    assert msg.text == "Hello there"
    assert msg.timestamp == pytest.approx(1796616000.5)


def test_rfc3164_and_ios_config_line() -> None:
    msg = parse_syslog(
        b"<189>Dec  7 04:00:00 core-1 %SYS-5-CONFIG_I: Configured from console by admin on vty0"
    )
    assert (msg.severity_name, msg.hostname) == ("notice", "core-1")
    event = syslog_event(msg, SENDER, 5.0)
    assert event.kind == "configChange"


def test_ios_without_hostname_and_timestamp_is_still_a_config_change() -> None:
    msg = parse_syslog(b"<189>123: *Mar  1 00:01:02.345: %SYS-5-CONFIG_I: Configured from console")
    assert syslog_event(msg, SENDER, 5.0).kind == "configChange"


@pytest.mark.parametrize(
    ("line", "kind", "if_name"),
    [
        ("%%01CFG/4/CFG_CHANGE(l)[1]:Configuration is changed.", "configChange", None),
        ("%%10CFGMAN/5/CFGMAN_CFGCHANGED: -EventIndex=3; Config changed.", "configChange", None),
        ("%SEC_LOGIN-4-LOGIN_FAILED: Login failed [user: admin]", "loginFailure", None),
        ("Failed password for root from 198.18.9.9 port 22 ssh2", "loginFailure", None),
        (
            "%LINK-3-UPDOWN: Interface GigabitEthernet0/2, changed state to down",
            "linkDown",
            "GigabitEthernet0/2",
        ),
        ("%LINK-3-UPDOWN: Interface Gi0/2, changed state to up", "linkUp", "Gi0/2"),
        (
            "%%10IFNET/3/LINK_UPDOWN: GigabitEthernet1/0/5 link status is DOWN.",
            "linkDown",
            "GigabitEthernet1/0/5",
        ),
        ("something else entirely", "other", None),
    ],
)
def test_vendor_lines_normalise(line: str, kind: str, if_name: str | None) -> None:
    event = syslog_event(parse_syslog(f"<187>{line}".encode()), SENDER, 1.0)
    assert (event.kind, event.if_name) == (kind, if_name)


def test_bad_syslog_is_kept_and_flagged() -> None:
    msg = parse_syslog(b"no pri \xff\xfe here")
    assert set(msg.flags) == {"invalid-utf8", "no-pri"}
    assert "no pri" in msg.text
    assert parse_syslog(b"<999>x").flags == ("no-pri",)
