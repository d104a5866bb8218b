"""WAN impairment bridge: forwards Ethernet frames between two interfaces with delay and loss.

This kernel has neither netem nor gact, so the lab impairs a WAN link by running this process in
the link's namespace instead of a kernel bridge. Usage::

    python -m netwarden.lab.impair_bridge --left c --right a \\
        --delay-ms 80 --jitter-ms 0 --loss-pct 20 [--seed N]

Figures are what a ping across the link sees (round trip): ``--delay-ms 80`` adds 40 ms each
way, ``--loss-pct 20`` drops ≈10.56 % each way so ≈20 % of pings fail, ``--jitter-ms J`` adds a
uniform ±J/2 per direction without ever reordering a direction. See
:mod:`netwarden.lab.impair_model` for the exact rules.

Every frame received on one interface (ARP included, the bridge's own transmissions excluded) is
sent unmodified out of the other after its delay unless dropped; at most 10,000 frames wait per
direction. At start the bridge sets both interfaces up and switches off tx checksum, TSO, GSO and
GRO offload: a user-space copy of an offloaded frame carries no valid checksum, so TCP would die.

Stderr gets one status line at start and one summary line at exit. SIGTERM/SIGINT stop it with
exit 0; a missing interface, one still on a kernel bridge or any failed setup is one error line
and exit 1; bad arguments exit 2.
"""

from __future__ import annotations

import argparse
import errno
import selectors
import signal
import socket
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from netwarden.errors import LabError
from netwarden.lab.impair_model import Direction, ImpairSpec
from netwarden.lab.impair_sockets import PacketSocket, open_socket, prepare_interface

MAX_FRAME = 65535
BATCH = 64  # frames read per wake-up before due frames get a turn


@dataclass
class Port:
    """One receiving socket, the socket its frames leave by, and their direction."""

    rx: PacketSocket
    tx: PacketSocket
    direction: Direction


class StopFlag:
    """Set by the signal handler; the loop checks it after every wake-up."""

    requested = False


class Bridge:
    """Two packet sockets and the two directions between them."""

    def __init__(self, ports: Sequence[Port]) -> None:
        self.ports = list(ports)
        self._buf = bytearray(MAX_FRAME + 1)

    @classmethod
    def open(cls, left: str, right: str, spec: ImpairSpec, seed: int | None = None) -> Bridge:
        """Prepare both interfaces and listen on them; LabError if either is unusable."""
        if left == right:
            raise LabError("left and right must be different interfaces")
        indexes = [prepare_interface(left), prepare_interface(right)]
        lsock = open_socket(left, indexes[0])
        try:
            rsock = open_socket(right, indexes[1])
        except LabError:
            lsock.close()
            raise
        # Same seed for both: each direction derives its own streams from its name.
        return cls(
            [
                Port(lsock, rsock, Direction(f"{left}->{right}", spec, seed)),
                Port(rsock, lsock, Direction(f"{right}->{left}", spec, seed)),
            ]
        )

    def close(self) -> None:
        """Close both sockets (the kernel drops promiscuous mode with them)."""
        for port in self.ports:
            port.rx.close()

    def run(self, stop: StopFlag, wake: socket.socket) -> None:
        """Forward until ``stop.requested``; ``wake`` becomes readable when a signal arrives."""
        with selectors.DefaultSelector() as sel:
            sel.register(wake, selectors.EVENT_READ, None)
            for port in self.ports:
                sel.register(port.rx, selectors.EVENT_READ, port)
            while not stop.requested:
                for key, _ in sel.select(self._timeout()):
                    if key.data is None:
                        _drain(wake)
                    else:
                        self._receive(key.data)
                self._flush(time.monotonic())

    def _timeout(self) -> float | None:
        dues = [due for port in self.ports if (due := port.direction.next_due()) is not None]
        return max(0.0, min(dues) - time.monotonic()) if dues else None

    def _receive(self, port: Port) -> None:
        now = time.monotonic()
        buf = self._buf
        for _ in range(BATCH):
            try:
                # MSG_TRUNC: the real length comes back even if the frame did not fit.
                size, addr = port.rx.recvfrom_into(buf, len(buf), socket.MSG_TRUNC)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno in (errno.ENODEV, errno.ENXIO):
                    raise LabError(f"{port.direction.name}: interface vanished") from exc
                return  # e.g. ENETDOWN, reported once when the interface goes down
            if addr[2] == socket.PACKET_OUTGOING:
                continue  # our own transmission, seen by the socket bound to that port
            if size > MAX_FRAME:
                # Cannot happen with GRO off; counted with the queue overflows as "could not hold".
                port.direction.overflow += 1
                continue
            port.direction.offer(bytes(buf[:size]), now)

    def _flush(self, now: float) -> None:
        for port in self.ports:
            direction = port.direction
            for frame in direction.pop_due(now):
                try:
                    port.tx.send(frame)
                except OSError:
                    direction.send_errors += 1
                else:
                    direction.forwarded += 1

    def summary(self) -> str:
        """The one line printed at exit."""
        parts = "; ".join(port.direction.summary() for port in self.ports)
        return f"impair_bridge: stopped; {parts}"


