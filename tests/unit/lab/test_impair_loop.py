"""The bridge's event loop and command line, with fake packet sockets (no root needed)."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from netwarden.lab import impair_bridge
from netwarden.lab.impair_bridge import Bridge, Port, StopFlag, main, parse_args
from netwarden.lab.impair_model import Direction, ImpairSpec
from tests.waiting import wait_for


class FakePacketSocket:
    """A packet socket stand-in: the test writes ``pkttype byte + frame`` datagrams to ``wire``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._inner, self.wire = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._inner.setblocking(False)
        self.sent: list[tuple[float, bytes]] = []
        self.on_receive: Callable[[], None] = lambda: None

    def fileno(self) -> int:
        return self._inner.fileno()

    def recvfrom_into(self, buf: bytearray, nbytes: int, flags: int, /) -> tuple[int, Any]:
        data = self._inner.recv(1 << 18)  # BlockingIOError when empty, like the real one
        self.on_receive()
        frame = data[1:]
        buf[: min(len(frame), nbytes)] = frame[:nbytes]
        return len(frame), (self.name, 3, data[0], 1, b"")

    def send(self, data: bytes, /) -> int:
        self.sent.append((time.monotonic(), data))
        return len(data)

    def close(self) -> None:
        self._inner.close()
        self.wire.close()

    def inject(self, frame: bytes, pkttype: int = socket.PACKET_OTHERHOST) -> float:
        """Send a frame to the bridge; returns a time no later than the bridge can see it.

        The clock is read before the send: read after, a test thread descheduled between the
        two would date the frame late and see less than the delay the bridge really held it.
        """
        at = time.monotonic()
        self.wire.send(bytes([pkttype]) + frame)
        return at


def _bridge(spec: ImpairSpec) -> tuple[Bridge, FakePacketSocket, FakePacketSocket]:
    left, right = FakePacketSocket("c"), FakePacketSocket("a")
    bridge = Bridge(
        [
            Port(left, right, Direction("c->a", spec, seed=1)),
            Port(right, left, Direction("a->c", spec, seed=1)),
        ]
    )
    return bridge, left, right


@pytest.fixture
def running() -> Iterator[
    Callable[[ImpairSpec], tuple[Bridge, FakePacketSocket, FakePacketSocket]]
]:
    """Run a bridge on fake sockets in a thread; stopped and joined at teardown."""
    threads: list[tuple[threading.Thread, StopFlag, socket.socket, socket.socket, Bridge]] = []

    def start(spec: ImpairSpec) -> tuple[Bridge, FakePacketSocket, FakePacketSocket]:
        bridge, left, right = _bridge(spec)
        wake, wake_w = socket.socketpair()
        wake.setblocking(False)
        stop = StopFlag()
        thread = threading.Thread(target=bridge.run, args=(stop, wake), daemon=True)
        thread.start()
        threads.append((thread, stop, wake, wake_w, bridge))
        return bridge, left, right

    yield start
    for thread, stop, wake, wake_w, bridge in threads:
        stop.requested = True
        wake_w.send(b"x")
        thread.join(timeout=30)  # woken at once; the bound is for a stalled machine
        assert not thread.is_alive()
        for sock in (wake, wake_w):
            sock.close()
        bridge.close()


def _wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    wait_for("the bridge's frames", condition, seconds, every=0.005)


def test_frames_cross_unmodified_after_the_one_way_delay(running: Any) -> None:
    _, left, right = running(ImpairSpec(delay_ms=100, jitter_ms=0, loss_pct=0))
    sent_at = left.inject(b"\xff" * 6 + b"arp request")
    back_at = right.inject(b"reply from a")
    _wait_for(lambda: len(right.sent) == 1 and len(left.sent) == 1)
    assert right.sent[0][1] == b"\xff" * 6 + b"arp request"
    assert left.sent[0][1] == b"reply from a"
    assert right.sent[0][0] - sent_at >= 0.050
    assert left.sent[0][0] - back_at >= 0.050
    assert right.sent[0][0] - sent_at < 1.5  # the delay, not a stall (margin for load)


def test_own_transmissions_are_not_forwarded_back(running: Any) -> None:
    bridge, left, right = running(ImpairSpec(0, 0, 0))
    right.inject(b"echo of what we sent", pkttype=socket.PACKET_OUTGOING)
    right.inject(b"marker")  # read after the echo (a datagram socket keeps order)
    left.inject(b"real frame")
    # Until the bridge has counted the send, not just made it: it counts after send() returns,
    # and a test that looked in between would see the frame sent but not yet counted.
    a_to_c = bridge.ports[1].direction
    _wait_for(lambda: len(right.sent) == 1 and a_to_c.forwarded >= 1)
    assert [frame for _, frame in left.sent] == [b"marker"]  # the echo was not forwarded
    assert a_to_c.forwarded == 1


def test_burst_keeps_order_under_jitter(running: Any) -> None:
    _, left, right = running(ImpairSpec(delay_ms=20, jitter_ms=20, loss_pct=0))
    frames = [i.to_bytes(4, "big") * 16 for i in range(2000)]
    for frame in frames:
        left.inject(frame)
    _wait_for(lambda: len(right.sent) == len(frames), seconds=10)
    assert [frame for _, frame in right.sent] == frames


def test_oversized_frame_is_counted_not_forwarded(running: Any) -> None:
    bridge, left, right = running(ImpairSpec(0, 0, 0))
    left.inject(b"x" * 70_000)
    left.inject(b"small")
    _wait_for(lambda: len(right.sent) == 1)
    assert right.sent[0][1] == b"small"
    assert bridge.ports[0].direction.overflow == 1


def test_parse_args_defaults_and_round_trip_figures() -> None:
    args, spec = parse_args(["--left", "c", "--right", "a", "--loss-pct", "20", "--seed", "5"])
    assert (args.left, args.right, args.seed) == ("c", "a", 5)
    assert spec == ImpairSpec(delay_ms=0.0, jitter_ms=0.0, loss_pct=20.0)


@pytest.mark.parametrize("bad", [["--loss-pct", "100"], ["--delay-ms", "-5"], ["--seed", "x"]])
def test_bad_arguments_exit_2(bad: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        parse_args(["--left", "c", "--right", "a", *bad])
    assert exc.value.code == 2


def test_missing_interface_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    before = signal.getsignal(signal.SIGTERM)
    assert main(["--left", "nwt-nosuch0", "--right", "nwt-nosuch1"]) == 1
    assert capsys.readouterr().err == "impair_bridge: error: no such interface 'nwt-nosuch0'\n"
    assert signal.getsignal(signal.SIGTERM) is before


def test_sigterm_stops_main_with_exit_0_and_a_summary(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bridge, left, _ = _bridge(ImpairSpec(delay_ms=80, jitter_ms=0, loss_pct=20))
    # The signal is raised from inside the loop, so it can only land while main's handler is set.
    left.on_receive = lambda: os.kill(os.getpid(), signal.SIGTERM)
    monkeypatch.setattr(impair_bridge.Bridge, "open", lambda *args: bridge)
    left.inject(b"frame")
    started = time.monotonic()
    assert main(["--left", "c", "--right", "a", "--delay-ms", "80", "--loss-pct", "20"]) == 0
    # Stopped by the signal, not hung: the loop would otherwise wait for ever (nothing else is
    # due). Wide, as a loaded machine may stall this thread for a second.
    assert time.monotonic() - started < 10.0
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "impair_bridge: c<->a delay 80ms jitter 0ms loss 20% (per direction 10.56%)"
    assert lines[1].startswith("impair_bridge: stopped; c->a forwarded 0 dropped ")
    assert len(lines) == 2
