"""Slow clients against the collector while the simulated agents run (``--slow-clients N``).

What a hostile or broken client on the network does to a service that needs no credential to
connect to (enrolment is unauthenticated), each kind from its own loopback addresses:

* ``no-handshake``: opens TCP and never starts TLS (TLS collector only);
* ``silent``: connects (TLS done) and never sends a byte;
* ``slow-headers``: sends a request line, then a header line every ``pace`` s, forever;
* ``slow-body``: POSTs ``/api/v1/enroll`` with its headers and part of the body, then stalls
  (the case the issue found held open for over 200 s);
* ``flood``: one source address opening more connections than the per-address limit, silent.

Every client reconnects as soon as the collector closes it (after a 503, one second later), so
the attack lasts the whole run. Each connection is held at most ``cap`` s by the client itself:
one the collector has not closed by then is counted as *kept*, a failure of its guards. The
report gives, per kind, the connections made, how long the collector let them live (p50, max),
its answers (408, 503...) and how many were still open when the run ended.

The clients run in a process of their own (``python -m bench.collector_slow``, started and
stopped by ``bench.collector``), as real attackers are other machines: in the load generator's
own event loop, their TLS handshakes and reconnect storms delayed the simulated agents' timing,
and the agents' latencies measured that contention instead of the collector. Over TLS, a
connection the collector refuses at its limits is closed before the handshake: the client sees
it as a connection error (``connect errors``), not as an answer.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

KINDS = ("no-handshake", "silent", "slow-headers", "slow-body", "flood")
FLOOD_ADDRESS = "127.3.0.1"
REFUSED_PAUSE = 1.0  # s before a refused client tries again


@dataclass
class SlowKind:
    """What happened to one kind's connections."""

    kind: str
    clients: int = 0
    held: list[float] = field(default_factory=list)  # s each closed connection lived
    answers: Counter[str] = field(default_factory=Counter)  # status the collector answered
    kept: int = 0  # still open after `cap` s: the collector never closed them
    open_at_end: int = 0
    connect_errors: int = 0


@dataclass(frozen=True)
class SlowPlan:
    """Where to attack and how hard."""

    host: str
    port: int
    tls: ssl.SSLContext | None
    per_kind: int
    flood: int  # connections of the flood address (above the per-address limit to matter)
    pace: float = 1.0  # s between the bytes of a trickle (below the collector's idle timeout)
    cap: float = 120.0


def slow_address(kind: int, client: int) -> str:
    """A loopback source address per slow client (none shared with an agent, 127.1.x.y)."""
    return f"127.2.{kind}.{client % 250 + 1}"


def _status(data: bytes) -> str:
    if data.startswith(b"HTTP/1.1 ") and len(data) >= 12:
        return data[9:12].decode("ascii", "replace")
    return "closed" if not data else "other"


async def _wait_closed(reader: asyncio.StreamReader, within: float) -> str | None:
    """The collector's answer once it closes the connection; None if it is still open."""
    try:
        data = await asyncio.wait_for(reader.read(4096), within)
    except TimeoutError:
        return None
    except (ConnectionError, OSError):
        return "reset"
    return _status(data)


async def _trickle(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, plan: SlowPlan, until: float
) -> str | None:
    writer.write(b"GET /api/v1/fleet HTTP/1.1\r\n")
    for n in range(100_000):  # bounded: ends when closed, by `until`, or after 100,000 bytes
        left = until - time.monotonic()
        if left <= 0:
            return None
        answer = await _wait_closed(reader, min(plan.pace, left))
        if answer is not None:
            return answer
        try:
            writer.write(f"X-Slow-{n}: 1\r\n".encode())
            await writer.drain()
        except (ConnectionError, OSError):
            return "reset"
    return None


async def _behave(
    kind: str,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    plan: SlowPlan,
    until: float,
) -> str | None:
    if kind == "slow-headers":
        return await _trickle(reader, writer, plan, until)
    if kind == "slow-body":
        head = (
            "POST /api/v1/enroll HTTP/1.1\r\nHost: collector\r\nContent-Type: application/json"
            "\r\nContent-Length: 4096\r\n\r\n"
        )
        writer.write(head.encode() + b'{"token": "nwj.')
    return await _wait_closed(reader, until - time.monotonic())


