"""The remote-write receiver's HTTP client (agent/push/transport.py) on a real socket."""

from __future__ import annotations

from netwarden.agent.push.transport import HttpReceiver
from netwarden.inventory.model import PushTarget
from tests.unit.agent.silent_tls import cancel_in_handshake, resource_warnings, silent_tls_server


def test_a_post_cancelled_in_the_tls_handshake_closes_its_socket() -> None:
    """The agent stopping or reloading cancels a post under way, maybe in its TLS handshake:
    httpcore leaves that connection open (agent/http_transport.py); the receiver's must not."""

    async def scenario() -> None:
        async with silent_tls_server() as (port, hello):
            url = f"https://127.0.0.1:{port}/api/v1/write"
            receiver = HttpReceiver(PushTarget(url=url, tls_verify=False))
            try:
                await cancel_in_handshake(receiver.post(b"x"), hello)
            finally:
                await receiver.close()

    assert resource_warnings(scenario) == []
