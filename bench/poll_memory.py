"""What polling holds in Python memory: tracemalloc over rounds of DevicePoller.poll on fake
51-port devices, with the real client path (GETBULK requests, BulkWalk, the BER decoder) and an
in-process answerer instead of UDP, so walks interleave as on the wire (every exchange yields
to the event loop) and nothing but the agent's side is measured.

    .venv/bin/python -m bench.poll_memory --devices 100 --in-flight 50 [--top 10]
    .venv/bin/python -m bench.poll_memory --devices 500 --cpu --rounds 4

Prints, for each round (from the second the labels are cached, as in steady polling), the peak
of traced memory above what was held before the round, and what the pollers and the kept
snapshots hold after it; with ``--cpu``, no tracemalloc: each round's CPU seconds, the
answering side's taken out. No network, no lab.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import gc
import time
import tracemalloc
from collections.abc import Callable

from netwarden.agent.polling import ifmib
from netwarden.agent.polling.poller import DevicePoller
from netwarden.agent.polling.snapshot import DeviceInfo, DeviceSnapshot
from netwarden.agent.snmp.ber import Pdu, PduType, decode_pdu, encode_pdu
from netwarden.agent.snmp.client import UdpSnmpSession
from netwarden.agent.snmp.messages import decode_v2c, encode_v2c
from netwarden.agent.snmp.types import Oid, Tag, Target, VarBind

IF = ifmib.IF_ENTRY
IFX = ifmib.IFX_ENTRY
MIB = dict[Oid, VarBind]


def device_mib(ports: int) -> MIB:
    """A switch's IF-MIB: every ifTable and ifXTable column, counters with realistic (large)
    values so they are int objects, not cached small ints."""
    mib: MIB = {}

    def put(oid: Oid, tag: Tag, value: int | bytes) -> None:
        mib[oid] = VarBind(oid, tag, value)

    put(ifmib.SYS_UPTIME, Tag.TIMETICKS, 123_456_789)
    put(ifmib.IF_NUMBER, Tag.INTEGER, ports)
    put(ifmib.IF_TABLE_LAST_CHANGE, Tag.TIMETICKS, 4_200)
    for i in range(1, ports + 1):
        put((*IF, 1, i), Tag.INTEGER, i)
        put((*IF, 2, i), Tag.OCTET_STRING, f"GigabitEthernet0/{i}".encode())
        put((*IF, 3, i), Tag.INTEGER, 6)
        put((*IF, 4, i), Tag.INTEGER, 1500)
        put((*IF, 5, i), Tag.GAUGE32, 1_000_000_000)
        put((*IF, 6, i), Tag.OCTET_STRING, bytes((0, 0x1B, 0x21, 0, 0, i)))
        put((*IF, 7, i), Tag.INTEGER, 1)
        put((*IF, 8, i), Tag.INTEGER, 1)
        put((*IF, 9, i), Tag.TIMETICKS, 4_200 + i)
        for c in range(10, 23):
            put((*IF, c, i), Tag.COUNTER32, 3_000_000_000 - 7_919 * i * c)
        put((*IFX, 1, i), Tag.OCTET_STRING, f"Gi0/{i}".encode())
        for c in range(2, 6):
            put((*IFX, c, i), Tag.COUNTER32, 2_000_000 + i * c)
        for c in range(6, 14):
            put((*IFX, c, i), Tag.COUNTER64, 2**40 + 104_729 * i * c)
        put((*IFX, 14, i), Tag.INTEGER, 1)
        put((*IFX, 15, i), Tag.GAUGE32, 1_000)
        put((*IFX, 16, i), Tag.INTEGER, 1)
        put((*IFX, 17, i), Tag.INTEGER, 1)
        put((*IFX, 18, i), Tag.OCTET_STRING, f"uplink {i}".encode())
        put((*IFX, 19, i), Tag.TIMETICKS, 0)
    return mib


class Answerer:
    """The device side: answers a v2c GET/GETBULK message with the encoded Response."""

    def __init__(self, mib: MIB, max_varbinds: int = 2_048) -> None:
        self.mib, self.order, self.cap = mib, sorted(mib), max_varbinds
        self.cpu = 0.0  # seconds spent answering, to take out of the poll's CPU

    def answer(self, message: bytes) -> bytes:
        t0 = time.process_time()
        try:
            return self._answer(message)
        finally:
            self.cpu += time.process_time() - t0

    def _answer(self, message: bytes) -> bytes:
        community, pdu = decode_v2c(message)
        if pdu.type == PduType.GET_BULK:
            varbinds = self._bulk([vb.oid for vb in pdu.varbinds], pdu.error_index)
        else:
            absent = Tag.NO_SUCH_OBJECT
            varbinds = [self.mib.get(vb.oid, VarBind(vb.oid, absent, None)) for vb in pdu.varbinds]
        return encode_v2c(
            community, encode_pdu(Pdu(PduType.RESPONSE, pdu.request_id, 0, 0, varbinds))
        )

    def _bulk(self, cursors: list[Oid], reps: int) -> list[VarBind]:
        out: list[VarBind] = []
        for _ in range(reps):
            for k, cursor in enumerate(cursors):
                i = bisect.bisect_right(self.order, cursor)
                vb = (
                    self.mib[self.order[i]]
                    if i < len(self.order)
                    else VarBind(cursor, Tag.END_OF_MIB_VIEW, None)
                )
                cursors[k] = vb.oid
                out.append(vb)
        return out[: self.cap]


class WireSession(UdpSnmpSession):
    """The real client with the socket replaced by :class:`Answerer` (one loop turn each)."""

    def __init__(self, target: Target, answerer: Answerer) -> None:
        super().__init__(target)
        self._answerer = answerer

    async def _exchange(self, msg_id: int, build: Callable[[], bytes]) -> bytes:
        await asyncio.sleep(0)  # let the other polls in flight run, as a datagram's wait does
        return self._answerer.answer(build())


async def poll_round(
    pollers: list[DevicePoller], in_flight: int, kept: dict[str, DeviceSnapshot]
) -> None:
    gate = asyncio.Semaphore(in_flight)

    async def one(p: DevicePoller) -> None:
        async with gate:
            snap = await p.poll(timeout=60.0)
        if not snap.up or snap.errors:
            raise RuntimeError(f"{p.info.device}: {snap.errors} {snap.error_messages}")
        kept[p.info.device] = snap

    await asyncio.gather(*(one(p) for p in pollers))


async def main(args: argparse.Namespace) -> None:
    answerer = Answerer(device_mib(args.ports))
    decode_pdu  # noqa: B018 - imported so the codec's modules are loaded before tracing
    pollers = [
        DevicePoller(
            DeviceInfo(device=f"sw{n:04d}", site="bench", role="switch"),
            WireSession(Target(f"198.18.{n // 250}.{n % 250 + 1}"), answerer),
        )
        for n in range(args.devices)
    ]
    kept: dict[str, DeviceSnapshot] = {}
    if args.cpu:
        for rnd in range(1, args.rounds + 1):
            gc.collect()
            t0, answering = time.process_time(), answerer.cpu
            await poll_round(pollers, args.in_flight, kept)
            cpu = time.process_time() - t0 - (answerer.cpu - answering)
            print(f"round {rnd}: {cpu:.2f} CPU s polling (the answering side taken out)")
        return
    tracemalloc.start()
    for rnd in range(1, args.rounds + 1):
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        t0 = time.perf_counter()
        await poll_round(pollers, args.in_flight, kept)
        wall = time.perf_counter() - t0
        gc.collect()
        after, peak = tracemalloc.get_traced_memory()
        print(
            f"round {rnd}: held before {before / 2**20:6.2f} MiB, peak {peak / 2**20:6.2f} MiB"
            f" (+{(peak - before) / 2**20:5.2f} above before), held after {after / 2**20:6.2f}"
            f" MiB; {wall:.1f} s under tracemalloc"
        )
    if args.top:
        stats = tracemalloc.take_snapshot().statistics("lineno")
        for stat in stats[: args.top]:
            print(f"  {stat.size / 2**20:6.2f} MiB {stat.count:8d} blocks  {stat.traceback[0]}")
    rows = sum(len(s.interfaces) for s in kept.values())
    print(f"{len(kept)} devices, {rows} interface rows kept, {args.in_flight} in flight")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=500)
    parser.add_argument("--ports", type=int, default=51)
    parser.add_argument("--in-flight", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--top", type=int, default=0, help="print the N biggest sites held")
    parser.add_argument("--cpu", action="store_true", help="time the rounds, no tracemalloc")
    asyncio.run(main(parser.parse_args()))
