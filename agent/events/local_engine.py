"""The agent's own SNMP engine: the authoritative engine of the v3 informs sent to it.

RFC 3414 §4: an inform's receiver is authoritative, so the sender discovers *our* engine ID,
boots and time, and localises its keys to our engine ID. The ID is generated once (RFC 3411
SnmpEngineID, format 5 "octets": 12 random octets) and kept with engineBoots in a small JSON
file in the agent's state dir; boots goes up by one at every start, engineTime counts seconds
from the start. A device configured for informs (Cisco ``snmp-server engineID remote``,
Huawei ``remote-engineid``) keeps working across agent restarts only because the ID is kept.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from netwarden.errors import NetwardenError

log = logging.getLogger(__name__)

# IANA has no enterprise number for netwarden: RFC 5612's documentation number (32473) marks
# the ID as locally generated, and format 5 says the rest is opaque octets (RFC 3411 §5).
ENTERPRISE = 32473
ENGINE_ID_FORMAT_OCTETS = 5
BOOTS_MAX = 2**31 - 1  # RFC 3414 §2.2.2: the engine must then be reconfigured
TIME_WINDOW = 150  # seconds, RFC 3414 §2.2.3
ENGINE_FILE = "snmp-engine.json"


class EngineStateError(NetwardenError):
    """The engine file exists but cannot be read or written."""


def new_engine_id() -> bytes:
    head = (0x80000000 | ENTERPRISE).to_bytes(4, "big")
    return head + bytes((ENGINE_ID_FORMAT_OCTETS,)) + secrets.token_bytes(12)


@dataclass
class LocalEngine:
    """snmpEngineID, snmpEngineBoots and the start of snmpEngineTime, plus the USM counters
    our Reports carry (usmStats*, RFC 3414 §5)."""

    engine_id: bytes
    boots: int
    started: float = field(default_factory=time.monotonic)
    stats: dict[int, int] = field(default_factory=dict)  # usmStats column -> count

    def time(self) -> int:
        return min(int(time.monotonic() - self.started), BOOTS_MAX)

    def in_window(self, boots: int, engine_time: int) -> bool:
        """RFC 3414 §3.2 step 7a, for a message we are authoritative for."""
        if self.boots >= BOOTS_MAX or boots != self.boots:
            return False
        return abs(engine_time - self.time()) <= TIME_WINDOW

    def count(self, column: int) -> int:
        self.stats[column] = self.stats.get(column, 0) + 1
        return self.stats[column]

    @classmethod
    def load(cls, path: Path | None) -> LocalEngine:
        """The engine kept at ``path`` with its boots incremented (and written back), or a
        new one there. Without a path (or an unwritable one) the engine lives for this run
        only: informs still work, but devices must learn a new ID after a restart."""
        if path is None:
            return cls(new_engine_id(), 1)
        try:
            engine = cls._read(path)
            cls._write(path, engine)
        except EngineStateError as exc:
            log.error("SNMP engine: %s; using an engine ID for this run only", exc)
            return cls(new_engine_id(), 1)
        log.info("SNMP engine ID %s, boots %d (%s)", engine.engine_id.hex(), engine.boots, path)
        return engine

    @classmethod
    def _read(cls, path: Path) -> LocalEngine:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(new_engine_id(), 1)
        except (OSError, ValueError) as exc:
            raise EngineStateError(f"cannot read {path}: {exc}") from None
        try:
            engine_id = bytes.fromhex(str(doc["engine_id"]))
            boots = int(doc["boots"])
        except (KeyError, TypeError, ValueError) as exc:
            raise EngineStateError(f"{path} is not an engine file: {exc}") from None
        if not 5 <= len(engine_id) <= 32 or boots < 0:
            raise EngineStateError(f"{path} holds an invalid engine ID or boots")
        return cls(engine_id, min(boots + 1, BOOTS_MAX))

    @staticmethod
    def _write(path: Path, engine: LocalEngine) -> None:
        doc = {"engine_id": engine.engine_id.hex(), "boots": engine.boots}
        tmp = path.with_name(path.name + ".tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tmp.open("w", encoding="utf-8") as out:
                json.dump(doc, out)
                out.flush()
                os.fsync(out.fileno())
            tmp.replace(path)  # a crash leaves the old file or the new one, never half of one
        except OSError as exc:
            raise EngineStateError(f"cannot write {path}: {exc.strerror or exc}") from None
