"""One session's SNMPv3 USM state: the agent's engine ID, boots and time, and localised keys.

Discovery follows RFC 3414 4: a noAuthNoPriv request with an empty engine ID draws a Report
carrying the agent's engine ID, boots and time. Time is then kept as "agent time at a local
monotonic instant"; an authenticated usmStatsNotInTimeWindows Report (agent rebooted, clock
drift) resynchronises it, and the client retries once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from netwarden.agent.snmp.ber import BerError, Pdu, PduType, encode_request_pdu
from netwarden.agent.snmp.messages import UsmParams, V3Message, encode_scoped_pdu, open_v3, seal_v3
from netwarden.agent.snmp.types import Oid, Reason, SnmpError, V3Credentials
from netwarden.agent.snmp.usm import FLAG_AUTH, FLAG_PRIV, FLAG_REPORTABLE, LocalKeys, UsmError
from netwarden.agent.snmp.usm import security_flags as _security_flags

_USM_STATS: Oid = (1, 3, 6, 1, 6, 3, 15, 1, 1)
NOT_IN_TIME_WINDOW = (*_USM_STATS, 2)
UNKNOWN_ENGINE_ID = (*_USM_STATS, 4)
_REPORTS: dict[Oid, tuple[Reason, str]] = {
    (*_USM_STATS, 1): (Reason.auth, "usmStatsUnsupportedSecLevels (level not allowed for user)"),
    (*_USM_STATS, 2): (Reason.auth, "usmStatsNotInTimeWindows (engine time out of sync)"),
    (*_USM_STATS, 3): (Reason.auth, "usmStatsUnknownUserNames (no such user)"),
    (*_USM_STATS, 4): (Reason.auth, "usmStatsUnknownEngineIDs (engine ID changed)"),
    (*_USM_STATS, 5): (Reason.auth, "usmStatsWrongDigests (wrong auth password or protocol)"),
    (*_USM_STATS, 6): (Reason.auth, "usmStatsDecryptionErrors (wrong privacy password/protocol)"),
    (1, 3, 6, 1, 6, 3, 11, 2, 1, 1): (Reason.other, "snmpUnknownSecurityModels"),
    (1, 3, 6, 1, 6, 3, 11, 2, 1, 2): (Reason.other, "snmpInvalidMsgs"),
    (1, 3, 6, 1, 6, 3, 11, 2, 1, 3): (Reason.other, "snmpUnknownPDUHandlers"),
    (1, 3, 6, 1, 6, 3, 12, 1, 4): (Reason.other, "snmpUnavailableContexts"),
    (1, 3, 6, 1, 6, 3, 12, 1, 5): (Reason.other, "snmpUnknownContexts"),
}


class Resync(Exception):
    """The agent's Report asks for new engine state (time window, engine ID): retry once."""


def report_counter(pdu: Pdu) -> Oid | None:
    """The counter a Report PDU names (without its ``.0`` instance), if any."""
    if not pdu.varbinds:
        return None
    oid = pdu.varbinds[0].oid
    return oid[:-1] if oid and oid[-1] == 0 else oid


@dataclass
class _Engine:
    engine_id: bytes
    boots: int
    time: int
    learned_at: float
    keys: LocalKeys | None


class UsmState:
    """Security state of one session's conversation with one agent (never shared)."""

    def __init__(self, creds: V3Credentials) -> None:
        self.creds = creds
        self.flags = _security_flags(creds)
        self._user = creds.user.encode()
        self._engine: _Engine | None = None

    @property
    def discovered(self) -> bool:
        return self._engine is not None

    @property
    def engine_id(self) -> bytes | None:
        """The agent's engine ID as discovered, None before discovery."""
        return self._engine.engine_id if self._engine is not None else None

    def forget(self) -> None:
        self._engine = None

    def discovery_request(self, msg_id: int) -> bytes:
        pdu = encode_request_pdu(PduType.GET, msg_id, [])
        usm = UsmParams(b"", 0, 0, b"")
        return seal_v3(msg_id, FLAG_REPORTABLE, usm, encode_scoped_pdu(b"", b"", pdu), None)

    def learn(self, data: bytes) -> None:
        """Take the engine ID, boots and time from the answer to :meth:`discovery_request`."""
        msg = _open(data, None)
        usm = msg.usm
        if not usm.engine_id:
            raise SnmpError(Reason.decode, "discovery answer carries no engine ID")
        keys = LocalKeys(self.creds, usm.engine_id) if self.flags & FLAG_AUTH else None
        self._engine = _Engine(usm.engine_id, usm.boots, usm.time, time.monotonic(), keys)

    def seal(self, msg_id: int, pdu: bytes) -> bytes:
        """A request message around the encoded ``pdu`` (whose request-id is ``msg_id``)."""
        eng = self._require()
        now = eng.time + int(time.monotonic() - eng.learned_at)
        usm = UsmParams(eng.engine_id, eng.boots, min(now, 2**31 - 1), self._user)
        scoped = encode_scoped_pdu(eng.engine_id, b"", pdu)
        return seal_v3(msg_id, self.flags | FLAG_REPORTABLE, usm, scoped, eng.keys)

    def open(self, data: bytes, request_id: int) -> Pdu:
        """The Response PDU in ``data``; Reports become SnmpError, or :class:`Resync`."""
        eng = self._require()
        msg = _open(data, eng.keys)
        if msg.authenticated:
            # Authenticated agent clock: keep it (RFC 3414 3.2 7b, simplified to "latest").
            eng.boots, eng.time, eng.learned_at = msg.usm.boots, msg.usm.time, time.monotonic()
        if msg.pdu.type == PduType.REPORT:
            self._report(msg)
        level = FLAG_AUTH | FLAG_PRIV
        if msg.flags & level != self.flags & level:
            raise SnmpError(Reason.auth, "answer not at the requested security level")
        if msg.pdu.type != PduType.RESPONSE or msg.pdu.request_id != request_id:
            raise SnmpError(Reason.decode, "answer is not the Response to the request")
        return msg.pdu

    def _report(self, msg: V3Message) -> None:
        counter = report_counter(msg.pdu)
        resync = counter == UNKNOWN_ENGINE_ID or (
            counter == NOT_IN_TIME_WINDOW and msg.authenticated
        )
        if resync:
            if counter == UNKNOWN_ENGINE_ID:
                self.forget()
            raise Resync(str(counter))
        reason, text = _REPORTS.get(counter or (), (Reason.other, f"unexpected Report {counter}"))
        raise SnmpError(reason, f"agent reported {text}")

    def _require(self) -> _Engine:
        if self._engine is None:
            raise RuntimeError("SNMPv3 engine not discovered yet")
        return self._engine


def _open(data: bytes, keys: LocalKeys | None) -> V3Message:
    try:
        return open_v3(data, keys)
    except BerError as exc:
        raise SnmpError(Reason.decode, f"malformed SNMPv3 message: {exc}") from None
    except UsmError as exc:
        raise SnmpError(Reason.auth, str(exc)) from None
