"""Waiting until lab processes are ready, and naming the one that is not (and why)."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Sequence
from pathlib import Path

from netwarden.errors import LabError
from netwarden.hostport import parse_hostport
from netwarden.lab.daemons import DevicePaths
from netwarden.lab.processes import Process, alive, last_lines
from netwarden.lab.topology import Device

ANY = "0.0.0.0"  # noqa: S104 - matching a wildcard bind, not binding
_LISTEN_STATE = {"tcp": "0A", "udp": "07"}  # TCP_LISTEN; UDP sockets show as TCP_CLOSE


def listening(pid: int, proto: str) -> set[tuple[str, int]]:
    """(address, port) pairs bound in the network namespace of ``pid`` (from /proc), IPv4
    and IPv6."""
    found: set[tuple[str, int]] = set()
    for table in (proto, f"{proto}6"):
        try:
            rows = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if fields[3] != _LISTEN_STATE[proto]:
                continue
            hex_addr, hex_port = fields[1].split(":")
            found.add((_address(hex_addr), int(hex_port, 16)))
    return found


def _address(hex_addr: str) -> str:
    """/proc/net's address: the bytes of each 32-bit word in host (little-endian) order."""
    raw = bytes.fromhex(hex_addr)
    ordered = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return str(ipaddress.ip_address(ordered))


def _wanted(endpoint: str) -> tuple[str, int]:
    """ "udp:ADDR:PORT", "udp:PORT" or "ADDR:PORT" (an IPv6 ADDR in brackets) -> (address,
    port); 0.0.0.0 = any."""
    kind, colon, rest = endpoint.partition(":")
    if colon and kind in ("udp", "tcp"):
        endpoint = rest
    if endpoint.isdigit():
        return ANY, int(endpoint)
    host, port = parse_hostport(endpoint)
    return str(ipaddress.ip_address(host)), port


def wait_residents(
    residents: Sequence[tuple[Device, DevicePaths, Process]], timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    pending = list(residents)
    while pending:
        pending = [r for r in pending if not r[1].control.exists()]
        for device, _, proc in pending:
            if not alive(proc):
                raise LabError(f"{device.id}: resident exited: {last_lines(proc.log)}")
        if pending and time.monotonic() > deadline:
            raise LabError(f"{pending[0][0].id}: resident not ready after {timeout:.0f} s")
        time.sleep(0.02)


def wait_listening(
    started: Sequence[tuple[Device, Process, str, tuple[str, ...]]], timeout: float
) -> None:
    """Wait until every daemon listens on its addresses; name the first that does not."""
    deadline = time.monotonic() + timeout
    pending = list(started)
    while pending:
        still = []
        for item in pending:
            device, proc, proto, endpoints = item
            bound = listening(proc.pid, proto)
            if not all(_wanted(e) in bound for e in endpoints):
                if not alive(proc):
                    daemon = proc.name.split()[0]
                    raise LabError(f"{device.id}: {daemon} exited: {last_lines(proc.log)}")
                still.append(item)
        pending = still
        if pending and time.monotonic() > deadline:
            device, proc, _, endpoints = pending[0]
            raise LabError(
                f"{device.id}: {proc.name.split()[0]} not listening on {', '.join(endpoints)}"
                f" after {timeout:.0f} s: {last_lines(proc.log)}"
            )
        if pending:
            time.sleep(0.02)
