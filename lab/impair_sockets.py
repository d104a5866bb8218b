"""Socket side of the impairment bridge: interface preparation and AF_PACKET sockets (root)."""

from __future__ import annotations

import socket
import struct
import subprocess
from collections.abc import Sequence
from typing import Any, Protocol

from netwarden.errors import LabError

ETH_P_ALL = 0x0003
SOL_PACKET = 263  # not exported by the socket module
PACKET_ADD_MEMBERSHIP = 1
PACKET_MR_PROMISC = 1
OFFLOADS = ("tx", "off", "tso", "off", "gso", "off", "gro", "off")


class PacketSocket(Protocol):
    """What the loop needs of a socket (an AF_PACKET one, or a fake in the unit tests)."""

    def fileno(self) -> int: ...
    def recvfrom_into(self, buf: bytearray, nbytes: int, flags: int, /) -> tuple[int, Any]: ...
    def send(self, data: bytes, /) -> int: ...
    def close(self) -> None: ...


def _run(cmd: Sequence[str]) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LabError(f"{' '.join(cmd)}: {exc}") from exc
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[0]
        raise LabError(f"{' '.join(cmd)}: {detail}")
    return done.stdout


def prepare_interface(name: str) -> int:
    """Check ``name`` exists and is free, switch its offloads off, set it up; return its ifindex."""
    try:
        index = socket.if_nametoindex(name)
    except OSError as exc:
        raise LabError(f"no such interface {name!r}") from exc
    # Still a kernel bridge port: the kernel would forward too, and every frame would arrive twice.
    link = _run(["ip", "-o", "link", "show", "dev", name]).split()
    if "master" in link:
        master = link[link.index("master") + 1]
        raise LabError(f"{name} is still a port of {master}; take it off the bridge first")
    _run(["ethtool", "-K", name, *OFFLOADS])
    _run(["ip", "link", "set", "dev", name, "up"])
    return index


def open_socket(name: str, index: int) -> socket.socket:
    """A non-blocking AF_PACKET socket receiving every frame of ``name``, in promiscuous mode."""
    # Protocol 0 at creation, ETH_P_ALL at bind: otherwise the socket briefly hears every
    # interface of the namespace before bind narrows it.
    try:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    except OSError as exc:
        raise LabError(f"cannot open a packet socket (needs root): {exc}") from exc
    try:
        sock.bind((name, ETH_P_ALL))
        # Frames for the far host's MAC must reach us, as on a kernel bridge port.
        mreq = struct.pack("iHH8s", index, PACKET_MR_PROMISC, 0, b"")
        sock.setsockopt(SOL_PACKET, PACKET_ADD_MEMBERSHIP, mreq)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise LabError(f"cannot listen on {name}: {exc}") from exc
    return sock
