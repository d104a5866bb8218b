"""Ports for tests on 127.0.0.1: one a server will bind later, and one that refuses connections."""

from __future__ import annotations

import contextlib
import random
import socket
from collections.abc import Iterator
from pathlib import Path

# Ports handed out by free_port: from here up to the kernel's ephemeral range.
FIRST_FREE_PORT = 10_000


def free_port(*, udp: bool = False) -> int:
    """A port on 127.0.0.1 that nothing is bound to right now (for TCP, and for UDP as well
    with ``udp``), chosen at random below the kernel's ephemeral port range.

    Below that range because the caller closes the port again before its server binds it
    (seconds later, for a server that starts up first): a port from the ephemeral range can
    meanwhile be handed to any outgoing connection or unbound socket on the machine (about
    three TCP connects a second were counted in the root namespace during a test run), which
    holds it and the server fails with "address in use"; and a client connecting to a port
    that nothing listens on can be given that very port and connect to itself. The kernel
    allocates nothing below its range; what is left is another caller of this function
    drawing the same port at the same moment.
    """
    low = _ephemeral_low()
    draw = random.SystemRandom()  # not the seeded module generator: workers must differ
    for _ in range(200):
        port = draw.randrange(FIRST_FREE_PORT, low) if low - FIRST_FREE_PORT >= 1000 else 0
        found = _bindable(port, udp=udp)
        if found:
            return found
    raise AssertionError("no free port on 127.0.0.1 in 200 draws")


def _ephemeral_low() -> int:
    try:
        text = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text(encoding="ascii")
        return int(text.split()[0])
    except (OSError, ValueError, IndexError):
        return 0  # unknown: free_port falls back to the kernel's choice


def _bindable(port: int, *, udp: bool) -> int:
    """``port`` (or the kernel's choice for 0) if TCP, and UDP with ``udp``, can bind it on
    127.0.0.1 now; 0 if not."""
    kinds = [socket.SOCK_STREAM, socket.SOCK_DGRAM] if udp else [socket.SOCK_STREAM]
    with contextlib.ExitStack() as held:
        for kind in kinds:
            sock = held.enter_context(socket.socket(socket.AF_INET, kind))
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return 0
            port = int(sock.getsockname()[1])
    return port


@contextlib.contextmanager
def refused_port() -> Iterator[int]:
    """A port bound but never listening, held while the test connects: a connection to it is
    refused, and no other process can listen there meanwhile (released first, it could)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])
