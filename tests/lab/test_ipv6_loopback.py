"""IPv6 on ::1 with real peers (item 3 of #12): a private net-snmp snmpd listening on udp6,
ICMPv6 echo through both socket kinds, TCP and HTTP, and the whole agent polling and probing a
device whose address is ``::1``.

Needs root (raw ICMPv6, the datagram socket's group setting); starts only loopback daemons on
ports chosen at run time and uses no lab namespace.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import os
import secrets
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from netwarden.agent.probes.icmp import LOSS, RTT, IcmpPinger, SocketKind
from netwarden.agent.probes.result import ProbeReason, ProbeResult
from netwarden.agent.probes.tcp import TcpTarget
from netwarden.agent.probes.tcp import probe as tcp_probe
from netwarden.agent.snmp.engines import EngineName, session_factory
from netwarden.agent.snmp.types import (
    Credentials,
    Target,
    V2cCredentials,
    V3Credentials,
    parse_oid,
)
from netwarden.lab.daemons import SNMPD
from tests.lab.agent_process import AgentProcess

pytestmark = pytest.mark.timeout(180)

SYS_NAME = parse_oid("1.3.6.1.2.1.1.5.0")
IF_DESCR = parse_oid("1.3.6.1.2.1.2.2.1.2")
PING_GROUP_RANGE = Path("/proc/sys/net/ipv4/ping_group_range")


@dataclass(frozen=True)
class Snmpd6:
    port: int
    community: str
    auth: str
    priv: str

    def credentials(self, version: str) -> Credentials:
        if version == "2c":
            return V2cCredentials(self.community.encode())
        return V3Credentials("nwv6", "sha", self.auth.encode(), "aes", self.priv.encode())


def _free_udp6_port() -> int:
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
        sock.bind(("::1", 0))
        return int(sock.getsockname()[1])


async def _sys_name(engine: EngineName, target: Target) -> str:
    session = session_factory(engine)(target)
    try:
        (bind,) = await session.get([SYS_NAME])
    finally:
        await session.close()
    assert isinstance(bind.value, bytes), bind
    return bind.value.decode()


def _wait_answering(daemon: Snmpd6, proc: subprocess.Popen[bytes], log: Path) -> None:
    target = Target(
        "::1", daemon.port, timeout=0.3, retries=0, credentials=daemon.credentials("2c")
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        with contextlib.suppress(Exception):
            asyncio.run(_sys_name(EngineName.fast, target))
            return
        time.sleep(0.1)
    raise AssertionError(f"snmpd on [::1]:{daemon.port} never answered: {log.read_text()}")


@pytest.fixture(scope="module")
def snmpd6(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Snmpd6]:
    """net-snmp's snmpd on udp6:[::1]:<free port> with a v2c community and a v3 authPriv user."""
    folder = tmp_path_factory.mktemp("snmpd6")
    daemon = Snmpd6(_free_udp6_port(), *(secrets.token_hex(8) for _ in range(3)))
    (folder / "persist").mkdir()
    config = folder / "snmpd.conf"
    config.write_text(
        f"agentAddress udp6:[::1]:{daemon.port}\n"
        f"rocommunity6 {daemon.community} ::1/128\n"
        f"createUser nwv6 SHA {daemon.auth} AES {daemon.priv}\n"
        "rouser nwv6 priv\n"
        "sysName v6-loopback\n"
    )
    log = folder / "snmpd.log"
    env = {**os.environ, "SNMP_PERSISTENT_DIR": str(folder / "persist"), "MIBS": ""}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [SNMPD, "-f", "-C", "-c", str(config), "-Lo", "-I", "-smux"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        _wait_answering(daemon, proc, log)
        yield daemon
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.mark.parametrize("engine", [EngineName.fast, EngineName.pysnmp])
@pytest.mark.parametrize("version", ["2c", "3"])
def test_snmp_over_ipv6(snmpd6: Snmpd6, engine: EngineName, version: str) -> None:
    target = Target("::1", snmpd6.port, timeout=2.0, credentials=snmpd6.credentials(version))

    async def ask() -> tuple[str, int]:
        session = session_factory(engine)(target)
        try:
            (name,) = await session.get([SYS_NAME])
            walked = await session.bulk_walk([IF_DESCR])
        finally:
            await session.close()
        assert isinstance(name.value, bytes)
        return name.value.decode(), len(walked[IF_DESCR])

    name, interfaces = asyncio.run(ask())
    assert name == "v6-loopback"
    assert interfaces >= 1


@contextlib.contextmanager
def _datagram_icmp_allowed() -> Iterator[None]:
    """The root namespace does not allow datagram ICMP: allow it only while the socket opens
    (the kernel checks the group at socket creation; the setting covers ICMPv6 too)."""
    saved = PING_GROUP_RANGE.read_text()
    try:
        PING_GROUP_RANGE.write_text("0 0\n")
        yield
    finally:
        PING_GROUP_RANGE.write_text(saved)


@pytest.mark.parametrize("kind", ["raw", "datagram"])
def test_icmpv6_echo_to_loopback(kind: SocketKind) -> None:
    async def run() -> tuple[ProbeResult, str | None]:
        pinger = IcmpPinger(kind=kind)
        if kind == "datagram":
            with _datagram_icmp_allowed():
                pinger.open(socket.AF_INET6)
        try:
            return await pinger.ping("::1", count=5, spacing=0.01, timeout=1.0), pinger.socket_kind
        finally:
            await pinger.close()

    result, opened = asyncio.run(run())
    assert opened == kind
    assert result.success and result.values[LOSS] == 0.0, result
    assert 0 < result.labelled[RTT]["max"] < 0.5


def test_tcp_over_ipv6_names_its_target_in_brackets() -> None:
    with socket.socket(socket.AF_INET6) as server:
        server.bind(("::1", 0))
        server.listen(8)
        port = server.getsockname()[1]
        target = TcpTarget("::1", port)
        result = asyncio.run(tcp_probe(target, deadline=2.0))
    assert result.success, result.message
    assert target.label == f"[::1]:{port}"
    closed = asyncio.run(tcp_probe(target, deadline=2.0))
    assert closed.reason is ProbeReason.refused
    assert f"[::1]:{port}" in closed.message


class _Portal(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = "Cổng dịch vụ công (IPv6)".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Http6(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6


@contextlib.contextmanager
def _portal6() -> Iterator[int]:
    server = _Http6(("::1", 0), _Portal)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_the_agent_polls_and_probes_an_ipv6_device(
    snmpd6: Snmpd6, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NW_V6_AUTH", snmpd6.auth)
    monkeypatch.setenv("NW_V6_PRIV", snmpd6.priv)
    with socket.socket(socket.AF_INET6) as listener, _portal6() as http_port:
        listener.bind(("::1", 0))
        listener.listen(64)
        tcp_port = listener.getsockname()[1]
        document = {
            "province": "v6",
            "agents": [{"id": "a", "site": "s"}],
            "sites": [{"id": "s", "kind": "datacentre"}],
            "devices": [{
                "id": "v6-host", "site": "s", "address": "::1", "role": "host",
                "snmp": {"credential": "v3", "port": snmpd6.port, "interval": "2s"},
                "icmp": {"interval": "2s", "count": 3, "timeout": "500ms"},
            }],
            "services": [
                {"id": "v6-tcp", "site": "s", "interval": "2s",
                 "check": {"tcp": {"host": "::1", "port": tcp_port}}},
                {"id": "v6-http", "site": "s", "interval": "2s",
                 "check": {"http": {"url": f"http://[::1]:{http_port}/",
                                    "body_regex": "IPv6"}}},
            ],
            "credentials": {"v3": {"snmp": {
                "version": 3, "user": "nwv6",
                "auth": {"protocol": "sha", "secret": "env:NW_V6_AUTH"},
                "priv": {"protocol": "aes", "secret": "env:NW_V6_PRIV"},
            }}},
        }  # fmt: skip
        inventory = tmp_path / "inventory.yaml"
        inventory.write_text(yaml.safe_dump(document, sort_keys=False))
        agent = AgentProcess(inventory, "a", tmp_path / "agent.log")
        try:
            agent.wait_ready()
            agent.wait_value("netwarden_device_up", 1, device="v6-host")
            agent.wait_value("netwarden_probe_success", 1, probe="icmp", device="v6-host")
            agent.wait_value("netwarden_probe_success", 1, service="v6-tcp")
            agent.wait_value("netwarden_probe_success", 1, service="v6-http")
            targets = {labels["target"] for labels, _ in agent.samples()["netwarden_probe_success"]}
        finally:
            agent.stop()
    assert targets == {"::1", f"[::1]:{tcp_port}", f"http://[::1]:{http_port}/"}
