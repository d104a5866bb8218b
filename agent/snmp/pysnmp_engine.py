"""pysnmp 7.1 (asyncio hlapi) behind the agent's SnmpSession Protocol: the reference engine.

``--snmp-engine pysnmp`` polls with it, to tell a fault of the fast client from one of the
device. pysnmp is imported on first use, not with this module: it costs 0.1-0.2 s and every
``netwarden`` command would pay it. Its objects are untyped; ``Any`` stays in this module.

Known differences from :class:`~netwarden.agent.snmp.client.UdpSnmpSession`: pysnmp's socket is
not connected, so an ICMP port unreachable reads as ``timeout`` (not ``refused``); its
timeouts are checked on a timer tick, so they run a little long; each session's engine loads
its own MIB view (about 0.3 s of CPU, once per device).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import warnings
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from typing import Any

from netwarden.agent.snmp.types import (
    Oid,
    Reason,
    SnmpError,
    Tag,
    Target,
    V2cCredentials,
    V3Credentials,
    Value,
    VarBind,
    format_oid,
)
from netwarden.agent.snmp.walk import Column, columns_of
from netwarden.hostport import format_hostport

TOO_BIG = 1
MAX_WALK_REQUESTS = 200_000  # a runaway agent cannot keep a walk going for ever
TIMED_OUT = ("RequestTimedOut",)
# The USM failures; the fast client reports the same ones (as Report PDUs) as auth.
AUTH_FAILED = (
    *("WrongDigest", "UnknownUserName", "UnsupportedSecurityLevel", "DecryptionError"),
    *("NotInTimeWindow", "UnknownEngineID"),
)
AUTH_PROTOCOLS = {
    "md5": "USM_AUTH_HMAC96_MD5",
    "sha": "USM_AUTH_HMAC96_SHA",
    "sha224": "USM_AUTH_HMAC128_SHA224",
    "sha256": "USM_AUTH_HMAC192_SHA256",
    "sha384": "USM_AUTH_HMAC256_SHA384",
    "sha512": "USM_AUTH_HMAC384_SHA512",
}
# net-snmp's AES-192/256 (and agent/snmp/usm.py's "aes192"/"aes256") extend the key as in
# draft-blumenthal: pysnmp's usmAesBlumenthalCfb* ones. pysnmp's plain usmAesCfb192/256 use
# the Reeder extension, Cisco's (usm.py's "aes192c"/"aes256c").
PRIV_PROTOCOLS = {
    "des": "USM_PRIV_CBC56_DES",
    "aes": "USM_PRIV_CFB128_AES",
    "aes192": "USM_PRIV_CFB192_AES_BLUMENTHAL",
    "aes256": "USM_PRIV_CFB256_AES_BLUMENTHAL",
    "aes192c": "USM_PRIV_CFB192_AES",
    "aes256c": "USM_PRIV_CFB256_AES",
}
_INTEGERS = frozenset({Tag.INTEGER, Tag.COUNTER32, Tag.GAUGE32, Tag.TIMETICKS, Tag.COUNTER64})
_OCTETS = frozenset({Tag.OCTET_STRING, Tag.IP_ADDRESS, Tag.OPAQUE})

Command = Callable[..., Awaitable[Any]]


@contextlib.contextmanager
def _quiet_pysmi() -> Iterator[None]:
    """pysnmp 7.1 calls pysmi by its camelCase names, which pysmi 2.0 deprecates. pysnmp does
    so, when pysmi is installed (it is optional), on import and where it hooks its MIB
    compiler to an engine: only those two places run under this."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore",
            r".* is deprecated\. Please use ",
            DeprecationWarning,
            module=r"pysnmp\.smi\.compiler",
        )
        yield


@functools.cache
def hlapi() -> Any:
    """``pysnmp.hlapi.v3arch.asyncio``, imported on first use."""
    with _quiet_pysmi():
        import pysnmp.hlapi.v3arch.asyncio as api

    return api


def _new_engine() -> Any:
    """A SnmpEngine with its MIB compiler hooked up already. Every request resolves its OIDs in
    the engine's MIB view, and the first would hook the compiler (warning) inside its
    coroutine: a filter there would stay on across awaits, while other sessions run."""
    from pysnmp.hlapi.varbinds import CommandGeneratorVarBinds

    api = hlapi()
    engine = api.SnmpEngine()
    with _quiet_pysmi():
        anything = api.ObjectType(api.ObjectIdentity((1, 3, 6, 1)))
        CommandGeneratorVarBinds().make_varbinds(engine.cache, (anything,))
    return engine


@functools.cache
def _indications(names: tuple[str, ...]) -> tuple[type[Exception], ...]:
    hlapi()  # pysnmp's own import order first (its modules import each other circularly)
    from pysnmp.proto import errind

    return tuple(getattr(errind, name) for name in names)