async def _one_client(kind: str, address: str, plan: SlowPlan, rec: SlowKind, end: float) -> None:
    tls = None if kind == "no-handshake" else plan.tls
    for _ in range(100_000):  # bounded: one round per connection until the run ends
        now = time.monotonic()
        if now >= end:
            return
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(
                    plan.host,
                    plan.port,
                    ssl=tls,
                    local_addr=(address, 0),
                    server_hostname=plan.host if tls else None,
                ),
                timeout=15,
            )
        except (OSError, TimeoutError, ssl.SSLError):
            rec.connect_errors += 1
            await asyncio.sleep(REFUSED_PAUSE)
            continue
        answer = await _behave(kind, reader, writer, plan, min(end, now + plan.cap))
        held = time.monotonic() - now
        writer.close()
        if answer is None:
            if time.monotonic() >= end:
                rec.open_at_end += 1
                return
            rec.kept += 1
            continue
        rec.held.append(held)
        rec.answers[answer] += 1
        if answer == "503":
            await asyncio.sleep(REFUSED_PAUSE)


async def run_slow_clients(plan: SlowPlan, duration: float) -> dict[str, SlowKind]:
    """Run every kind's clients for ``duration`` s; what happened, by kind."""
    end = time.monotonic() + duration
    kinds = [k for k in KINDS if plan.tls is not None or k != "no-handshake"]
    records = {k: SlowKind(k) for k in kinds}
    tasks = []
    for index, kind in enumerate(kinds):
        count = plan.flood if kind == "flood" else plan.per_kind
        records[kind].clients = count
        for n in range(count):
            address = FLOOD_ADDRESS if kind == "flood" else slow_address(index, n)
            tasks.append(asyncio.create_task(_one_client(kind, address, plan, records[kind], end)))
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return records


def _s(values: list[float], q: float) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))]:.1f}"


def render_slow(records: dict[str, SlowKind]) -> str:
    """One line per kind: connections, how long the collector let them live, its answers."""
    lines = [
        "slow clients (per kind: connections the collector closed, how long it let them live, "
        "its answers; kept: still open after the client's own cap)"
    ]
    for rec in records.values():
        answers = ", ".join(f"{k} x{v}" for k, v in sorted(rec.answers.items())) or "-"
        lines.append(
            f"  {rec.kind}: {rec.clients} clients, {len(rec.held)} closed, held "
            f"{_s(rec.held, 0.5)} / {max(rec.held, default=0):.1f} s, answers {answers}, "
            f"kept {rec.kept}, open at end {rec.open_at_end}, connect errors {rec.connect_errors}"
        )
    return "\n".join(lines)


def slow_json(records: dict[str, SlowKind]) -> dict[str, object]:
    return {
        kind: {
            "clients": r.clients,
            "closed": len(r.held),
            "held_max": max(r.held, default=0.0),
            "held": sorted(r.held),
            "answers": dict(r.answers),
            "kept": r.kept,
            "open_at_end": r.open_at_end,
            "connect_errors": r.connect_errors,
        }
        for kind, r in records.items()
    }


def records_from_json(data: dict[str, Any]) -> dict[str, SlowKind]:
    """What ``slow_json`` wrote, back as records (the child process's report)."""
    return {
        kind: SlowKind(
            kind,
            clients=int(r["clients"]),
            held=[float(h) for h in r["held"]],
            answers=Counter({str(k): int(v) for k, v in r["answers"].items()}),
            kept=int(r["kept"]),
            open_at_end=int(r["open_at_end"]),
            connect_errors=int(r["connect_errors"]),
        )
        for kind, r in data.items()
    }


def main(argv: Sequence[str] | None = None) -> int:
    """The slow clients on their own: ``slow_json`` of what happened, on stdout."""
    p = argparse.ArgumentParser(prog="python -m bench.collector_slow", description=__doc__)
    p.add_argument("--port", type=int, required=True, help="the collector's port on 127.0.0.1")
    p.add_argument("--cafile", help="the collector's CA (PEM); without it: plain HTTP")
    p.add_argument("--per-kind", type=int, required=True, help="clients of each kind")
    p.add_argument("--flood", type=int, required=True, help="connections from the flood address")
    p.add_argument("--duration", type=float, required=True, help="s the attack lasts")
    args = p.parse_args(argv)
    tls = ssl.create_default_context(cafile=args.cafile) if args.cafile else None
    plan = SlowPlan("127.0.0.1", args.port, tls, args.per_kind, args.flood)
    records = asyncio.run(run_slow_clients(plan, args.duration))
    sys.stdout.write(json.dumps(slow_json(records)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
