"""Who sent a trap or a syslog line: the agent's device at that address, and its v3 keys.

The address map is rebuilt when the runtime loads a new inventory. A host name in the
inventory is resolved once per rebuild, in the event loop's resolver threads (its senders are
unknown for the moment that takes); the first device in the inventory wins an address two
devices share. A sender no device has is an unknown device.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from netwarden.agent.events.normalise import Sender
from netwarden.agent.events.trap_decode import TrapError
from netwarden.agent.polling.fleet import PolledDevice
from netwarden.agent.runtime import AgentRuntime
from netwarden.agent.snmp.types import V3Credentials
from netwarden.agent.snmp.usm import LocalKeys

KEY_CACHE_MAX = 4096
FOUND_CACHE_MAX = 65536  # senders remembered between inventory loads


class SenderDirectory:
    def __init__(self, runtime: AgentRuntime) -> None:
        self._runtime = runtime
        self._stamp = -1.0
        self._by_address: dict[str, PolledDevice] = {}
        self._keys: dict[tuple[str, str, bytes], LocalKeys | None] = {}
        self._found: dict[str, tuple[Sender, PolledDevice | None]] = {}
        self._resolving: set[asyncio.Task[None]] = set()

    def find(self, address: str) -> tuple[Sender, PolledDevice | None]:
        if self._runtime.reload_time != self._stamp:
            self._rebuild()
        found = self._found.get(address)
        if found is None:
            # Parsing the address costs more than the rest of a syslog line: once per sender.
            if len(self._found) >= FOUND_CACHE_MAX:
                self._found.clear()  # only a flood of spoofed sources gets here
            found = self._found[address] = self._lookup(address)
        return found

    def _lookup(self, address: str) -> tuple[Sender, PolledDevice | None]:
        polled = self._by_address.get(_canonical(address))
        if polled is None:
            return Sender(address), None
        info = polled.info
        return Sender(address, info.device, info.site, info.role), polled

    def keys(
        self, polled: PolledDevice | None, user: str, engine_id: bytes, *, ours: bool = False
    ) -> LocalKeys | None:
        """The sender's v3 keys for ``user`` localised to ``engine_id``, None if it has no such
        user. A trap's authoritative engine is its sender's (checked against the one the poller
        discovered); an inform's is ours (``ours``)."""
        if polled is None or polled.target is None:
            return None
        creds = polled.target.credentials
        if not isinstance(creds, V3Credentials) or creds.user != user:
            return None
        if creds.auth_protocol is None:
            return None
        discovered = getattr(polled.session, "engine_id", None)
        if not ours and isinstance(discovered, bytes) and discovered != engine_id:
            # Not the engine the poller talks to: a replay, or a box answering in its place.
            raise TrapError(
                "engine-id",
                f"v3 notification from {polled.info.device} with engine ID {engine_id.hex()}, "
                f"not the {discovered.hex()} its poller discovered",
            )
        key = (polled.info.device, user, engine_id)
        if key not in self._keys:
            if len(self._keys) >= KEY_CACHE_MAX:
                self._keys.clear()  # only a sender cycling engine ids gets here
            self._keys[key] = LocalKeys(creds, engine_id)  # ~2 ms: once per sender and engine
        return self._keys[key]

    def _rebuild(self) -> None:
        self._stamp = self._runtime.reload_time
        self._keys.clear()
        self._found.clear()
        by_address: dict[str, PolledDevice] = {}
        names: list[tuple[str, PolledDevice]] = []
        for polled in self._runtime.devices.values():
            if polled.target is None:
                continue
            address = _ip_literal(polled.target.host)
            if address is None:
                names.append((polled.target.host, polled))
            else:
                by_address.setdefault(address, polled)
        self._by_address = by_address
        if names:
            # Host names resolve off the event loop; their senders count as unknown until then.
            task = asyncio.get_running_loop().create_task(self._resolve(names, by_address))
            self._resolving.add(task)
            task.add_done_callback(self._resolving.discard)

    async def _resolve(
        self, names: list[tuple[str, PolledDevice]], by_address: dict[str, PolledDevice]
    ) -> None:
        loop = asyncio.get_running_loop()
        for host, polled in names:
            try:
                infos = await loop.getaddrinfo(host, None, proto=socket.IPPROTO_UDP)
            except OSError:
                continue
            for info in infos:
                by_address.setdefault(_canonical(str(info[4][0])), polled)
            self._found.clear()  # a sender seen before its name resolved is known now


def _canonical(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address.split("%", maxsplit=1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


def _ip_literal(host: str) -> str | None:
    try:
        ipaddress.ip_address(host.split("%", maxsplit=1)[0])
    except ValueError:
        return None
    return _canonical(host)