def _pysnmp_error() -> type[Exception]:
    hlapi()
    from pysnmp.error import PySnmpError

    return PySnmpError  # type: ignore[no-any-return]


# -- pysnmp objects -> ours ---------------------------------------------------------------------


def tag_of(value: Any) -> Tag:
    """The BER tag of a pysnmp value. SNMP's types carry one (implicit) tag, which pyasn1 keeps
    as class | format | number: OR-ed together they are the identifier octet on the wire."""
    tags = getattr(value, "tagSet", None)
    if not tags:
        raise SnmpError(Reason.decode, f"not an SNMP value: {type(value).__name__}")
    outer = tags.superTags[-1]
    try:
        return Tag(outer.tagClass | outer.tagFormat | outer.tagId)
    except ValueError:
        raise SnmpError(
            Reason.decode, f"unexpected SNMP value type {type(value).__name__}"
        ) from None


def value_of(tag: Tag, value: Any) -> Value:
    if tag in _INTEGERS:
        return int(value)  # pyasn1 keeps a Python int: Counter64 stays exact
    if tag in _OCTETS:
        return bytes(value.asOctets())
    if tag is Tag.OBJECT_IDENTIFIER:
        return tuple(int(n) for n in value)
    return None  # NULL and the v2 exceptions (noSuchObject, ...) carry nothing


def to_varbind(name: Any, value: Any) -> VarBind:
    """A pysnmp (ObjectName, value) pair as our VarBind."""
    tag = tag_of(value)
    return VarBind(tuple(int(n) for n in name), tag, value_of(tag, value))


def reason_of(indication: object) -> Reason:
    """Our bounded reason for a pysnmp errorIndication."""
    if isinstance(indication, _indications(TIMED_OUT)):
        return Reason.timeout
    if isinstance(indication, _indications(AUTH_FAILED)):
        return Reason.auth
    return Reason.other


# -- ours -> pysnmp -----------------------------------------------------------------------------


def _protocol(table: Mapping[str, str], name: str | None, kind: str) -> str | None:
    if name is None:
        return None
    try:
        return table[name]
    except KeyError:
        raise ValueError(f"unknown SNMPv3 {kind} protocol {name!r}") from None


def auth_data(creds: V2cCredentials | V3Credentials) -> Any:
    """pysnmp's CommunityData (v2c) or UsmUserData for ``creds``."""
    api = hlapi()
    if isinstance(creds, V2cCredentials):
        return api.CommunityData(creds.community, mpModel=1)
    auth = _protocol(AUTH_PROTOCOLS, creds.auth_protocol, "auth")
    priv = _protocol(PRIV_PROTOCOLS, creds.priv_protocol, "privacy")
    return api.UsmUserData(
        creds.user,
        authKey=creds.auth_password if auth else None,
        privKey=creds.priv_password if priv else None,
        authProtocol=getattr(api, auth or "USM_AUTH_NONE"),
        privProtocol=getattr(api, priv or "USM_PRIV_NONE"),
    )


class _Walk:
    """A multi-root GETBULK walk's bookkeeping. Written apart from agent/snmp/walk.py so that
    comparing the two engines also checks the fast client's walk logic."""

    def __init__(self, roots: Sequence[Oid]) -> None:
        self.rows: dict[Oid, list[VarBind]] = {root: [] for root in roots}
        self.last = {root: root for root in self.rows}
        self.active = list(self.rows)

    def request(self) -> list[Oid]:
        return [self.last[root] for root in self.active]

    def take(self, answer: Sequence[VarBind]) -> None:
        """A GETBULK answer lists its repetitions row by row, one varbind per requested root,
        so varbind ``i`` belongs to root ``i % width``, even when the agent cut a row short."""
        width = len(self.active)
        finished: set[Oid] = set()
        took = 0
        for i, vb in enumerate(answer):
            root = self.active[i % width]
            if root in finished:
                continue
            if vb.is_exception or vb.oid[: len(root)] != root:
                finished.add(root)
            elif vb.oid > self.last[root]:
                self.rows[root].append(vb)
                self.last[root] = vb.oid
                took += 1
            else:  # an agent that does not move on would keep the walk going for ever
                raise SnmpError(Reason.decode, f"OID not increasing: {format_oid(vb.oid)}")
        if not took and not finished:
            raise SnmpError(Reason.decode, "GETBULK answer made no progress")
        self.active = [root for root in self.active if root not in finished]