def _drain(wake: socket.socket) -> None:
    try:
        while wake.recv(512):
            pass
    except BlockingIOError:
        pass


@contextmanager
def _stop_on_signals(wake: socket.socket) -> Iterator[StopFlag]:
    """Turn SIGTERM/SIGINT into ``stop.requested`` plus a byte on ``wake``; restore on exit."""
    stop = StopFlag()

    def handler(signum: int, frame: object) -> None:
        stop.requested = True

    old_fd = signal.set_wakeup_fd(wake.fileno(), warn_on_full_buffer=False)
    old = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, previous in old.items():
            signal.signal(sig, previous)
        signal.set_wakeup_fd(old_fd)


def parse_args(argv: Sequence[str] | None = None) -> tuple[argparse.Namespace, ImpairSpec]:
    """Parse the command line; usage errors exit 2 through argparse."""
    parser = argparse.ArgumentParser(
        prog="python -m netwarden.lab.impair_bridge",
        description="Forward frames between two interfaces with WAN delay, jitter and loss.",
    )
    parser.add_argument("--left", required=True, help="interface toward the core")
    parser.add_argument("--right", required=True, help="interface toward the agency")
    parser.add_argument("--delay-ms", type=float, default=0.0, help="added round-trip delay")
    parser.add_argument("--jitter-ms", type=float, default=0.0, help="±jitter/2 per direction")
    parser.add_argument("--loss-pct", type=float, default=0.0, help="round-trip loss, percent")
    parser.add_argument("--seed", type=int, default=None, help="seed for reproducible runs")
    args = parser.parse_args(argv)
    try:
        spec = ImpairSpec(args.delay_ms, args.jitter_ms, args.loss_pct)
    except ValueError as exc:
        parser.error(str(exc))
    return args, spec


def main(argv: Sequence[str] | None = None) -> int:
    """Run the bridge until SIGTERM/SIGINT; return the exit code."""
    args, spec = parse_args(argv)
    wake, wake_w = socket.socketpair()
    wake.setblocking(False)
    wake_w.setblocking(False)
    with wake, wake_w, _stop_on_signals(wake_w) as stop:
        try:
            bridge = Bridge.open(args.left, args.right, spec, args.seed)
        except LabError as exc:
            print(f"impair_bridge: error: {exc}", file=sys.stderr, flush=True)
            return 1
        try:
            print(spec.describe(args.left, args.right), file=sys.stderr, flush=True)
            bridge.run(stop, wake)
        except LabError as exc:
            print(f"impair_bridge: error: {exc}", file=sys.stderr, flush=True)
            return 1
        finally:
            bridge.close()
            print(bridge.summary(), file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
