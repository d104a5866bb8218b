"""A DNS outage for one process: a name server on loopback that reads queries and never
answers, and a command line that runs a program with a private resolv.conf naming it (a mount
namespace, so nothing else on the machine notices)."""

from __future__ import annotations

import contextlib
import random
import select
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

RESOLV_CONF = Path("/etc/resolv.conf")


class SilentDns:
    """UDP port 53 on a loopback address of its own (chosen free at run time): every query is
    read and counted, none is ever answered, as when the resolvers are down."""

    def __init__(self) -> None:
        self.sock = _bind_free_loopback()
        self.address = str(self.sock.getsockname()[0])
        self.queries = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, name="silent-dns", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.sock], [], [], 0.2)
            if ready:
                with contextlib.suppress(OSError):
                    self.sock.recvfrom(4096)
                    self.queries += 1

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()

    def resolv_conf(self, folder: Path, lookup_seconds: int = 20) -> Path:
        """A resolv.conf naming only this server; a lookup then blocks ``lookup_seconds``
        (glibc's per-query timeout, one attempt), as in the outage that was reported."""
        path = folder / "resolv.conf"
        path.write_text(f"nameserver {self.address}\noptions timeout:{lookup_seconds} attempts:1\n")
        return path


def _bind_free_loopback() -> socket.socket:
    """A UDP socket on port 53 of a random 127.x.y.z nobody else uses (needs root)."""
    rng = random.Random()  # picking an address, not a secret
    for _ in range(50):
        address = f"127.{rng.randint(1, 254)}.{rng.randint(0, 255)}.{rng.randint(2, 254)}"
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((address, 53))
        except OSError:
            sock.close()
            continue
        return sock
    raise RuntimeError("no free loopback address for the silent DNS server in 50 tries")


@contextlib.contextmanager
def silent_dns() -> Iterator[SilentDns]:
    server = SilentDns()
    try:
        yield server
    finally:
        server.close()


def with_resolv_conf(resolv_conf: Path, argv: list[str]) -> list[str]:
    """``argv`` in a private mount namespace whose /etc/resolv.conf is ``resolv_conf``; the
    program is exec'd, so the PID started is the program's own."""
    script = 'mount --bind "$0" /etc/resolv.conf && exec "$@"'
    return [
        "unshare", "--mount", "--propagation", "private", "--",
        "sh", "-c", script, str(resolv_conf), *argv,
    ]  # fmt: skip
