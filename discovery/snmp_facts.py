"""SNMP facts of one address: the system group with the first credential that answers, and
its LLDP neighbours where the agent has LLDP-MIB.

Credentials are tried in the order given; a timeout or an authentication failure moves on to
the next one, while "port unreachable" or "no route" stops at once (nothing listens, so no
other credential can help). A failure is recorded as a note on the host, never raised.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from netwarden.agent.polling.targets import credentials_for
from netwarden.agent.snmp.types import (
    Credentials,
    Reason,
    SnmpError,
    SnmpSession,
    Target,
    VarBind,
    format_oid,
    parse_oid,
)
from netwarden.discovery import lldp
from netwarden.discovery.facts import SnmpFacts
from netwarden.errors import SecretError, UsageError
from netwarden.inventory.model import Inventory

SessionFactory = Callable[[Target], SnmpSession]

SYS_DESCR = parse_oid("1.3.6.1.2.1.1.1.0")
SYS_OBJECT_ID = parse_oid("1.3.6.1.2.1.1.2.0")
SYS_NAME = parse_oid("1.3.6.1.2.1.1.5.0")
IP_FORWARDING = parse_oid("1.3.6.1.2.1.4.1.0")  # 1 forwarding (a router), 2 not forwarding
SYSTEM = (SYS_DESCR, SYS_OBJECT_ID, SYS_NAME, IP_FORWARDING)
_FINAL = frozenset({Reason.refused, Reason.unreachable})


@dataclass(frozen=True, slots=True)
class NamedCredentials:
    """An inventory credential's name and its resolved secrets."""

    name: str
    credentials: Credentials

    def __repr__(self) -> str:
        return f"NamedCredentials({self.name!r})"


def _text(vb: VarBind | None) -> str:
    if vb is None or vb.is_exception or not isinstance(vb.value, bytes):
        return ""
    return vb.value.decode("utf-8", errors="replace").strip()


def system_facts(credential: str, varbinds: Sequence[VarBind]) -> SnmpFacts:
    """The answer to a GET of :data:`SYSTEM` as facts (absent objects are empty)."""
    by_oid = {vb.oid: vb for vb in varbinds}
    oid_vb = by_oid.get(SYS_OBJECT_ID)
    object_id = ""
    if oid_vb is not None and not oid_vb.is_exception and isinstance(oid_vb.value, tuple):
        object_id = format_oid(oid_vb.value)
    forwarding_vb = by_oid.get(IP_FORWARDING)
    forwarding = None
    if forwarding_vb is not None and isinstance(forwarding_vb.value, int):
        forwarding = forwarding_vb.value == 1
    return SnmpFacts(
        credential=credential,
        sys_descr=_text(by_oid.get(SYS_DESCR)),
        sys_object_id=object_id,
        sys_name=_text(by_oid.get(SYS_NAME)),
        forwarding=forwarding,
    )


async def snmp_facts(
    address: str,
    credentials: Sequence[NamedCredentials],
    factory: SessionFactory,
    *,
    timeout: float,  # noqa: ASYNC109 -- per request, as the SNMP target's
    notes: list[str],
) -> SnmpFacts | None:
    """Facts of ``address`` from the first of ``credentials`` that answers; None if none does
    (why is appended to ``notes``)."""
    failures: list[str] = []
    for named in credentials:
        target = Target(host=address, timeout=timeout, retries=1, credentials=named.credentials)
        session = factory(target)
        try:
            varbinds = await session.get(SYSTEM)
            facts = system_facts(named.name, varbinds)
            return await _with_neighbours(session, facts, notes)
        except SnmpError as exc:
            failures.append(f"{named.name}: {exc.reason}")
            if exc.reason in _FINAL:
                break
        finally:
            await session.close()
    if failures and failures[-1].endswith(str(Reason.refused)):
        notes.append("no SNMP agent (UDP port 161 unreachable)")
    elif failures:
        notes.append("SNMP did not answer (" + ", ".join(failures) + ")")
    return None


async def _with_neighbours(session: SnmpSession, facts: SnmpFacts, notes: list[str]) -> SnmpFacts:
    try:
        walk = await session.bulk_walk(lldp.ROOTS)
    except SnmpError as exc:
        # The system group answered: a failed LLDP walk costs the links only.
        notes.append(f"LLDP walk failed ({exc.reason}): {exc}")
        return facts
    return dataclasses.replace(facts, neighbours=tuple(lldp.parse_neighbours(walk)))


def resolve_credentials(
    inventory: Inventory, names: Sequence[str]
) -> tuple[list[NamedCredentials], list[str]]:
    """The SNMP credentials to try, in order: ``names``, or every SNMP credential of the
    inventory when none is named. An unknown or non-SNMP name is a :class:`UsageError`; a
    credential whose secret cannot be read is skipped with a note (the sweep still runs)."""
    for name in names:
        if name not in inventory.credentials:
            raise UsageError(f"--credential {name}: no such credential in the inventory")
        if inventory.credentials[name].snmp is None:
            raise UsageError(f"--credential {name}: an SSH credential, not SNMP")
    wanted = list(dict.fromkeys(names)) or [
        name for name, cred in inventory.credentials.items() if cred.snmp is not None
    ]
    resolved, notes = [], []
    for name in wanted:
        try:
            resolved.append(NamedCredentials(name, credentials_for(inventory, name)))
        except SecretError as exc:
            notes.append(f"credential {name} skipped: {exc}")
    return resolved, notes
