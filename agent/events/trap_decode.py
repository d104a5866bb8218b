"""SNMP notifications off the wire: v2c and v3 Trap and Inform PDUs, with the project's codec.

A decode failure raises :class:`TrapError` carrying a bounded reason (the drop counter's label):
``malformed`` (not BER, truncated), ``not-notification`` (a Get or Response sent to the trap
port), ``version`` (SNMPv1 or unknown), ``auth`` (a v3 HMAC or privacy key that does not match),
``unknown-user`` (a v3 user no device of this agent has), ``engine-id`` (a v3 engine ID other
than the one the poller discovered for that device), ``not-in-time-window`` (a v3 inform whose
boots/time are not our engine's).

v3 traps are authenticated with keys localised to the sender's engine ID (the sender is
authoritative); v3 informs with keys localised to ours (RFC 3414 §4: the receiver is), after
the sender has discovered our engine from the Reports answered here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from netwarden.agent.events.local_engine import LocalEngine
from netwarden.agent.events.usm_reports import (
    DECRYPTION_ERRORS,
    NOT_IN_TIME_WINDOWS,
    UNKNOWN_ENGINE_IDS,
    UNKNOWN_USER_NAMES,
    UNSUPPORTED_SEC_LEVELS,
    WRONG_DIGESTS,
    report,
)
from netwarden.agent.snmp.ber import BerError, Pdu, PduType, encode_pdu
from netwarden.agent.snmp.messages import (
    VERSION_2C,
    VERSION_3,
    UsmParams,
    V3Message,
    decode_v2c,
    encode_scoped_pdu,
    encode_v2c,
    open_v3,
    read_v3_header,
    seal_v3,
)
from netwarden.agent.snmp.types import Oid, Tag, VarBind
from netwarden.agent.snmp.usm import (
    FLAG_AUTH,
    FLAG_PRIV,
    FLAG_REPORTABLE,
    DecryptionError,
    LocalKeys,
    UsmError,
)

SYS_UPTIME = (1, 3, 6, 1, 2, 1, 1, 3, 0)
SNMP_TRAP_OID = (1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0)
NOTIFICATIONS = (PduType.TRAP, PduType.INFORM)


class TrapError(Exception):
    """A datagram that is not a notification this agent accepts; ``reason`` is bounded;
    ``reply`` is the Report the sender gets (a v3 inform to our engine), if any."""

    def __init__(self, reason: str, message: str, reply: bytes | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.reply = reply


@dataclass(frozen=True)
class Notification:
    """One decoded trap or inform; ``user`` is the v3 user (None for v2c)."""

    version: int
    pdu: Pdu
    community: bytes = b""
    user: str | None = None
    reply: bytes | None = None  # the Response an inform is answered with

    @property
    def trap_oid(self) -> Oid | None:
        for vb in self.pdu.varbinds[:3]:
            if vb.oid == SNMP_TRAP_OID and isinstance(vb.value, tuple):
                return vb.value
        return None

    @property
    def payload_varbinds(self) -> list[VarBind]:
        """The varbinds after sysUpTime.0 and snmpTrapOID.0."""
        return [vb for vb in self.pdu.varbinds if vb.oid not in (SYS_UPTIME, SNMP_TRAP_OID)]


@dataclass(frozen=True)
class Report:
    """Not a notification but a step of the v3 protocol (engine discovery): answered with
    ``reply`` and not counted as an event or a drop."""

    reply: bytes | None


Received = Notification | Report

# A v3 sender's keys: (user, engine id) -> keys, or None when no device has that user.
KeysFor = Callable[[str, bytes], LocalKeys | None]


def message_version(data: bytes) -> int:
    """The version field, read without decoding the rest (raises TrapError)."""
    try:
        if len(data) < 5 or data[0] != 0x30:
            raise BerError("not a SEQUENCE")
        # SEQUENCE header (short or long length), then INTEGER version: find it cheaply.
        pos = 2 if data[1] < 0x80 else 2 + (data[1] & 0x7F)
        if data[pos] != Tag.INTEGER or data[pos + 1] != 1:
            raise BerError("no version")
        return data[pos + 2]
    except (BerError, IndexError) as exc:
        raise TrapError("malformed", f"not an SNMP message: {exc}") from None


def decode_notification(
    data: bytes, keys_for: KeysFor, engine: LocalEngine | None = None
) -> Received:
    """Decode one datagram; an inform also gets its Response (``reply``). With ``engine``
    (the agent's own), v3 informs addressed to it and their discovery are answered."""
    version = message_version(data)
    if version == VERSION_2C:
        return _v2c(data)
    if version == VERSION_3:
        return _v3(data, keys_for, engine)
    raise TrapError("version", f"SNMP version field {version} (v1 traps are not accepted)")


def _check(pdu: Pdu) -> None:
    if pdu.type not in NOTIFICATIONS:
        raise TrapError("not-notification", f"a {pdu.type.name} PDU on the trap port")


def _v2c(data: bytes) -> Notification:
    try:
        community, pdu = decode_v2c(data)
    except (BerError, IndexError, ValueError) as exc:
        raise TrapError("malformed", f"malformed v2c message: {exc}") from None
    _check(pdu)
    reply = None
    if pdu.type is PduType.INFORM:
        reply = encode_v2c(community, encode_pdu(_response(pdu)))
    return Notification(VERSION_2C, pdu, community=community, reply=reply)


def _response(pdu: Pdu) -> Pdu:
    return Pdu(PduType.RESPONSE, pdu.request_id, 0, 0, pdu.varbinds)


def _v3(data: bytes, keys_for: KeysFor, engine: LocalEngine | None) -> Received:
    try:
        msg_id, flags, usm = read_v3_header(data)
    except (BerError, IndexError, ValueError) as exc:
        raise TrapError("malformed", f"malformed v3 message: {exc}") from None
    if engine is not None and usm.engine_id in (b"", engine.engine_id):
        return _v3_to_us(data, _Header(msg_id, flags, usm), keys_for, engine)
    user = usm.user.decode(errors="replace")
    keys = keys_for(user, usm.engine_id)
    if keys is None:
        raise TrapError("unknown-user", f"v3 user {user!r} is not configured for this sender")
    msg = _open(data, keys, user)
    _check(msg.pdu)
    reply = None
    if msg.pdu.type is PduType.INFORM:
        # An inform sent with the sender's own engine id (a sender configured with
        # ``snmpinform -e``): answered with that engine id, which the keys we hold verify.
        params = UsmParams(usm.engine_id, usm.boots, usm.time, usm.user)
        reply = _sealed_response(msg, params, keys)
    return Notification(VERSION_3, msg.pdu, user=user, reply=reply)


def _open(data: bytes, keys: LocalKeys, user: str) -> V3Message:
    try:
        msg = open_v3(data, keys)
    except UsmError as exc:
        raise TrapError("auth", f"v3 authentication failed for user {user!r}: {exc}") from None
    except (BerError, IndexError, ValueError) as exc:
        raise TrapError("malformed", f"malformed v3 message: {exc}") from None
    if not msg.authenticated:
        raise TrapError("auth", f"v3 notification from user {user!r} is not authenticated")
    return msg


def _sealed_response(msg: V3Message, params: UsmParams, keys: LocalKeys) -> bytes:
    scoped = encode_scoped_pdu(
        msg.context_engine_id, msg.context_name, encode_pdu(_response(msg.pdu))
    )
    return seal_v3(msg.msg_id, msg.flags & (FLAG_AUTH | FLAG_PRIV), params, scoped, keys)


@dataclass(frozen=True)
class _Header:
    msg_id: int
    flags: int
    usm: UsmParams

    @property
    def reportable(self) -> bool:
        return bool(self.flags & FLAG_REPORTABLE)


def _v3_to_us(data: bytes, head: _Header, keys_for: KeysFor, engine: LocalEngine) -> Received:
    """A message whose authoritative engine is ours (RFC 3414 §3.2): an inform, or the
    discovery that precedes one."""
    usm, user = head.usm, head.usm.user.decode(errors="replace")
    if not usm.engine_id:
        return Report(_unauthenticated(engine, head, UNKNOWN_ENGINE_IDS, data))
    keys = keys_for(user, engine.engine_id) if head.flags & FLAG_AUTH else None
    if keys is None:
        column, reason = (
            (UNKNOWN_USER_NAMES, "unknown-user")
            if head.flags & FLAG_AUTH
            else (UNSUPPORTED_SEC_LEVELS, "auth")
        )
        raise TrapError(
            reason,
            f"v3 inform from user {user!r}: no such user with authentication for this sender",
            _unauthenticated(engine, head, column, None),
        )
    try:
        msg = _open(data, keys, user)
    except TrapError as exc:
        if exc.reason == "auth":  # a malformed message gets no Report: none says "malformed"
            decrypt = isinstance(exc.__context__, DecryptionError)
            column = DECRYPTION_ERRORS if decrypt else WRONG_DIGESTS
            exc.reply = _unauthenticated(engine, head, column, None)
        raise
    if not engine.in_window(usm.boots, usm.time):
        raise TrapError(
            "not-in-time-window",
            f"v3 inform from user {user!r} with boots {usm.boots} time {usm.time}, outside "
            f"our engine's window (boots {engine.boots}, time {engine.time()})",
            report(
                engine,
                head.msg_id,
                usm.user,
                NOT_IN_TIME_WINDOWS,
                request_id=msg.pdu.request_id,
                keys=keys,
            )
            if head.reportable
            else None,
        )
    _check(msg.pdu)
    reply = None
    if msg.pdu.type is PduType.INFORM:
        params = UsmParams(engine.engine_id, engine.boots, engine.time(), usm.user)
        reply = _sealed_response(msg, params, keys)
    return Notification(VERSION_3, msg.pdu, user=user, reply=reply)


def _unauthenticated(
    engine: LocalEngine, head: _Header, column: int, plain: bytes | None
) -> bytes | None:
    """A noAuthNoPriv Report, if the message asked for one; its request-id is readable only
    in a plaintext message (``plain``), else 0 (senders match Reports by msgID)."""
    if not head.reportable:
        return None
    request_id = 0
    if plain is not None and not head.flags & (FLAG_AUTH | FLAG_PRIV):
        with contextlib.suppress(BerError, IndexError, ValueError, UsmError):
            request_id = open_v3(plain, None).pdu.request_id
    return report(engine, head.msg_id, head.usm.user, column, request_id=request_id)
