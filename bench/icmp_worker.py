"""The netwarden side of the ICMP benchmark, in its own process: one IcmpPinger pings every
target of the job read from stdin (JSON) concurrently and prints figures as JSON, including its
own CPU time for the measured part (imports and start-up excluded)."""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time

from bench.targets import lab_address
from netwarden.agent.probes.icmp import LOSS, SENT, IcmpPinger


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _one(pinger: IcmpPinger, host: str, delay: float, job: dict[str, float]) -> float:
    await asyncio.sleep(delay)
    result = await pinger.ping(
        host, count=int(job["count"]), spacing=job["spacing"], timeout=job["timeout"]
    )
    return result.values[SENT] * (1.0 - result.values[LOSS])


async def run(job: dict[str, float], targets: list[str]) -> dict[str, float]:
    pinger = IcmpPinger()
    pinger.open()
    stagger = job["stagger"] / max(len(targets), 1)  # spread the starts: a smooth packet rate
    cpu, start = _cpu(), time.monotonic()
    replies = await asyncio.gather(
        *(_one(pinger, h, i * stagger, job) for i, h in enumerate(targets))
    )
    wall, cpu = time.monotonic() - start, _cpu() - cpu
    await pinger.close()
    return {"wall": wall, "cpu": cpu, "replies": sum(replies), "sent": job["count"] * len(targets)}


def main() -> None:
    job = json.loads(sys.stdin.read())
    targets = [lab_address(t) for t in job.pop("targets")]
    print(json.dumps(asyncio.run(run(job, targets))))


if __name__ == "__main__":
    main()
