"""Events benchmark: traps/s and syslog messages/s one agent sustains on one core, with
net-snmp's snmptrapd receiving the same trap stream in the same run as the anchor.

    .venv/bin/python -m bench.events [--seconds 3] [--max-rate 64000] [--json FILE]
    (run it as flock /tmp/netwarden-lab.lock .venv/bin/python -m bench.events)

Loopback only. The agent (the events service of ``agent run`` with its events queue on disk,
events.db, one worker thread for the queue's writes) runs in its own process pinned to CPU 0;
snmptrapd too (one at a time, never together); the sender is this process, pinned to CPU 1.
For each offered rate of a doubling ladder the same stream of v2c linkDown traps (the bytes
snmpd sends) goes to the agent, then to snmptrapd; a rate is sustained when every trap was
counted: by the agent as an event queued on disk, by snmptrapd as a line in its log. Then
the same ladder for syslog (RFC 3164 lines over UDP) to the agent. A rate is offered for
``--seconds`` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SYS_UPTIME = (1, 3, 6, 1, 2, 1, 1, 3, 0)
TRAP_OID = (1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0)
LINK_DOWN = (1, 3, 6, 1, 6, 3, 1, 1, 5, 3)
LINE = b"<187>Dec  7 04:00:00 sw-1 %LINK-3-UPDOWN: Interface Gi0/2, changed state to down"
AGENT_CPU, SENDER_CPU = 0, 1


def trap_bytes() -> bytes:
    from netwarden.agent.snmp.ber import Pdu, PduType, encode_pdu
    from netwarden.agent.snmp.messages import encode_v2c
    from netwarden.agent.snmp.types import Tag, VarBind

    entry = (1, 3, 6, 1, 2, 1, 2, 2, 1)
    varbinds = [
        VarBind(SYS_UPTIME, Tag.TIMETICKS, 123456),
        VarBind(TRAP_OID, Tag.OBJECT_IDENTIFIER, LINK_DOWN),
        VarBind((*entry, 1, 2), Tag.INTEGER, 2),
        VarBind((*entry, 7, 2), Tag.INTEGER, 1),
        VarBind((*entry, 8, 2), Tag.INTEGER, 2),
    ]
    return encode_v2c(b"public", encode_pdu(Pdu(PduType.TRAP, 4242, 0, 0, varbinds)))


# --------------------------------------------------------------------------- the agent process
def serve(state: Path) -> None:
    """The agent's events part with a disk events queue; writes its ports and counters."""
    os.sched_setaffinity(0, {AGENT_CPU})
    os.environ.setdefault("NW_BENCH_COMMUNITY", "public")
    asyncio.run(_serve(state))


class _QueueSink:
    def __init__(self, path: Path) -> None:
        from netwarden.agent.sync.async_disk_queue import AsyncDiskQueue
        from netwarden.agent.sync.disk_queue import DiskQueue

        self.queue = AsyncDiskQueue(DiskQueue(path))

    async def put_many(self, items: Any) -> None:
        pass

    async def put_events(self, items: Any) -> None:
        await self.queue.put_many(items)

    def events_stats(self) -> Any:
        return self.queue.stats()

    async def start(self, agent: Any) -> None:
        pass

    async def close(self) -> None:
        await self.queue.close()


async def _serve(state: Path) -> None:
    from netwarden.agent.events.service import EventsOptions, EventsService
    from netwarden.agent.lifecycle import AgentLifecycle, RuntimeSettings
    from netwarden.agent.snmp.engines import EngineName, session_factory
    from netwarden.agent.standalone import InventoryFiles
    from netwarden.hostport import HostPort

    inventory = state / "inventory.yaml"
    inventory.write_text(
        "province: bench\nagents: [{id: agent-bench, site: s}]\n"
        "sites: [{id: s, name: S, kind: agency}]\n"
        "devices: [{id: sw-1, site: s, address: 127.0.0.1, role: switch,\n"
        "  snmp: {credential: v2, interval: 60s}, icmp: {enabled: false}}]\n"
        "credentials: {v2: {snmp: {version: 2c, community: 'env:NW_BENCH_COMMUNITY'}}}\n"
    )  # one device at the sender's address: every event is matched to it
    events = EventsService(EventsOptions(HostPort("127.0.0.1", 0), HostPort("127.0.0.1", 0)))
    sink = _QueueSink(state / "events.db")
    agent = AgentLifecycle(
        InventoryFiles([inventory], "agent-bench"),
        sink,
        RuntimeSettings(session_factory(EngineName.fast), probers=None),
        services=[events],
    )
    await agent.start("127.0.0.1", 0)
    report = state / "counters.json"
    ports = {k: v[1] for k, v in events.bound.items()}
    try:
        while not (state / "stop").exists():
            c = events.counters
            stats = sink.events_stats()
            data = {
                "ports": ports,
                "traps": sum(c.traps.values()),
                "syslog": sum(c.syslog.values()),
                "queued": c.queued,
                "queue_depth": stats.depth,
                "dropped": {f"{a}/{b}": n for (a, b), n in c.dropped.items()},
            }
            report.with_suffix(".tmp").write_text(json.dumps(data))
            report.with_suffix(".tmp").replace(report)
            await asyncio.sleep(0.2)
    finally:
        await agent.close()


