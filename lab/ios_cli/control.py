"""Client of the device control socket, the only way the unprivileged CLI changes a link.

Protocol (one request per connection): the client sends one JSON line
``{"op": "link", "ifname": "wan0", "up": false}`` and reads one JSON line back, either
``{"ok": true}`` or ``{"ok": false, "error": "one readable line"}``; then both sides close.
"""

from __future__ import annotations

import json
import socket
from typing import Protocol

from netwarden.errors import LabError

_MAX_REPLY_BYTES = 64 * 1024


class ControlError(LabError):
    """The control socket refused or failed a request; ``str()`` is shown after ``% ``."""


class LinkControl(Protocol):
    """Sets a namespace interface administratively up or down."""

    def set_link(self, ifname: str, up: bool) -> None:
        """Apply the change or raise :class:`ControlError`."""


class SocketLinkControl:
    """:class:`LinkControl` over the Unix stream socket served by the lab's devicectl."""

    def __init__(self, path: str, timeout_s: float = 10.0) -> None:
        self.path = path
        self.timeout_s = timeout_s

    def set_link(self, ifname: str, up: bool) -> None:
        """Send one ``link`` request and raise :class:`ControlError` unless it succeeded."""
        request = {"op": "link", "ifname": ifname, "up": up}
        check_reply(self._exchange(json.dumps(request) + "\n"))

    def _exchange(self, line: str) -> bytes:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(self.timeout_s)
                sock.connect(self.path)
                sock.sendall(line.encode())
                return _read_line(sock)
        except TimeoutError as exc:
            raise ControlError(
                f"device control did not answer within {self.timeout_s:g} s"
            ) from exc
        except OSError as exc:
            raise ControlError(f"device control unavailable: {exc.strerror or exc}") from exc


def _read_line(sock: socket.socket) -> bytes:
    data = b""
    while b"\n" not in data and len(data) < _MAX_REPLY_BYTES:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.split(b"\n", 1)[0]


def check_reply(raw: bytes) -> None:
    """Interpret one reply line; raise :class:`ControlError` for a failure or garbage."""
    if not raw.strip():
        raise ControlError("device control closed the connection without a reply")
    try:
        reply = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ControlError("device control sent an unreadable reply") from exc
    if not isinstance(reply, dict):
        raise ControlError("device control sent an unreadable reply")
    if reply.get("ok") is True:
        return
    error = reply.get("error")
    # The error travels to a terminal: keep it to one line whatever the server sent.
    text = " ".join(str(error).split()) if error else "device control refused the request"
    raise ControlError(text)
