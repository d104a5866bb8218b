"""The impairment bridge on real veths: left host <-> bridge namespace <-> right host (root)."""

from __future__ import annotations

import math
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import IO

import pytest

pytestmark = pytest.mark.lab

NS_LEFT, NS_MID, NS_RIGHT = "nwt-imp-l", "nwt-imp-m", "nwt-imp-r"
LEFT_IP, RIGHT_IP = "198.18.253.1", "198.18.253.2"
TCP_PORT = 47311
OFFLOADS = ["tx", "off", "tso", "off", "gso", "off", "gro", "off"]
PING = ["ip", "netns", "exec", NS_LEFT, "ping", "-q"]  # always from the left host
BRIDGE = ["ip", "netns", "exec", NS_MID, sys.executable, "-m", "netwarden.lab.impair_bridge"]

Start = Callable[..., "subprocess.Popen[str]"]

SERVER = """
import socket, sys
with socket.create_server((sys.argv[1], int(sys.argv[2]))) as srv:
    srv.settimeout(30)
    print("ready", flush=True)
    conn, _ = srv.accept()
    with conn:
        conn.settimeout(30)
        data = bytearray()
        while chunk := conn.recv(65536):
            data += chunk
        conn.sendall(data)
"""

CLIENT = """
import os, socket, sys, time
payload = os.urandom(int(sys.argv[3]))
started = time.monotonic()
with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=30) as conn:
    conn.sendall(payload)
    conn.shutdown(socket.SHUT_WR)
    back = bytearray()
    while chunk := conn.recv(65536):
        back += chunk
print(len(back), back == payload, time.monotonic() - started)
"""


def _run(*cmd: str, timeout: float = 15, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=check)


def _in(ns: str, *cmd: str, timeout: float = 15) -> subprocess.CompletedProcess[str]:
    return _run("ip", "netns", "exec", ns, *cmd, timeout=timeout)


def _delete_namespaces() -> None:
    for ns in (NS_LEFT, NS_MID, NS_RIGHT):
        _run("ip", "netns", "delete", ns, check=False)


def _ip(line: str) -> None:
    _run("ip", *line.split())


def _build() -> None:
    for ns in (NS_LEFT, NS_MID, NS_RIGHT):
        _ip(f"netns add {ns}")
        _ip(f"-n {ns} link set dev lo up")
    # "name" is not optional: a bare "a" parses as the "address" keyword.
    _ip(f"-n {NS_MID} link add name c type veth peer name l0 netns {NS_LEFT}")
    _ip(f"-n {NS_MID} link add name a type veth peer name r0 netns {NS_RIGHT}")
    _ip(f"-n {NS_LEFT} addr add {LEFT_IP}/24 dev l0")
    _ip(f"-n {NS_RIGHT} addr add {RIGHT_IP}/24 dev r0")
    for ns, dev in ((NS_LEFT, "l0"), (NS_MID, "c"), (NS_MID, "a"), (NS_RIGHT, "r0")):
        _in(ns, "ethtool", "-K", dev, *OFFLOADS)
        _ip(f"-n {ns} link set dev {dev} up")


@pytest.fixture(scope="module")
def link() -> Iterator[None]:
    """Three namespaces joined by two veth pairs, nothing forwarding in the middle yet."""
    if os.geteuid() != 0:
        pytest.fail("lab tests need root (they build network namespaces): run scripts/test.sh")
    missing = [tool for tool in ("ip", "ethtool", "ping") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"lab tests need {', '.join(missing)} (ping: apt-get install -y iputils-ping)")
    _delete_namespaces()  # leftovers of an interrupted run
    try:
        _build()
        yield
    finally:
        _delete_namespaces()


@pytest.fixture
def bridge(link: None) -> Iterator[Start]:
    """Start the bridge in the middle namespace; teardown kills only the PIDs started here."""
    started: list[subprocess.Popen[str]] = []

    def start(*args: str) -> subprocess.Popen[str]:
        cmd = [*BRIDGE, "--left", "c", "--right", "a", *args]
        proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
        started.append(proc)
        assert proc.stderr is not None
        ready, _, _ = select.select([proc.stderr], [], [], 15)
        status = proc.stderr.readline() if ready else ""
        assert status.startswith("impair_bridge: c<->a "), status
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()  # ip netns exec execs python, so this PID is the bridge itself
        proc.communicate(timeout=5)


def _resolve_arp() -> None:
    """Ping until one reply: ARP must be settled before measuring (a lossy link can eat it)."""
    for _ in range(8):
        done = _run(*PING, "-c", "1", "-W", "1", RIGHT_IP, check=False)
        if done.returncode == 0:
            return
    pytest.fail("no ping reply across the bridge")


def _ping(*args: str) -> tuple[int, int, float, float]:
    """(sent, received, min rtt ms, avg rtt ms) of one ping run from the left host."""
    out = _run(*PING, *args, RIGHT_IP, timeout=30).stdout
    counts = re.search(r"(\d+) packets transmitted, (\d+) received", out)
    rtt = re.search(r"= ([\d.]+)/([\d.]+)/", out)
    assert counts, out
    low, avg = (float(rtt[1]), float(rtt[2])) if rtt else (math.nan, math.nan)
    return int(counts[1]), int(counts[2]), low, avg