# --------------------------------------------------------------------------- the sender
def send_at(port: int, data: bytes, rate: int, seconds: float) -> tuple[int, float]:
    """Send ``rate * seconds`` copies of ``data`` to 127.0.0.1:port, paced in 1 ms slices."""
    total = int(rate * seconds)
    sent = 0
    start = time.perf_counter()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.connect(("127.0.0.1", port))
        send = sock.send
        while sent < total:
            due = min(total, int((time.perf_counter() - start) * rate) + 1)
            while sent < due:
                # A receiver that is not there (yet) refuses: the datagram counts as lost.
                with contextlib.suppress(ConnectionRefusedError):
                    send(data)
                sent += 1
            if sent < total:
                time.sleep(0.0005)
    return sent, time.perf_counter() - start


def settle(read: Callable[[], int], want: int, limit: float = 60.0) -> int:
    """Wait until ``read()`` reaches ``want`` or stops moving for 2 s; its last value."""
    deadline = time.monotonic() + limit
    last, still = read(), time.monotonic()
    while time.monotonic() < deadline and last < want:
        time.sleep(0.1)
        now = read()
        if now != last:
            last, still = now, time.monotonic()
        elif time.monotonic() - still > 2.0:
            break
    return last


class Agent:
    def __init__(self, tmp: Path) -> None:
        self.state = tmp / "agent"
        self.state.mkdir()
        self.log = (tmp / "agent.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.events", "--serve", str(self.state)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        for _ in range(300):
            if (self.state / "counters.json").exists() or self.proc.poll() is not None:
                break
            time.sleep(0.1)
        if not (self.state / "counters.json").exists():
            self.log.close()
            tail = (tmp / "agent.log").read_text(errors="replace")[-2000:]
            raise SystemExit(f"the agent process did not start:\n{tail}")
        self.ports = self.counters()["ports"]

    def counters(self) -> dict[str, Any]:
        return dict(json.loads((self.state / "counters.json").read_text()))

    def stop(self) -> None:
        (self.state / "stop").touch()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


class Snmptrapd:
    def __init__(self, tmp: Path) -> None:
        self.log_path = tmp / "snmptrapd.log"
        self.port = _free_udp_port()
        (tmp / "snmptrapd.conf").write_text("disableAuthorization yes\n")
        argv = [
            "taskset",
            "-c",
            str(AGENT_CPU),
            "snmptrapd",
            "-f",
            "-C",
            "-c",
            str(tmp / "snmptrapd.conf"),
            "-Lf",
            str(self.log_path),
            "-F",
            "T\\n",
            "-On",
            f"udp:127.0.0.1:{self.port}",
        ]
        env = {**os.environ, "MIBS": "", "MIBDIRS": "/nonexistent"}
        self.proc = subprocess.Popen(
            argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self._wait_bound()
        self.base = 0

    def _wait_bound(self, limit: float = 60.0) -> None:
        """Until snmptrapd's socket is in /proc/net/udp: on a loaded machine it may take
        seconds to start, and a trap sent before then is refused, not counted."""
        local = f"0100007F:{self.port:04X}"
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"snmptrapd exited with {self.proc.returncode}")
            if local in Path("/proc/net/udp").read_text():
                return
            time.sleep(0.05)
        raise SystemExit(f"snmptrapd did not bind udp:127.0.0.1:{self.port} in {limit:.0f} s")

    def count(self) -> int:
        try:
            with self.log_path.open("rb") as f:
                return sum(1 for line in f if line == b"T\n")
        except FileNotFoundError:
            return 0

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ladder(
    name: str, port: int, data: bytes, count: Callable[[], int], *, rates: list[int], seconds: float
) -> list[dict[str, Any]]:
    rows = []
    for rate in rates:
        before = count()
        sent, took = send_at(port, data, rate, seconds)
        got = settle(count, before + sent) - before
        row = {
            "receiver": name,
            "offered": rate,
            "sent": sent,
            "send_seconds": round(took, 3),
            "received": got,
            "lost": sent - got,
        }
        print(json.dumps(row), flush=True)
        rows.append(row)
        if got < sent:
            break
    return rows


def send_tcp_at(port: int, line: bytes, rate: int, seconds: float) -> tuple[int, float]:
    """Send ``rate * seconds`` newline-framed lines over one TCP connection, paced as UDP is;
    TCP pushes back instead of losing, so a rate the agent cannot take shows as a send that
    takes longer than ``seconds``."""
    total = int(rate * seconds)
    frame = line + b"\n"
    sent = 0
    start = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        while sent < total:
            due = min(total, int((time.perf_counter() - start) * rate) + 1)
            if due > sent:
                sock.sendall(frame * (due - sent))  # one write per slice, as a relay batches
                sent = due
            if sent < total:
                time.sleep(0.0005)
    return sent, time.perf_counter() - start


def tcp_ladder(
    port: int, line: bytes, count: Callable[[], int], *, rates: list[int], seconds: float
) -> list[dict[str, Any]]:
    """Sustained: every line counted, and the sending kept pace (within 5 % of ``seconds``)."""
    rows = []
    for rate in rates:
        before = count()
        sent, took = send_tcp_at(port, line, rate, seconds)
        got = settle(count, before + sent) - before
        kept_pace = took <= seconds * 1.05
        row = {
            "receiver": "agent-syslog-tcp",
            "offered": rate,
            "sent": sent,
            "send_seconds": round(took, 3),
            "received": got,
            "lost": sent - got if kept_pace else max(1, sent - got),
        }
        print(json.dumps(row), flush=True)
        rows.append(row)
        if row["lost"]:
            break
    return rows


def default_rates(start: int, top: int) -> list[int]:
    """A doubling ladder from ``start``, with 2,000-step rungs from 8,000 to 16,000 where the
    syslog target (10,000/s) lies."""
    rates, r = [], start
    while r <= top:
        rates.append(r)
        r *= 2
    fine = [n for n in range(8000, 16001, 2000) if start <= n <= top]
    return sorted({*rates, *fine})


def best(rows: list[dict[str, Any]]) -> int:
    return max((r["offered"] for r in rows if r["lost"] == 0), default=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--start-rate", type=int, default=1000)
    parser.add_argument("--max-rate", type=int, default=128_000)
    parser.add_argument("--rates", help="comma-separated offered rates (default: the ladder)")
    parser.add_argument("--only", choices=("traps", "syslog"), help="one half of the bench")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve)
        return
    os.sched_setaffinity(0, {SENDER_CPU})
    if args.rates:
        rates = [int(r) for r in args.rates.split(",")]
    else:
        rates = default_rates(args.start_rate, args.max_rate)
    result = run(rates, args.seconds, args.only)
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}, indent=2))
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2))


