"""A minimal in-memory SnmpSession for the poller tests, and builders of IF-MIB devices.

Counter values encode where they came from (``index * 1000 + column``, +100 for ifXTable), so a
test can tell whether a row carries its own interface's counters or another one's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from netwarden.agent.polling import ifmib
from netwarden.agent.snmp.types import Oid, Reason, SnmpError, Tag, Value, VarBind
from netwarden.agent.snmp.walk import Column, columns_of

IF = ifmib.IF_ENTRY
IFX = ifmib.IFX_ENTRY


class FakeSession:
    """Answers GET/bulk_walk from ``mib``; records every request in ``requests`` as
    ("get" | "walk", oids). A request touching a prefix in ``failures`` raises that error;
    one touching a prefix in ``hangs`` never answers (for deadlines)."""

    def __init__(self) -> None:
        self.mib: dict[Oid, VarBind] = {}
        self.requests: list[tuple[str, tuple[Oid, ...]]] = []
        self.failures: dict[Oid, SnmpError] = {}
        self.hangs: set[Oid] = set()
        self.closed = False

    def set(self, oid: Oid, tag: Tag, value: Value) -> None:
        self.mib[oid] = VarBind(oid, tag, value)

    def drop(self, prefix: Oid) -> None:
        for oid in [o for o in self.mib if o[: len(prefix)] == prefix]:
            del self.mib[oid]

    def fail(self, prefix: Oid, reason: Reason = Reason.timeout) -> None:
        self.failures[prefix] = SnmpError(reason, f"no answer from 198.18.1.2 ({reason})")

    def walk_now(self, roots: Sequence[Oid]) -> dict[Oid, list[VarBind]]:
        """What bulk_walk answers, synchronously (for the pure mapping tests)."""
        ordered = sorted(self.mib)
        return {
            root: [self.mib[o] for o in ordered if o[: len(root)] == root and o != root]
            for root in roots
        }

    def walked_roots(self) -> list[tuple[Oid, ...]]:
        return [oids for kind, oids in self.requests if kind == "walk"]

    async def get(self, oids: Sequence[Oid]) -> list[VarBind]:
        await self._enter("get", oids)
        return [self.mib.get(o, VarBind(o, Tag.NO_SUCH_OBJECT, None)) for o in oids]

    async def bulk_walk(self, roots: Sequence[Oid]) -> Mapping[Oid, list[VarBind]]:
        await self._enter("walk", roots)
        return self.walk_now(roots)

    async def walk_columns(self, roots: Sequence[Oid]) -> Mapping[Oid, Column]:
        # Through bulk_walk, so a test that replaces bulk_walk still reaches the poller.
        return columns_of(await self.bulk_walk(roots))

    async def close(self) -> None:
        self.closed = True

    async def _enter(self, kind: str, oids: Sequence[Oid]) -> None:
        self.requests.append((kind, tuple(oids)))
        for prefix in self.hangs:
            if any(o[: len(prefix)] == prefix for o in oids):
                await asyncio.sleep(3600)
        for prefix, error in self.failures.items():
            if any(o[: len(prefix)] == prefix for o in oids):
                raise error


@dataclass
class FakeIf:
    """One interface of a fake device; ``hc=False`` leaves out its ifXTable HC columns."""

    index: int
    name: str | bytes | None = None
    descr: str | bytes | None = None
    alias: str | bytes = b""
    high_speed: int = 1000
    hc: bool = True
    oper: int = 1
    admin: int = 1
    overrides: dict[Oid, int] = field(default_factory=dict)  # column -> value

    def __post_init__(self) -> None:
        if self.name is None:
            self.name = f"Gi0/{self.index}"
        if self.descr is None:
            self.descr = f"GigabitEthernet0/{self.index}"


def _bytes(text: str | bytes) -> bytes:
    return text.encode() if isinstance(text, str) else text


def counter_value(index: int, column: Oid) -> int:
    """The value :func:`add_interface` gives a counter column by default."""
    table_offset = 100 if column[: len(IFX)] == IFX else 0
    return index * 1000 + table_offset + column[-1]


def add_interface(session: FakeSession, iface: FakeIf, *, ifx: bool = True) -> None:
    """Put one interface's ifTable (and, if ``ifx``, ifXTable) row into the fake's MIB."""
    i = iface.index
    session.set((*ifmib.IF_DESCR, i), Tag.OCTET_STRING, _bytes(iface.descr or ""))
    session.set((*IF, 7, i), Tag.INTEGER, iface.admin)
    session.set((*IF, 8, i), Tag.INTEGER, iface.oper)
    session.set((*IF, 9, i), Tag.TIMETICKS, 4200 + i)
    for col in (*ifmib.IF_COUNTERS.values(), *ifmib.LEGACY_COUNTERS.values()):
        session.set((*col, i), Tag.COUNTER32, iface.overrides.get(col, counter_value(i, col)))
    if not ifx:
        return
    session.set((*ifmib.IF_NAME, i), Tag.OCTET_STRING, _bytes(iface.name or ""))
    session.set((*ifmib.IF_ALIAS, i), Tag.OCTET_STRING, _bytes(iface.alias))
    session.set((*ifmib.IF_HIGH_SPEED, i), Tag.GAUGE32, iface.high_speed)
    if iface.hc:
        for col in ifmib.HC_COUNTERS.values():
            value = iface.overrides.get(col, counter_value(i, col))
            session.set((*col, i), Tag.COUNTER64, value)


def set_scalars(
    session: FakeSession, *, uptime: int, if_number: int, last_change: int | None = 500
) -> None:
    session.set(ifmib.SYS_UPTIME, Tag.TIMETICKS, uptime)
    session.set(ifmib.IF_NUMBER, Tag.INTEGER, if_number)
    if last_change is None:
        session.mib.pop(ifmib.IF_TABLE_LAST_CHANGE, None)
    else:
        session.set(ifmib.IF_TABLE_LAST_CHANGE, Tag.TIMETICKS, last_change)


def make_device(
    interfaces: Sequence[FakeIf], *, uptime: int = 100_000, ifx: bool = True
) -> FakeSession:
    """A fake device with these interfaces and consistent scalars."""
    session = FakeSession()
    for iface in interfaces:
        add_interface(session, iface, ifx=ifx)
    set_scalars(session, uptime=uptime, if_number=len(interfaces))
    return session


def clear_interfaces(session: FakeSession) -> None:
    session.drop(IF)
    session.drop(IFX)
