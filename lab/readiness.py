"""Waiting until lab processes are ready, and naming the one that is not (and why)."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Sequence
from pathlib import Path

from netwarden.errors import LabError
from netwarden.lab.daemons import DevicePaths
from netwarden.lab.processes import Process, alive, last_lines
from netwarden.lab.topology import Device

ANY = "0.0.0.0"  # noqa: S104 - matching a wildcard bind, not binding
_LISTEN_STATE = {"tcp": "0A", "udp": "07"}  # TCP_LISTEN; UDP sockets show as TCP_CLOSE


def listening(pid: int, proto: str) -> set[tuple[str, int]]:
    """(address, port) pairs bound in the network namespace of ``pid`` (from /proc)."""
    found: set[tuple[str, int]] = set()
    try:
        rows = Path(f"/proc/{pid}/net/{proto}").read_text().splitlines()[1:]
    except OSError:
        return found
    for row in rows:
        fields = row.split()
        if fields[3] != _LISTEN_STATE[proto]:
            continue
        hex_addr, hex_port = fields[1].split(":")
        address = ipaddress.IPv4Address(bytes.fromhex(hex_addr)[::-1])
        found.add((str(address), int(hex_port, 16)))
    return found


def _wanted(endpoint: str) -> tuple[str, int]:
    """ "udp:ADDR:PORT", "udp:PORT" or "ADDR:PORT" -> (address, port); 0.0.0.0 = any."""
    parts = endpoint.split(":")
    if parts[0] in ("udp", "tcp"):
        parts = parts[1:]
    return (parts[0], int(parts[1])) if len(parts) == 2 else (ANY, int(parts[0]))


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
