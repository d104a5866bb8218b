"""Report PDUs the agent's own engine sends to a v3 inform's sender (RFC 3414 §3.2, §4).

A sender discovers our engine ID from a usmStatsUnknownEngineIDs Report and our boots and
time from it or from usmStatsNotInTimeWindows; the error Reports (unknown user, wrong digest,
decryption error) make a misconfigured sender fail at once with the reason instead of
retrying into a timeout. Only messages flagged reportable get one (RFC 3412 §7.2 step 6).
"""

from __future__ import annotations

from netwarden.agent.events.local_engine import LocalEngine
from netwarden.agent.snmp.ber import Pdu, PduType, encode_pdu
from netwarden.agent.snmp.messages import UsmParams, encode_scoped_pdu, seal_v3
from netwarden.agent.snmp.types import Oid, Tag, VarBind
from netwarden.agent.snmp.usm import FLAG_AUTH, LocalKeys

USM_STATS: Oid = (1, 3, 6, 1, 6, 3, 15, 1, 1)
UNSUPPORTED_SEC_LEVELS = 1
NOT_IN_TIME_WINDOWS = 2
UNKNOWN_USER_NAMES = 3
UNKNOWN_ENGINE_IDS = 4
WRONG_DIGESTS = 5
DECRYPTION_ERRORS = 6


def report(
    engine: LocalEngine,
    msg_id: int,
    user: bytes,
    column: int,
    *,
    request_id: int = 0,
    keys: LocalKeys | None = None,
) -> bytes:
    """A Report carrying usmStats``column``.0; authenticated (never encrypted, RFC 3414 §3.2
    step 7a) when ``keys`` are given, else noAuthNoPriv."""
    value = engine.count(column)
    varbind = VarBind((*USM_STATS, column, 0), Tag.COUNTER32, value)
    pdu = encode_pdu(Pdu(PduType.REPORT, request_id, 0, 0, [varbind]))
    scoped = encode_scoped_pdu(engine.engine_id, b"", pdu)
    params = UsmParams(engine.engine_id, engine.boots, engine.time(), user)
    return seal_v3(msg_id, FLAG_AUTH if keys is not None else 0, params, scoped, keys)
