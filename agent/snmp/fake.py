"""An in-memory :class:`~netwarden.agent.snmp.types.SnmpSession` for the poller and tests.

It answers like an agent would (GET absent -> noSuchObject/noSuchInstance, walks return each
root's subtree in OID order) and fails on demand: ``fail(root, Reason.timeout)`` makes every
request touching ``root`` raise (a GET of something under it, a walk of something under or
above it), for ever or ``times`` times.
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from netwarden.agent.snmp.types import Oid, Reason, SnmpError, Tag, VarBind, format_oid
from netwarden.agent.snmp.walk import Column, columns_of


@dataclass
class _Failure:
    error: SnmpError
    kinds: frozenset[str]
    times: int | None  # None: for ever


class FakeSnmpSession:
    """SnmpSession over ``mib`` (a mapping ``{Oid: VarBind}`` or varbinds).

    ``calls`` records every request as ``("get" | "walk", oids)``; ``latency`` seconds pass
    before each answer (for deadline tests)."""

    def __init__(
        self, mib: Mapping[Oid, VarBind] | Iterable[VarBind] = (), *, latency: float = 0.0
    ) -> None:
        items = mib.values() if isinstance(mib, Mapping) else mib
        self.mib: dict[Oid, VarBind] = {vb.oid: vb for vb in items}
        self.latency = latency
        self.calls: list[tuple[str, tuple[Oid, ...]]] = []
        self.closed = False
        self._failures: dict[Oid, _Failure] = {}
        self._order: list[Oid] | None = None

    # -- programming the fake ----------------------------------------------------------------

    def set(self, oid: Oid, tag: Tag, value: int | bytes | Oid | None) -> None:
        self.update([VarBind(oid, tag, value)])

    def update(self, varbinds: Iterable[VarBind]) -> None:
        for vb in varbinds:
            self.mib[vb.oid] = vb
        self._order = None

    def remove(self, prefix: Oid) -> None:
        """Forget ``prefix`` and everything under it."""
        for oid in [o for o in self.mib if o[: len(prefix)] == prefix]:
            del self.mib[oid]
        self._order = None

    def fail(
        self,
        root: Oid,
        error: SnmpError | Reason = Reason.timeout,
        *,
        times: int | None = None,
        kinds: Iterable[str] = ("get", "walk"),
    ) -> None:
        """Make requests (of ``kinds``) for ``root`` or anything under it raise ``error``;
        ``times`` bounds how often (``None``: until :meth:`heal`)."""
        if isinstance(error, Reason):
            error = SnmpError(error, f"fake: {error} for {format_oid(root)}")
        self._failures[root] = _Failure(error, frozenset(kinds), times)

    def heal(self, root: Oid | None = None) -> None:
        """Stop failing ``root`` (all roots if ``None``)."""
        if root is None:
            self._failures.clear()
        else:
            self._failures.pop(root, None)

    # -- SnmpSession -------------------------------------------------------------------------

    async def get(self, oids: Sequence[Oid]) -> list[VarBind]:
        await self._enter("get", oids)
        return [self.mib.get(oid) or VarBind(oid, self._absent(oid), None) for oid in oids]

    async def bulk_walk(self, roots: Sequence[Oid]) -> Mapping[Oid, list[VarBind]]:
        await self._enter("walk", roots)
        return {root: self._subtree(root) for root in dict.fromkeys(roots)}

    async def walk_columns(self, roots: Sequence[Oid]) -> Mapping[Oid, Column]:
        return columns_of(await self.bulk_walk(roots))

    async def close(self) -> None:
        self.closed = True

    # -- internals ---------------------------------------------------------------------------

    def _sorted(self) -> list[Oid]:
        if self._order is None:
            self._order = sorted(self.mib)
        return self._order

    def _subtree(self, root: Oid) -> list[VarBind]:
        order = self._sorted()
        n = len(root)
        out = []
        for oid in order[bisect.bisect_right(order, root) :]:
            if oid[:n] != root:
                break
            out.append(self.mib[oid])
        return out

    def _absent(self, oid: Oid) -> Tag:
        """noSuchInstance if the object (``oid`` without its last arc) has instances."""
        parent = oid[:-1]
        order = self._sorted()
        i = bisect.bisect_right(order, parent)
        under = i < len(order) and order[i][: len(parent)] == parent
        return Tag.NO_SUCH_INSTANCE if under else Tag.NO_SUCH_OBJECT

    async def _enter(self, kind: str, oids: Sequence[Oid]) -> None:
        if self.closed:
            raise SnmpError(Reason.other, "fake: session closed")
        self.calls.append((kind, tuple(oids)))
        if self.latency:
            await asyncio.sleep(self.latency)
        for root, failure in list(self._failures.items()):
            if kind in failure.kinds and any(_touches(kind, oid, root) for oid in oids):
                if failure.times is not None:
                    failure.times -= 1
                    if failure.times <= 0:
                        del self._failures[root]
                raise failure.error


def _touches(kind: str, oid: Oid, root: Oid) -> bool:
    """Does a request for ``oid`` reach ``root``? (A walk also reaches roots below it.)"""
    return oid[: len(root)] == root or (kind == "walk" and root[: len(oid)] == oid)
