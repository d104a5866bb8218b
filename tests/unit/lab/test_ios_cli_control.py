"""The control-socket client against a real Unix socket served by a thread (no root needed)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from netwarden.lab.ios_cli.control import ControlError, SocketLinkControl, check_reply

Handler = Callable[[socket.socket], None]


class OneShotServer:
    """Accepts one connection, records the request line and lets a handler answer."""

    def __init__(self, path: Path, handler: Handler) -> None:
        self.requests: list[bytes] = []
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(str(path))
        self._listener.listen(1)
        self._listener.settimeout(5)
        self._handler = handler
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        conn, _ = self._listener.accept()
        with conn:
            conn.settimeout(5)
            self.requests.append(conn.makefile("rb").readline())
            self._handler(conn)

    def close(self) -> None:
        self._thread.join(timeout=5)
        self._listener.close()


@pytest.fixture
def socket_path(tmp_path: Path) -> Path:
    return tmp_path / "ctl.sock"


@pytest.fixture
def serve(socket_path: Path) -> Iterator[Callable[[Handler], OneShotServer]]:
    servers: list[OneShotServer] = []

    def start(handler: Handler) -> OneShotServer:
        servers.append(OneShotServer(socket_path, handler))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def _reply(line: bytes) -> Handler:
    return lambda conn: conn.sendall(line)


def test_link_request_is_one_json_line(
    socket_path: Path, serve: Callable[[Handler], OneShotServer]
) -> None:
    server = serve(_reply(b'{"ok": true}\n'))

    SocketLinkControl(str(socket_path)).set_link("wan0", up=False)
    server.close()

    (request,) = server.requests
    assert request.endswith(b"\n")
    assert json.loads(request) == {"op": "link", "ifname": "wan0", "up": False}


def test_refusal_carries_the_servers_error(
    socket_path: Path, serve: Callable[[Handler], OneShotServer]
) -> None:
    serve(_reply(b'{"ok": false, "error": "wan0: not a device\\nof this lab"}\n'))

    with pytest.raises(ControlError, match=r"^wan0: not a device of this lab$"):
        SocketLinkControl(str(socket_path)).set_link("wan0", up=True)


def test_server_closing_without_reply(
    socket_path: Path, serve: Callable[[Handler], OneShotServer]
) -> None:
    serve(lambda conn: None)

    with pytest.raises(ControlError, match="without a reply"):
        SocketLinkControl(str(socket_path)).set_link("wan0", up=True)


def test_silent_server_times_out(
    socket_path: Path, serve: Callable[[Handler], OneShotServer]
) -> None:
    done = threading.Event()

    def stall(conn: socket.socket) -> None:
        done.wait(5)

    serve(stall)

    with pytest.raises(ControlError, match=r"did not answer within 0\.2 s"):
        SocketLinkControl(str(socket_path), timeout_s=0.2).set_link("wan0", up=True)
    done.set()


def test_missing_socket_is_unavailable(socket_path: Path) -> None:
    with pytest.raises(ControlError, match="device control unavailable: No such file"):
        SocketLinkControl(str(socket_path)).set_link("wan0", up=True)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"garbage", "unreadable reply"),
        (b"[1, 2]", "unreadable reply"),
        (b'{"ok": "yes"}', "refused the request"),
        (b'{"ok": false}', "refused the request"),
        (b"", "without a reply"),
    ],
)
def test_bad_replies(raw: bytes, message: str) -> None:
    with pytest.raises(ControlError, match=message):
        check_reply(raw)
