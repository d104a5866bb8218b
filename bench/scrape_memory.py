"""What a /metrics scrape costs the agent in memory and CPU, in-process on fake devices (no lab).

500 fake 51-port devices (tests/unit/agent/fakes.py) are polled by the real DevicePoller. Then:

* ``arenas``: ``--rounds`` rounds of polls only, then as many rounds where a scrape renders in
  a thread while the polls run on the event loop (as in ``agent run``). RSS and pymalloc's
  arenas (``sys._debugmallocstats``) after each phase: the growth of the second phase is what
  the scrapes add (fragmentation: their temporaries among the polls' results). ``--no-scrape``
  runs the second phase without scrapes, as a control.
* ``trace``: tracemalloc's peak above the steady state during one scrape.
* ``cpu``: process CPU of one scrape (render of every chunk), the mean of ``--repeat``.

Run from the checkout: ``python -m bench.scrape_memory arenas`` (one mode per process: the
figures of one must not carry the heap of another).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import re
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Sequence

from prometheus_client import CollectorRegistry

from bench.procstat import status_kib
from netwarden.agent.metrics import SnapshotCollector, iter_render
from netwarden.agent.polling.poller import DevicePoller
from netwarden.agent.polling.snapshot import DeviceCounters, DeviceInfo, DeviceSnapshot
from tests.unit.agent.fakes import FakeIf, make_device

_ARENAS = re.compile(rb"# arenas allocated current\s*=\s*([\d,]+)")


def _rss_kib() -> int:
    return status_kib(os.getpid(), "VmRSS")


def _arenas() -> int:
    """pymalloc's arenas in use (it prints its statistics on the C stderr)."""
    with tempfile.TemporaryFile() as out:
        saved = os.dup(2)
        try:
            sys.stderr.flush()
            os.dup2(out.fileno(), 2)
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        found = _ARENAS.search(out.read())
    if found is None:
        raise RuntimeError("no arena count in _debugmallocstats")
    return int(found[1].replace(b",", b""))


class Fleet:
    """Pollers of ``devices`` devices that all answer from one fake MIB (as the lab's scale
    devices are one snmpd): the process's heap is then the agent's, not the fakes'."""

    def __init__(self, devices: int, ports: int) -> None:
        self.session = make_device([FakeIf(i, alias=f"uplink {i}") for i in range(1, ports + 1)])
        self.pollers = [
            DevicePoller(DeviceInfo(f"sw-{d:04d}", f"site-{d // 20}", "switch"), self.session)
            for d in range(devices)
        ]
        self.latest: dict[str, tuple[DeviceSnapshot, DeviceCounters]] = {}

    def snapshots(self) -> Sequence[tuple[DeviceSnapshot, DeviceCounters]]:
        return list(self.latest.values())

    async def poll_all(self, in_flight: int = 50) -> None:
        limit = asyncio.Semaphore(in_flight)

        async def one(poller: DevicePoller) -> None:
            async with limit:
                snapshot = await poller.poll(timeout=30)
                self.latest[poller.info.device] = (snapshot, poller.counters)
                await asyncio.sleep(0)  # let another poll's results interleave

        await asyncio.gather(*(one(p) for p in self.pollers))
        self.session.requests.clear()  # the fake's log of requests, not the agent's memory


def _scrape(registry: CollectorRegistry) -> int:
    size = 0
    for chunk in iter_render(registry):
        size += len(chunk)
    return size


def _registry(fleet: Fleet) -> CollectorRegistry:
    registry = CollectorRegistry()
    SnapshotCollector(fleet.snapshots, registry=registry)
    return registry


async def _arenas_mode(
    fleet: Fleet, rounds: int, *, scrape: bool, warm: bool, verbose: bool
) -> None:
    registry = _registry(fleet)
    for _ in range(rounds):
        await fleet.poll_all()
    if warm:
        _scrape(registry)  # whatever a scrape keeps is built here, alone
    gc.collect()
    before = (_rss_kib(), _arenas())
    loop = asyncio.get_running_loop()
    for _ in range(rounds):
        # The scrape renders in a thread while the polls' results arrive on the loop.
        render = loop.run_in_executor(None, _scrape, registry) if scrape else None
        await fleet.poll_all()
        if render is not None:
            await render
        if verbose:
            print(f"  round: RSS {_rss_kib() / 1024:.1f} MiB, arenas {_arenas()}")
    gc.collect()
    after = (_rss_kib(), _arenas())
    print(
        f"{'polls+scrapes' if scrape else 'polls only'}, {rounds} rounds after {rounds} of "
        f"polls: RSS {before[0] / 1024:.1f} -> {after[0] / 1024:.1f} MiB "
        f"(+{(after[0] - before[0]) / 1024:.1f}), arenas {before[1]} -> {after[1]} "
        f"(+{after[1] - before[1]})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=("arenas", "trace", "cpu"))
    parser.add_argument("--devices", type=int, default=500)
    parser.add_argument("--ports", type=int, default=51)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-scrape", action="store_true")
    parser.add_argument("--warm", action="store_true", help="one scrape alone before measuring")
    parser.add_argument("--verbose", action="store_true", help="RSS and arenas every round")
    args = parser.parse_args()
    fleet = Fleet(args.devices, args.ports)
    if args.mode == "arenas":
        asyncio.run(
            _arenas_mode(
                fleet,
                args.rounds,
                scrape=not args.no_scrape,
                warm=args.warm,
                verbose=args.verbose,
            )
        )
        return
    asyncio.run(fleet.poll_all())
    registry = _registry(fleet)
    _scrape(registry)  # a first scrape builds whatever a scrape keeps (caches)
    gc.collect()
    if args.mode == "trace":
        tracemalloc.start()
        tracemalloc.reset_peak()
        steady = tracemalloc.get_traced_memory()[0]
        size = _scrape(registry)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"one scrape ({size / 1e6:.1f} MB page): peak {(peak - steady) / 2**20:.2f} MiB")
        return
    times = []
    for _ in range(args.repeat):
        start = time.process_time()
        size = _scrape(registry)
        times.append(time.process_time() - start)
    print(
        f"scrape CPU ({size / 1e6:.1f} MB page): mean {sum(times) / len(times):.3f} s "
        f"of {', '.join(f'{t:.3f}' for t in times)}"
    )


if __name__ == "__main__":
    main()
