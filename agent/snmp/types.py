"""The SNMP vocabulary shared by the codec, the client, the poller and their fakes."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from netwarden.errors import NetwardenError

if TYPE_CHECKING:
    from netwarden.agent.snmp.walk import Column

Oid = tuple[int, ...]


def parse_oid(text: str) -> Oid:
    """``"1.3.6.1.2.1.1.5.0"`` (a leading dot is allowed) -> ``(1, 3, 6, 1, 2, 1, 1, 5, 0)``."""
    parts = text.strip().lstrip(".").split(".")
    try:
        oid = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"not a numeric OID: {text!r}") from None
    if len(oid) < 2 or any(n < 0 for n in oid):
        raise ValueError(f"not a numeric OID: {text!r}")
    return oid


def format_oid(oid: Oid) -> str:
    return ".".join(str(n) for n in oid)


class Tag(enum.IntEnum):
    """BER tags of SNMP values (universal, application, and the v2 exception values)."""

    INTEGER = 0x02
    OCTET_STRING = 0x04
    NULL = 0x05
    OBJECT_IDENTIFIER = 0x06
    IP_ADDRESS = 0x40
    COUNTER32 = 0x41
    GAUGE32 = 0x42
    TIMETICKS = 0x43
    OPAQUE = 0x44
    COUNTER64 = 0x46
    NO_SUCH_OBJECT = 0x80
    NO_SUCH_INSTANCE = 0x81
    END_OF_MIB_VIEW = 0x82


Value = int | bytes | Oid | None
"""int for INTEGER/Counter32/Gauge32/TimeTicks/Counter64 (exact, up to 2**64-1); bytes for
OCTET STRING/IpAddress/Opaque; Oid for OBJECT IDENTIFIER; None for NULL and exceptions."""

EXCEPTIONS = frozenset({Tag.NO_SUCH_OBJECT, Tag.NO_SUCH_INSTANCE, Tag.END_OF_MIB_VIEW})


@dataclass(frozen=True, slots=True)
class VarBind:
    oid: Oid
    tag: Tag
    value: Value

    @property
    def is_exception(self) -> bool:
        return self.tag in EXCEPTIONS


class Reason(enum.StrEnum):
    """Why a request failed: the bounded `reason` label of netwarden_snmp_poll_errors_total."""

    timeout = "timeout"  # no (valid) answer within timeout x (retries + 1)
    auth = "auth"  # wrong community is a timeout; v3: wrong key/user/level -> report PDU
    refused = "refused"  # ICMP port unreachable: nothing listens on the SNMP port
    unreachable = "unreachable"  # no route / host unreachable
    decode = "decode"  # the answer is not well-formed BER/SNMP
    error_status = "error-status"  # the agent answered with errorStatus != 0 (genErr, tooBig..)
    other = "other"


class SnmpError(NetwardenError):
    """A failed SNMP exchange with one device; ``reason`` is bounded (see :class:`Reason`)."""

    def __init__(self, reason: Reason, message: str) -> None:
        self.reason = reason
        super().__init__(message)


AuthProtocol = str  # "md5" | "sha" | "sha224" | "sha256" | "sha384" | "sha512"
PrivProtocol = str  # "des" | "aes" | "aes192" | "aes256"


@dataclass(frozen=True)
class V2cCredentials:
    community: bytes

    def __repr__(self) -> str:
        return "V2cCredentials(<secret>)"


@dataclass(frozen=True)
class V3Credentials:
    """USM user; passwords are the revealed secrets (they never leave the agent)."""

    user: str
    auth_protocol: AuthProtocol | None = None
    auth_password: bytes | None = None
    priv_protocol: PrivProtocol | None = None
    priv_password: bytes | None = None

    def __repr__(self) -> str:
        auth, priv = self.auth_protocol, self.priv_protocol
        return f"V3Credentials(user={self.user!r}, auth={auth}, priv={priv})"


Credentials = V2cCredentials | V3Credentials


@dataclass(frozen=True)
class Target:
    """Where and how to reach one device's SNMP agent."""

    host: str
    port: int = 161
    timeout: float = 2.0
    retries: int = 1
    credentials: Credentials = V2cCredentials(b"public")
    max_repetitions: int = 25


class SnmpSession(Protocol):
    """One device's SNMP conversation. Keeps per-device state (v3 engine id, boots, time,
    tuned max-repetitions) across polls; never shared between devices."""

    async def get(self, oids: Sequence[Oid]) -> list[VarBind]:
        """One GET of ``oids`` (the answer keeps their order; absent ones are exceptions)."""
        ...

    async def bulk_walk(self, roots: Sequence[Oid]) -> Mapping[Oid, list[VarBind]]:
        """Walk every root's subtree with GETBULK, all unfinished roots in each request
        (a table's columns walk side by side). Maps each root to its varbinds, in OID order."""
        ...

    async def walk_columns(self, roots: Sequence[Oid]) -> Mapping[Oid, Column]:
        """The same walk, each root's rows packed as they arrive (index suffix and value, no
        VarBinds, no OID tuples): what the poller uses, so its walks in flight stay small."""
        ...

    async def close(self) -> None: ...
