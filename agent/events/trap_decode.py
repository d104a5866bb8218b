"""SNMP notifications off the wire: v2c and v3 Trap and Inform PDUs, with the project's codec.

A decode failure raises :class:`TrapError` carrying a bounded reason (the drop counter's label):
``malformed`` (not BER, truncated), ``not-notification`` (a Get or Response sent to the trap
port), ``version`` (SNMPv1 or unknown), ``auth`` (a v3 HMAC or privacy key that does not match),
``unknown-user`` (a v3 user no device of this agent has), ``engine-id`` (a v3 engine ID other
than the one the poller discovered for that device).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from netwarden.agent.snmp.ber import BerError, Pdu, PduType, encode_pdu
from netwarden.agent.snmp.messages import (
    VERSION_2C,
    VERSION_3,
    UsmParams,
    decode_v2c,
    encode_scoped_pdu,
    encode_v2c,
    open_v3,
    read_usm_params,
    seal_v3,
)
from netwarden.agent.snmp.types import Oid, Tag, VarBind
from netwarden.agent.snmp.usm import LocalKeys, UsmError

SYS_UPTIME = (1, 3, 6, 1, 2, 1, 1, 3, 0)
SNMP_TRAP_OID = (1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0)
NOTIFICATIONS = (PduType.TRAP, PduType.INFORM)


class TrapError(Exception):
    """A datagram that is not a notification this agent accepts; ``reason`` is bounded."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


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


def decode_notification(data: bytes, keys_for: KeysFor) -> Notification:
    """Decode one datagram; an inform also gets its Response (``reply``)."""
    version = message_version(data)
    if version == VERSION_2C:
        return _v2c(data)
    if version == VERSION_3:
        return _v3(data, keys_for)
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


def _v3(data: bytes, keys_for: KeysFor) -> Notification:
    try:
        usm = read_usm_params(data)
    except (BerError, IndexError, ValueError) as exc:
        raise TrapError("malformed", f"malformed v3 message: {exc}") from None
    user = usm.user.decode(errors="replace")
    keys = keys_for(user, usm.engine_id)
    if keys is None:
        raise TrapError("unknown-user", f"v3 user {user!r} is not configured for this sender")
    try:
        msg = open_v3(data, keys)
    except UsmError as exc:
        raise TrapError("auth", f"v3 authentication failed for user {user!r}: {exc}") from None
    except (BerError, IndexError, ValueError) as exc:
        raise TrapError("malformed", f"malformed v3 message: {exc}") from None
    if not msg.authenticated:
        raise TrapError("auth", f"v3 notification from user {user!r} is not authenticated")
    _check(msg.pdu)
    reply = None
    if msg.pdu.type is PduType.INFORM:
        # An inform's authoritative engine is the receiver's; answering with the sender's
        # engine id keeps the reply verifiable with the keys we already hold.
        params = UsmParams(usm.engine_id, usm.boots, usm.time, usm.user)
        scoped = encode_scoped_pdu(
            msg.context_engine_id, msg.context_name, encode_pdu(_response(msg.pdu))
        )
        reply = seal_v3(msg.msg_id, msg.flags & 0x03, params, scoped, keys)
    return Notification(VERSION_3, msg.pdu, user=user, reply=reply)
