"""The listeners' sockets: ``:PORT`` (host ``ANY``) is every address of both families.

One AF_INET6 socket with IPV6_V6ONLY off receives IPv6 senders and IPv4 senders alike (the
latter as ``::ffff:a.b.c.d``, which :func:`sender_address` turns back into ``a.b.c.d`` so it
matches the inventory); a host without IPv6 gets an AF_INET socket instead. An explicit
address (``198.18.1.2:162``, ``[::1]:162``) is bound as given by asyncio.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import socket

log = logging.getLogger(__name__)

ANY = ""  # the host of ``:PORT``
_NO_IPV6 = frozenset({errno.EAFNOSUPPORT, errno.EADDRNOTAVAIL, errno.EPROTONOSUPPORT})
_MAPPED = "::ffff:"


def any_address_socket(kind: socket.SocketKind, port: int) -> socket.socket:
    """A socket bound to every address on ``port``: dual-stack when the host has IPv6."""
    if socket.has_ipv6:
        sock = socket.socket(socket.AF_INET6, kind)
        try:
            return _bind(sock, ("::", port), dual=True)
        except OSError as exc:
            sock.close()
            if exc.errno not in _NO_IPV6:
                raise
            log.info("no IPv6 on this host (%s): listening on IPv4 only", exc.strerror)
    return _bind(socket.socket(socket.AF_INET, kind), ("0.0.0.0", port), dual=False)  # noqa: S104


def _bind(sock: socket.socket, address: tuple[str, int], *, dual: bool) -> socket.socket:
    try:
        if dual:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        if sock.type == socket.SOCK_STREAM:
            # As asyncio's own servers do: a restarted agent rebinds despite TIME_WAIT.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setblocking(False)
        sock.bind(address)
    except OSError:
        with contextlib.suppress(OSError):
            sock.close()
        raise
    return sock


def sender_address(host: str) -> str:
    """The sender's address as the inventory writes it: an IPv4 sender seen through a
    dual-stack socket (``::ffff:198.18.1.2``) is ``198.18.1.2``."""
    if host.startswith(_MAPPED) and "." in host:
        return host[len(_MAPPED) :]
    return host
