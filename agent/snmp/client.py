"""The agent's SNMP client: one connected UDP socket per device, v2c or v3 (USM), asyncio.

A connected socket makes the kernel deliver only the device's datagrams and turn an ICMP port
unreachable into ECONNREFUSED (``Reason.refused``) instead of a silent timeout. Answers are
paired with requests by request-id (v2c) or msgID (v3, the same number); a retry resends the
same id, so a late answer to the first attempt still counts.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import secrets
import socket
from collections.abc import Callable, Mapping, Sequence

from netwarden.agent.snmp.ber import BerError, Pdu, PduType, encode_request_pdu, oid_content
from netwarden.agent.snmp.messages import decode_v2c, encode_v2c, peek_message_id
from netwarden.agent.snmp.types import (
    Oid,
    Reason,
    SnmpError,
    Target,
    V2cCredentials,
    V3Credentials,
    VarBind,
    format_oid,
)
from netwarden.agent.snmp.v3 import Resync, UsmState
from netwarden.agent.snmp.walk import BulkWalk, Column
from netwarden.hostport import format_hostport

TOO_BIG = 1
MAX_WALK_REQUESTS = 200_000  # a runaway agent cannot keep a walk going for ever
ERROR_STATUS_NAMES = (
    *("noError", "tooBig", "noSuchName", "badValue", "readOnly", "genErr", "noAccess"),
    *("wrongType", "wrongLength", "wrongEncoding", "wrongValue", "noCreation"),
    *("inconsistentValue", "resourceUnavailable", "commitFailed", "undoFailed"),
    *("authorizationError", "notWritable", "inconsistentName"),
)
_UNREACHABLE = frozenset({errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN, errno.ENETDOWN})


def socket_error(exc: OSError, where: str) -> SnmpError:
    """Map a socket error (as the kernel reports ICMP errors) to a bounded reason."""
    if isinstance(exc, ConnectionRefusedError):
        return SnmpError(Reason.refused, f"{where}: port unreachable (nothing listens)")
    if exc.errno in _UNREACHABLE:
        return SnmpError(Reason.unreachable, f"{where}: {exc.strerror or exc}")
    if isinstance(exc, socket.gaierror):
        return SnmpError(Reason.other, f"{where}: cannot resolve host: {exc}")
    return SnmpError(Reason.other, f"{where}: {exc}")


def _expire(fut: asyncio.Future[bytes | None]) -> None:
    if not fut.done():
        fut.set_result(None)


class _Endpoint(asyncio.DatagramProtocol):
    def __init__(self, on_datagram: Callable[[bytes], None], on_error: Callable[[OSError], None]):
        self._on_datagram, self._on_error = on_datagram, on_error

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self._on_datagram(data)

    def error_received(self, exc: Exception) -> None:
        if isinstance(exc, OSError):
            self._on_error(exc)


class UdpSnmpSession:
    """:class:`~netwarden.agent.snmp.types.SnmpSession` for one :class:`Target` over UDP.

    ``max_repetitions`` starts at the target's and is halved (down to 1) whenever the agent
    answers a GETBULK with tooBig; the tuned value stays with this session. The socket opens
    on first use; use ``async with`` or :meth:`close`.
    """

    def __init__(self, target: Target) -> None:
        self.target = target
        self.max_repetitions = max(1, target.max_repetitions)
        self._where = format_hostport(target.host, target.port)
        creds = target.credentials
        self._usm = UsmState(creds) if isinstance(creds, V3Credentials) else None
        self._community = creds.community if isinstance(creds, V2cCredentials) else b""
        self._transport: asyncio.DatagramTransport | None = None
        self._opening = asyncio.Lock()
        self._discovering = asyncio.Lock()
        self._pending: dict[int, asyncio.Future[bytes | None]] = {}
        self._next_id = secrets.randbelow(2**30) + 1
        self._closed = False

    @property
    def engine_id(self) -> bytes | None:
        """The device's SNMPv3 engine ID as this session discovered it (None for v2c or
        before discovery): the trap receiver authenticates v3 notifications against it."""
        return self._usm.engine_id if self._usm is not None else None

    async def __aenter__(self) -> UdpSnmpSession:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def get(self, oids: Sequence[Oid]) -> list[VarBind]:
        """One GET; answers in request order (absent objects as exception values)."""
        if not oids:
            return []
        pdu = await self._request(PduType.GET, [oid_content(oid) for oid in oids])
        self._check_status(pdu)
        if [vb.oid for vb in pdu.varbinds] != list(oids):
            raise SnmpError(Reason.decode, f"{self._where}: GET answer does not match the OIDs")
        return list(pdu.varbinds)

    async def bulk_walk(self, roots: Sequence[Oid]) -> Mapping[Oid, list[VarBind]]:
        """Walk all ``roots`` side by side with GETBULK (see :class:`BulkWalk`)."""
        return (await self._walk(roots)).results()

    async def walk_columns(self, roots: Sequence[Oid]) -> Mapping[Oid, Column]:
        """The same walk, packed (see :class:`Column`)."""
        return (await self._walk(roots)).columns()

    async def _walk(self, roots: Sequence[Oid]) -> BulkWalk:
        walk = BulkWalk(roots)
        for _ in range(MAX_WALK_REQUESTS):
            if walk.done:
                return walk
            walk.consume(await self._bulk(walk.request_oids()))
        raise SnmpError(Reason.other, f"{self._where}: walk exceeded {MAX_WALK_REQUESTS} requests")

    async def close(self) -> None:
        self._closed = True
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(SnmpError(Reason.other, f"{self._where}: session closed"))

    async def _bulk(self, oid_contents: list[bytes]) -> Sequence[VarBind]:
        for _ in range(32):  # halving reaches 1 long before
            pdu = await self._request(PduType.GET_BULK, oid_contents, 0, self.max_repetitions)
            if pdu.error_status != TOO_BIG or self.max_repetitions == 1:
                self._check_status(pdu)
                return pdu.varbinds
            self.max_repetitions = max(1, self.max_repetitions // 2)
        raise SnmpError(Reason.error_status, f"{self._where}: tooBig at every size")

    def _check_status(self, pdu: Pdu) -> None:
        status = pdu.error_status
        if status:
            name = ERROR_STATUS_NAMES[status] if status < len(ERROR_STATUS_NAMES) else status
            bad = pdu.error_index
            at = ""
            if 0 < bad <= len(pdu.varbinds):
                at = f" at {format_oid(pdu.varbinds[bad - 1].oid)}"
            raise SnmpError(Reason.error_status, f"{self._where}: agent answered {name}{at}")

    def _new_id(self) -> int:
        self._next_id = self._next_id % (2**31 - 1) + 1
        return self._next_id

    async def _request(
        self, pdu_type: PduType, oid_contents: Sequence[bytes], a: int = 0, b: int = 0
    ) -> Pdu:
        if self._usm is None:
            rid = self._new_id()
            message = encode_v2c(
                self._community, encode_request_pdu(pdu_type, rid, oid_contents, a, b)
            )
            data = await self._exchange(rid, lambda: message)
            return self._open_v2c(data, rid)
        for attempt in range(2):  # a Resync Report earns exactly one retry
            await self._discover(self._usm)
            rid = self._new_id()
            pdu = encode_request_pdu(pdu_type, rid, oid_contents, a, b)
            data = await self._exchange(rid, functools.partial(self._usm.seal, rid, pdu))
            try:
                return self._usm.open(data, rid)
            except Resync as exc:
                if attempt:
                    raise SnmpError(Reason.auth, f"{self._where}: repeated {exc}") from None
        raise AssertionError("unreachable")

    def _open_v2c(self, data: bytes, rid: int) -> Pdu:
        try:
            _, pdu = decode_v2c(data)
        except BerError as exc:
            raise SnmpError(Reason.decode, f"{self._where}: malformed answer: {exc}") from None
        if pdu.type != PduType.RESPONSE or pdu.request_id != rid:
            raise SnmpError(Reason.decode, f"{self._where}: answer is not the Response")
        return pdu

    async def _discover(self, usm: UsmState) -> None:
        if usm.discovered:
            return
        async with self._discovering:
            if usm.discovered:
                return
            rid = self._new_id()
            message = usm.discovery_request(rid)
            usm.learn(await self._exchange(rid, lambda: message))

    async def _exchange(self, msg_id: int, build: Callable[[], bytes]) -> bytes:
        """Send ``build()`` and await the datagram with ``msg_id``: timeout x (retries + 1)."""
        transport = await self._open()
        loop = asyncio.get_running_loop()
        attempts = max(0, self.target.retries) + 1
        for _ in range(attempts):
            fut: asyncio.Future[bytes | None] = loop.create_future()
            self._pending[msg_id] = fut
            timer = loop.call_later(self.target.timeout, _expire, fut)
            try:
                transport.sendto(build())
                data = await fut
            finally:
                timer.cancel()
                self._pending.pop(msg_id, None)
            if data is not None:
                return data
        raise SnmpError(
            Reason.timeout,
            f"{self._where}: no answer within {self.target.timeout:g}s x {attempts} attempts",
        )

    async def _open(self) -> asyncio.DatagramTransport:
        if self._transport is not None:
            return self._transport
        async with self._opening:
            if self._closed:
                raise SnmpError(Reason.other, f"{self._where}: session closed")
            if self._transport is None:
                loop = asyncio.get_running_loop()
                try:
                    self._transport, _ = await loop.create_datagram_endpoint(
                        lambda: _Endpoint(self._on_datagram, self._on_error),
                        remote_addr=(self.target.host, self.target.port),
                    )
                except OSError as exc:
                    raise socket_error(exc, self._where) from None
            return self._transport

    def _on_datagram(self, data: bytes) -> None:
        try:
            fut = self._pending.get(peek_message_id(data))
        except BerError:
            # Unpairable garbage: blame the request if only one waits (it then fails decode).
            only = list(self._pending.values())
            fut = only[0] if len(only) == 1 else None
        if fut is not None and not fut.done():
            fut.set_result(data)

    def _on_error(self, exc: OSError) -> None:
        error = socket_error(exc, self._where)
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(error)
