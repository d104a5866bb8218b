"""HOST:PORT, the one way netwarden reads and writes an address with a port.

Accepted: ``HOST:PORT``, ``[IPv6]:PORT`` (brackets, as in a URL: ``::1:161`` cannot say where
the address ends) and, where the caller has a default host, ``:PORT``. A port is 1-65535; 0
("any free port") only where the caller binds and asks for it. :func:`format_hostport` writes
what :func:`parse_hostport` reads, so ``[::1]:161`` round-trips.
"""

from __future__ import annotations

from typing import NamedTuple

from netwarden.errors import NetwardenError, UsageError

PORT_MAX = 65535


class HostPortError(NetwardenError, ValueError):
    """Text that is not HOST:PORT. A ValueError too, so a pydantic validator reports it."""


class HostPort(NamedTuple):
    host: str  # without brackets
    port: int


def parse_hostport(
    text: str, *, default_host: str | None = None, any_port: bool = False
) -> HostPort:
    """``text`` as (host, port); :class:`HostPortError` saying what is wrong otherwise.

    ``default_host`` is the host of ``:PORT`` (refused when None); ``any_port`` admits port 0.
    """
    head, sep, port_text = text.rpartition(":")
    if not sep:
        raise HostPortError("no port")
    host = _host(head, default_host)
    if not port_text.isascii() or not port_text.isdigit():
        raise HostPortError(f"port {port_text!r} is not a number")
    port = int(port_text)
    low = 0 if any_port else 1
    if not low <= port <= PORT_MAX:
        raise HostPortError(f"port {port} is not from {low} to {PORT_MAX}")
    return HostPort(host, port)


def _host(head: str, default_host: str | None) -> str:
    if head.startswith("[") and head.endswith("]"):
        host = head[1:-1]
        if not host:
            raise HostPortError("empty brackets")
        return host
    if not head:
        if default_host is None:
            raise HostPortError("no host")
        return default_host
    if ":" in head or "[" in head or "]" in head:
        raise HostPortError("an IPv6 address goes in brackets, e.g. [::1]:9430")
    return head


def format_hostport(host: str, port: int) -> str:
    """``host:port``, an IPv6 address in brackets (``[::1]:161``)."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def hostport_option(
    option: str, text: str, *, default_host: str | None = None, any_port: bool = False
) -> HostPort:
    """:func:`parse_hostport` for a command-line option: a usage error naming ``option``."""
    try:
        return parse_hostport(text, default_host=default_host, any_port=any_port)
    except HostPortError as exc:
        raise UsageError(f"{option} must be HOST:PORT, got {text!r} ({exc})") from None