class _AgentError(SnmpError):
    """The agent answered with errorStatus ``status`` (kept: tooBig is retried smaller)."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(Reason.error_status, message)


class PysnmpSession:
    """:class:`~netwarden.agent.snmp.types.SnmpSession` for one :class:`Target` on pysnmp.

    Each session has its own SnmpEngine: v3 engine discovery and time are per device, never
    shared. The engine starts on first use; :meth:`close` closes its transport dispatcher.
    ``max_repetitions`` is halved on tooBig and kept, as the fast client does.
    """

    def __init__(self, target: Target) -> None:
        self.target = target
        self.max_repetitions = max(1, target.max_repetitions)
        self._where = format_hostport(target.host, target.port)
        creds = target.credentials
        if isinstance(creds, V3Credentials):  # fail at setup, as the fast client does
            _protocol(AUTH_PROTOCOLS, creds.auth_protocol, "auth")
            _protocol(PRIV_PROTOCOLS, creds.priv_protocol, "privacy")
        self._engine: Any = None
        self._transport: Any = None
        self._auth: Any = None
        self._opening = asyncio.Lock()
        self._closed = False

    async def __aenter__(self) -> PysnmpSession:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def get(self, oids: Sequence[Oid]) -> list[VarBind]:
        """One GET; answers in request order (absent objects as exception values)."""
        if not oids:
            return []
        answer = await self._send(hlapi().get_cmd, (), oids)
        if [vb.oid for vb in answer] != list(oids):
            raise SnmpError(Reason.decode, f"{self._where}: GET answer does not match the OIDs")
        return answer

    async def bulk_walk(self, roots: Sequence[Oid]) -> Mapping[Oid, list[VarBind]]:
        """Walk all ``roots`` side by side, one GETBULK of every unfinished root's last OID."""
        walk = _Walk(roots)
        for _ in range(MAX_WALK_REQUESTS):
            if not walk.active:
                return walk.rows
            walk.take(await self._bulk(walk.request()))
        raise SnmpError(Reason.other, f"{self._where}: walk exceeded {MAX_WALK_REQUESTS} requests")

    async def walk_columns(self, roots: Sequence[Oid]) -> Mapping[Oid, Column]:
        """The walk packed afterwards (this engine is the slow reference, not the agent's path)."""
        return columns_of(await self.bulk_walk(roots))

    async def close(self) -> None:
        self._closed = True
        engine, self._engine = self._engine, None
        if engine is not None:
            engine.close_dispatcher()

    async def _bulk(self, oids: list[Oid]) -> list[VarBind]:
        for _ in range(32):  # halving reaches 1 long before
            try:
                return await self._send(hlapi().bulk_cmd, (0, self.max_repetitions), oids)
            except _AgentError as exc:
                if exc.status != TOO_BIG or self.max_repetitions == 1:
                    raise
            self.max_repetitions = max(1, self.max_repetitions // 2)
        raise SnmpError(Reason.error_status, f"{self._where}: tooBig at every size")

    async def _send(
        self, command: Command, lead: tuple[int, ...], oids: Sequence[Oid]
    ) -> list[VarBind]:
        """One request (``lead``: GETBULK's nonRepeaters and maxRepetitions) -> its varbinds."""
        api = hlapi()
        engine, transport, auth = await self._open()
        objects = [api.ObjectType(api.ObjectIdentity(oid)) for oid in oids]
        try:
            indication, status, index, answer = await command(
                engine, auth, transport, api.ContextData(), *lead, *objects, lookupMib=False
            )
        except _pysnmp_error() as exc:
            raise SnmpError(Reason.other, f"{self._where}: {exc}") from None
        if indication:
            raise SnmpError(reason_of(indication), f"{self._where}: {indication}")
        varbinds = [to_varbind(name, value) for name, value in answer]
        if status:
            # str() of pysnmp's errorStatus is its RFC 3416 name (tooBig, genErr, ...)
            index = int(index)
            at = f" at {format_oid(varbinds[index - 1].oid)}" if 0 < index <= len(varbinds) else ""
            raise _AgentError(int(status), f"{self._where}: agent answered {status}{at}")
        return varbinds

    async def _open(self) -> tuple[Any, Any, Any]:
        async with self._opening:
            if self._closed:
                raise SnmpError(Reason.other, f"{self._where}: session closed")
            if self._engine is None:
                api, target = hlapi(), self.target
                # pysnmp has one transport class per address family.
                transport = (
                    api.Udp6TransportTarget if ":" in target.host else api.UdpTransportTarget
                )
                try:
                    self._transport = await transport.create(
                        (target.host, target.port), timeout=target.timeout, retries=target.retries
                    )
                except _pysnmp_error() as exc:  # pysnmp's only failure here: name resolution
                    raise SnmpError(Reason.other, f"{self._where}: {exc}") from None
                self._auth = auth_data(target.credentials)
                self._engine = _new_engine()
            return self._engine, self._transport, self._auth
