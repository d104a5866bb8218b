"""A small SNMP agent on 127.0.0.1 for the client's unit tests, built on the codec under test
(which the oracle tests check against pysnmp and the lab tests against net-snmp).

It answers GET and GETBULK from an in-memory MIB, v2c or v3 USM, and misbehaves on demand:
drop answers, answer garbage, tooBig above some max-repetitions, an errorStatus, truncate
GETBULK answers mid-row, shift its engine clock.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from netwarden.agent.snmp.ber import Pdu, PduType, encode_pdu, read_integer, read_tlv
from netwarden.agent.snmp.messages import (
    UsmParams,
    decode_v2c,
    encode_scoped_pdu,
    encode_v2c,
    open_v3,
    peek_message_id,
    read_usm_params,
    seal_v3,
)
from netwarden.agent.snmp.types import Oid, Tag, V3Credentials, VarBind
from netwarden.agent.snmp.usm import FLAG_AUTH, FLAG_PRIV, LocalKeys, UsmError

USM_STATS = (1, 3, 6, 1, 6, 3, 15, 1, 1)
ENGINE_ID = bytes.fromhex("80001f8880aabbccddeeff0011")


@dataclass
class Behaviour:
    """Misbehaviour knobs; each applies to every request until changed."""

    drop: int = 0  # drop this many requests, then answer
    garbage: bytes | None = None  # answer this instead
    too_big_above: int | None = None  # GETBULK max-repetitions above this -> tooBig
    error_status: int = 0  # answer with this errorStatus (index 1)
    max_varbinds: int = 100  # GETBULK answer cap (net-snmp's maxGetbulkResponses)
    partial_rows: bool = False  # cut GETBULK answers at max_varbinds even mid-row
    rewrite: Callable[[list[VarBind]], list[VarBind]] | None = None  # tamper with answers
    time_offset: int = 0  # add to the engine time in answers (and checks)
    silent_reports: bool = False  # drop instead of sending Reports


@dataclass
class SimAgent(asyncio.DatagramProtocol):
    mib: dict[Oid, VarBind]
    community: bytes = b"public"
    users: dict[bytes, V3Credentials] = field(default_factory=dict)
    behaviour: Behaviour = field(default_factory=Behaviour)
    boots: int = 7
    requests: list[Pdu | str] = field(default_factory=list)
    transport: asyncio.DatagramTransport | None = None
    started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.order = sorted(self.mib)

    @property
    def engine_time(self) -> int:
        return int(time.monotonic() - self.started) + 1000 + self.behaviour.time_offset

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        if self.behaviour.drop > 0:
            self.behaviour.drop -= 1
            self.requests.append("dropped")
            return
        if self.behaviour.garbage is not None:
            self._send(self.behaviour.garbage, addr)
            return
        _, start, end = read_tlv(data, 0, len(data))
        version = read_integer(data, start, end)[0]
        answer = self._answer_v3(data) if version == 3 else self._answer_v2c(data)
        if answer is not None:
            self._send(answer, addr)

    def _send(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        assert self.transport is not None
        self.transport.sendto(data, addr)

    # -- v2c -----------------------------------------------------------------------------

    def _answer_v2c(self, data: bytes) -> bytes | None:
        community, pdu = decode_v2c(data)
        if community != self.community:
            return None
        self.requests.append(pdu)
        return encode_v2c(community, encode_pdu(self._respond(pdu)))

    # -- v3 ------------------------------------------------------------------------------

    def _report(
        self,
        counter: int,
        msg_id: int,
        flags: int = 0,
        keys: LocalKeys | None = None,
        user: bytes = b"",
    ) -> bytes | None:
        if self.behaviour.silent_reports:
            return None
        vb = VarBind((*USM_STATS, counter, 0), Tag.COUNTER32, 1)
        pdu = encode_pdu(Pdu(PduType.REPORT, msg_id, 0, 0, [vb]))
        usm = UsmParams(ENGINE_ID, self.boots, self.engine_time, user)
        return seal_v3(msg_id, flags, usm, encode_scoped_pdu(ENGINE_ID, b"", pdu), keys)

    def _answer_v3(self, data: bytes) -> bytes | None:
        usm = read_usm_params(data)
        msg_id = peek_message_id(data)
        if not usm.engine_id:
            self.requests.append("discovery")
            return self._report(4, msg_id)
        creds = self.users.get(usm.user)
        if creds is None:
            return self._report(3, msg_id)
        keys = LocalKeys(creds, ENGINE_ID) if creds.auth_protocol else None
        try:
            msg = open_v3(data, keys)
        except UsmError:
            return self._report(5, msg_id)
        if msg.flags & FLAG_AUTH and abs(usm.time - self.engine_time) > 150:
            return self._report(2, msg_id, FLAG_AUTH, keys, usm.user)
        self.requests.append(msg.pdu)
        pdu = encode_pdu(self._respond(msg.pdu))
        reply = UsmParams(ENGINE_ID, self.boots, self.engine_time, usm.user)
        flags = msg.flags & (FLAG_AUTH | FLAG_PRIV)
        return seal_v3(msg.msg_id, flags, reply, encode_scoped_pdu(ENGINE_ID, b"", pdu), keys)

    # -- PDUs ------------------------------------------------------------------------------

    def _respond(self, pdu: Pdu) -> Pdu:
        b = self.behaviour
        if pdu.type == PduType.GET_BULK:
            if b.too_big_above is not None and pdu.error_index > b.too_big_above:
                return Pdu(PduType.RESPONSE, pdu.request_id, 1, 0, [])
            varbinds = self._bulk(pdu)
        else:
            absent = Tag.NO_SUCH_OBJECT
            varbinds = [self.mib.get(vb.oid, VarBind(vb.oid, absent, None)) for vb in pdu.varbinds]
        if b.rewrite is not None:
            varbinds = b.rewrite(varbinds)
        index = int(bool(b.error_status))
        return Pdu(PduType.RESPONSE, pdu.request_id, b.error_status, index, varbinds)

    def _next(self, oid: Oid) -> VarBind:
        i = bisect.bisect_right(self.order, oid)
        if i == len(self.order):
            return VarBind(oid, Tag.END_OF_MIB_VIEW, None)
        return self.mib[self.order[i]]

    def _bulk(self, pdu: Pdu) -> list[VarBind]:
        cursors = [vb.oid for vb in pdu.varbinds]
        width = max(1, len(cursors))
        rows = max(0, pdu.error_index)
        cap = self.behaviour.max_varbinds
        if not self.behaviour.partial_rows:
            rows = min(rows, max(1, cap // width))
        out: list[VarBind] = []
        for _ in range(rows):
            for i, cursor in enumerate(cursors):
                vb = self._next(cursor)
                cursors[i] = vb.oid
                out.append(vb)
        return out[:cap]


async def start(agent: SimAgent) -> int:
    """Listen on 127.0.0.1 (a free port); returns the port."""
    loop = asyncio.get_running_loop()
    agent.transport, _ = await loop.create_datagram_endpoint(
        lambda: agent, local_addr=("127.0.0.1", 0)
    )
    return int(agent.transport.get_extra_info("sockname")[1])


IF_ENTRY: Oid = (1, 3, 6, 1, 2, 1, 2, 2, 1)


def table(columns: Iterable[int], rows: Iterable[int], entry: Oid = IF_ENTRY) -> dict[Oid, VarBind]:
    """A table whose cell (column c, row r) is Counter64 ``c * 100000 + r``."""
    return {
        (*entry, c, r): VarBind((*entry, c, r), Tag.COUNTER64, c * 100000 + r)
        for c in columns
        for r in rows
    }