def _stop(proc: subprocess.Popen[str]) -> tuple[int, float, str]:
    """SIGTERM the bridge; (exit code, seconds to exit, its remaining stderr)."""
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=5)
    return proc.returncode, time.monotonic() - started, err


def test_delay_80ms_shows_as_ping_rtt(bridge: Start) -> None:
    proc = bridge("--delay-ms", "80", "--jitter-ms", "0", "--seed", "1")
    _resolve_arp()
    sent, received, low, avg = _ping("-c", "20", "-i", "0.05")
    print(f"\nrtt min {low:.1f} avg {avg:.1f} ms over {received}/{sent} pings with --delay-ms 80")
    assert (sent, received) == (20, 20)
    # Every reply was held both ways (none under the delay), and one at least came back with
    # nothing added but it. Not the average: on a loaded machine (load 12) a few stalls of the
    # bridge or of ping itself made it 113.7 ms.
    assert 75.0 <= low <= 95.0
    assert _stop(proc)[0] == 0


def test_loss_20pct_is_round_trip_loss(bridge: Start) -> None:
    proc = bridge("--delay-ms", "10", "--loss-pct", "20", "--seed", "2")
    _resolve_arp()
    # -l 8: plain fast ping slows to ~100/s once replies go missing; a preload keeps the pace.
    sent, received, _, _ = _ping("-c", "1000", "-i", "0.002", "-l", "8", "-W", "1")
    loss = 100.0 * (sent - received) / sent
    print(f"\nping loss {loss:.1f} % over {sent} pings with --loss-pct 20")
    assert sent == 1000
    assert 14.0 <= loss <= 26.0
    assert _stop(proc)[0] == 0


def test_tcp_megabyte_passes_intact(bridge: Start) -> None:
    proc = bridge("--delay-ms", "20", "--loss-pct", "1", "--seed", "3")
    _resolve_arp()
    server = subprocess.Popen(
        ["ip", "netns", "exec", NS_RIGHT, sys.executable, "-c", SERVER, RIGHT_IP, str(TCP_PORT)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        assert server.stdout.readline().strip() == "ready"
        done = _in(
            NS_LEFT, sys.executable, "-c", CLIENT, RIGHT_IP, str(TCP_PORT), "1000000", timeout=40
        )
        size, same, seconds = done.stdout.split()
        print(
            f"\n2 x 1 MB echoed in {float(seconds):.2f} s "
            f"({2 * 8 / float(seconds):.1f} Mbit/s) at 20 ms / 1 %"
        )
        assert (size, same) == ("1000000", "True")
        assert server.wait(timeout=10) == 0
    finally:
        if server.poll() is None:
            server.kill()
        server.communicate(timeout=5)
    assert _stop(proc)[0] == 0


def _first_reply(out: IO[str], seconds: float = 15) -> None:
    """Read ping's lines until its first echo reply (bounded in lines and time)."""
    deadline = time.monotonic() + seconds
    for _ in range(100):
        ready, _, _ = select.select([out], [], [], max(0.0, deadline - time.monotonic()))
        line = out.readline() if ready else ""
        if "bytes from" in line:
            return
        assert line and time.monotonic() < deadline, "no echo reply across the bridge"
    pytest.fail("no echo reply in ping's first 100 lines")


def test_sigterm_exits_0_within_a_second_with_summary(bridge: Start) -> None:
    proc = bridge("--delay-ms", "200", "--seed", "4")
    # Stop while frames are in flight, so shutdown has to discard a non-empty queue: once the
    # first reply is back, the later echoes (one every 10 ms) are still inside the bridge.
    ping = subprocess.Popen(
        ["ip", "netns", "exec", NS_LEFT, "ping", "-c", "50", "-i", "0.01", "-W", "1", RIGHT_IP],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert ping.stdout is not None
        _first_reply(ping.stdout)
        code, seconds, err = _stop(proc)
    finally:
        ping.kill()  # ours, by its PID: its remaining echoes died with the bridge
        ping.communicate(timeout=10)
    assert code == 0
    assert seconds < 1.0
    summary = err.strip().splitlines()
    assert len(summary) == 1
    assert re.match(r"impair_bridge: stopped; c->a forwarded \d+ dropped \d+ .*; a->c ", summary[0])


def test_refuses_an_interface_still_on_the_kernel_bridge(link: None) -> None:
    _ip(f"-n {NS_MID} link add name br0 type bridge")
    try:
        _ip(f"-n {NS_MID} link set dev c master br0")
        done = _run(*BRIDGE, "--left", "c", "--right", "a", check=False)
    finally:
        _ip(f"-n {NS_MID} link delete dev br0")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "impair_bridge: error: c is still a port of br0; take it off the bridge first"
    ]