def run(rates: list[int], seconds: float, only: str | None) -> dict[str, Any]:
    trap = trap_bytes()
    agent_traps: list[dict[str, Any]] = []
    trapd_traps: list[dict[str, Any]] = []
    syslog_rows: list[dict[str, Any]] = []
    tcp_rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="nw-bench-events-") as tmp_name:
        tmp = Path(tmp_name)
        agent = Agent(tmp)
        queued = lambda: int(agent.counters()["queued"])  # noqa: E731
        try:
            # The agent process is pinned to CPU 0 by itself; its queue thread shares the core.
            if only != "syslog":
                agent_traps = ladder(
                    "agent", agent.ports["trap"], trap, queued, rates=rates, seconds=seconds
                )
                trapd = Snmptrapd(tmp)
                try:
                    trapd_traps = ladder(
                        "snmptrapd", trapd.port, trap, trapd.count, rates=rates, seconds=seconds
                    )
                finally:
                    trapd.stop()
            if only != "traps":
                syslog_rows = ladder(
                    "agent-syslog", agent.ports["syslog-udp"], LINE, queued, rates=rates,
                    seconds=seconds,
                )  # fmt: skip
                tcp_rows = tcp_ladder(
                    agent.ports["syslog-tcp"], LINE, queued, rates=rates, seconds=seconds
                )
            final = agent.counters()
        finally:
            agent.stop()
    return {
        "agent_traps_per_s": best(agent_traps),
        "snmptrapd_traps_per_s": best(trapd_traps),
        "agent_syslog_per_s": best(syslog_rows),
        "agent_syslog_tcp_per_s": best(tcp_rows),
        "ratio_traps": round(best(agent_traps) / max(1, best(trapd_traps)), 2),
        "ratio_syslog_target": round(best(syslog_rows) / 10_000, 2),
        "agent_dropped": final["dropped"],
        "load_average": os.getloadavg(),
        "rows": agent_traps + trapd_traps + syslog_rows + tcp_rows,
    }


if __name__ == "__main__":
    main()
