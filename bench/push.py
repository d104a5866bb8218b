"""Push benchmark: netwarden's remote-write push against Prometheus' agent mode.

    .venv/bin/python -m bench.push [--devices 20] [--ports 48] [--polls 60] [--json FILE]

Measures, on loopback only (no lab needed): the spool's bytes per sample and append CPU for
SQLite rows and for segment files of length+CRC frames (the choice of format); CPU per 1,000
samples of each stage (take, encode + spool, send); samples/s one agent pushes; the catch-up
after a 1 h outage of a site of 20 devices x 48 ports polled every 60 s, at the default
backlog rate and unbounded; and the same outage through Prometheus' agent mode scraping the
agent's /metrics and remote-writing, without and with a restart during the outage. Prints the
ratios. See bench/README.md ("Push") for what is measured and how.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cramjam
import httpx

from bench.procstat import cpu_seconds
from bench.push_site import MetricsPage, Site
from netwarden.agent.push.lanes import Lanes, LaneSettings
from netwarden.agent.push.samples import Block, BlockMaker, of_poll
from netwarden.agent.push.sender import Answer
from netwarden.agent.push.spool import Spool
from netwarden.agent.push.spool_async import AsyncSpool
from netwarden.agent.push.status import PushStatus
from netwarden.agent.push.transport import HttpReceiver
from netwarden.inventory.model import PushTarget

AGENT, SITE = "agent-bench", "so-tc"
POLL = 60.0  # s, the simulated site's interval


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Prometheus:
    """A Prometheus of ours on 127.0.0.1: a remote-write receiver (out-of-order window 72 h,
    the spool's bound), or an agent-mode scraper that remote-writes (``agent_of``)."""

    def __init__(self, folder: Path, port: int, *, scrape_port: int | None = None,
                 write_to: str | None = None) -> None:  # fmt: skip
        self.folder, self.port = folder, port
        self.url = f"http://127.0.0.1:{port}"
        folder.mkdir(parents=True, exist_ok=True)
        config: dict[str, Any] = {"global": {"scrape_interval": "1s", "scrape_timeout": "1s"}}
        argv = ["prometheus", f"--config.file={folder / 'prometheus.yml'}",
                f"--web.listen-address=127.0.0.1:{port}"]  # fmt: skip
        if scrape_port is None:
            config["storage"] = {"tsdb": {"out_of_order_time_window": "72h"}}
            argv += [f"--storage.tsdb.path={folder / 'data'}", "--web.enable-remote-write-receiver"]
        else:
            config["scrape_configs"] = [{
                "job_name": "netwarden-agents", "honor_labels": True,
                "static_configs": [{"targets": [f"127.0.0.1:{scrape_port}"],
                                    "labels": {"agent": AGENT, "site": SITE}}],
            }]  # fmt: skip
            config["remote_write"] = [{"url": write_to}]  # 2.42's defaults for its queue
            argv += ["--enable-feature=agent", f"--storage.agent.path={folder / 'wal'}"]
        (folder / "prometheus.yml").write_text(json.dumps(config))
        self.argv = argv
        self.proc: subprocess.Popen[bytes] | None = None
        self.cpu = 0.0  # CPU of every process this object ran (restarts included)
        self.start()

    def start(self) -> None:
        log = (self.folder / "prometheus.log").open("ab")
        self.proc = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/-/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert self.proc.poll() is None, (self.folder / "prometheus.log").read_text()[-2000:]
            time.sleep(0.2)
        raise RuntimeError("prometheus did not become ready in 60 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.cpu += cpu_seconds(self.proc.pid)
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)

    def samples(self, window: str, skip: tuple[str, ...] = ()) -> int:
        """Samples of the bench agent stored over ``window``, summed name by name (one query
        over every name would put series that differ only by name in one vector)."""
        resp = httpx.get(f"{self.url}/api/v1/label/__name__/values",
                         params={"match[]": f'{{agent="{AGENT}"}}'}, timeout=60)  # fmt: skip
        resp.raise_for_status()
        names = [n for n in resp.json()["data"] if n not in skip]
        return sum(
            int(self.query(f'sum(count_over_time({name}{{agent="{AGENT}"}}[{window}]))'))
            for name in names
        )

    def query(self, promql: str) -> float:
        resp = httpx.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=120)
        resp.raise_for_status()
        result = resp.json()["data"]["result"]
        return float(result[0]["value"][1]) if result else 0.0


class NullReceiver:
    """Acknowledges everything unread: what the agent alone can push."""

    async def post(self, body: bytes) -> Answer:
        return Answer(204)

    async def close(self) -> None:
        pass


# --- the spool's format -------------------------------------------------------------------


def hour_of_blocks(site: Site, polls: int, maker: BlockMaker, now: float) -> list[Block]:
    """``polls`` polls of every device, 60 s apart, ending now: the spool of an outage."""
    blocks = []
    for k in range(polls):
        at = now - (polls - k) * POLL
        for snapshot, counters in site.polls(at):
            blocks.append(maker.block(of_poll(snapshot, counters)))
    return blocks


def spool_formats(blocks: list[Block], folder: Path) -> dict[str, Any]:
    samples = sum(b.samples for b in blocks)
    sqlite_dir = folder / "sqlite"
    spool = Spool(sqlite_dir, max_bytes=2**40, max_age=10**9)
    cpu, wall = time.process_time(), time.perf_counter()
    for block in blocks:  # one append (one transaction, one fsync) per poll, as the agent
        spool.append([block])
    sqlite_cpu, sqlite_wall = time.process_time() - cpu, time.perf_counter() - wall
    stored = spool.stats().bytes
    spool.close()  # checkpoints the WAL into the database file
    sqlite_file = sum(p.stat().st_size for p in sqlite_dir.iterdir())
    segment = folder / "segment-000001"
    cpu, wall = time.process_time(), time.perf_counter()
    fd = os.open(segment, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for block in blocks:
            body = bytes(cramjam.zstd.compress(block.body, level=3))
            os.write(fd, struct.pack("<II", len(body), zlib.crc32(body)) + body)
            os.fsync(fd)
    finally:
        os.close(fd)
    seg_cpu, seg_wall = time.process_time() - cpu, time.perf_counter() - wall
    raw = sum(len(b.body) for b in blocks)
    return {
        "samples": samples,
        "raw_request_bytes_per_sample": raw / samples,
        "snappy_wire_bytes_per_sample": sum(
            len(cramjam.snappy.compress_raw(b.body)) for b in blocks
        )
        / samples,
        "sqlite_bytes_per_sample": sqlite_file / samples,
        "sqlite_stored_bytes_per_sample": stored / samples,
        "sqlite_append_cpu_ms_per_1000": sqlite_cpu / samples * 1e6,
        "sqlite_append_wall_ms_per_block": sqlite_wall / len(blocks) * 1000,
        "segment_bytes_per_sample": segment.stat().st_size / samples,
        "segment_append_cpu_ms_per_1000": seg_cpu / samples * 1e6,
        "segment_append_wall_ms_per_block": seg_wall / len(blocks) * 1000,
    }


# --- CPU per stage, and the catch-up --------------------------------------------------------


def stage_cpu(site: Site, polls: int) -> dict[str, float]:
    """CPU per 1,000 samples of taking a poll's series (on the event loop) and encoding them
    (on the spool's thread), without disk or network."""
    maker = BlockMaker(AGENT, SITE)
    now, samples = time.time(), 0
    for snapshot, counters in site.polls(now - POLL):  # warm: labels serialized once per series
        maker.block(of_poll(snapshot, counters))
    taken = []
    cpu = time.process_time()
    for k in range(polls):
        taken += [of_poll(s, c) for s, c in site.polls(now + k * POLL)]
    take_cpu = time.process_time() - cpu
    cpu = time.process_time()
    for item in taken:
        samples += maker.block(item).samples
    encode_cpu = time.process_time() - cpu
    return {"take_ms_per_1000": take_cpu / samples * 1e6,
            "encode_ms_per_1000": encode_cpu / samples * 1e6}  # fmt: skip


async def _drain(spool: AsyncSpool, post: Any, rate: float) -> tuple[float, float, PushStatus]:
    status = PushStatus()
    lanes = Lanes(spool, post, status, LaneSettings(batch=5000, backlog_rate=rate))
    stop = asyncio.Event()
    cpu, wall = time.process_time(), time.perf_counter()
    task = asyncio.create_task(lanes.run(stop))
    for _ in range(36_000):  # 30 minutes at most
        if not spool.stats().blocks:
            break
        await asyncio.sleep(0.05)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    stop.set()
    await task
    return wall, cpu, status


async def catch_up(
    blocks: list[Block], folder: Path, rate: float, receiver: str | None
) -> dict[str, Any]:
    """Spool the hour, then drain it to ``receiver`` (None: the in-memory fake, to see the
    agent's own ceiling) at ``rate`` samples/s."""
    spool = Spool(folder, max_bytes=2**40, max_age=10**9)
    spool.append(blocks)
    aspool = AsyncSpool(spool, BlockMaker(AGENT, SITE))
    samples = spool.stats().samples
    if receiver is None:
        null = NullReceiver()
        post, close = null.post, null.close
    else:
        http = HttpReceiver(PushTarget(url=receiver))
        post, close = http.post, http.close
    try:
        wall, cpu, status = await _drain(aspool, post, rate)
    finally:
        await close()
        await aspool.close()
    return {"samples": samples, "sent": status.sent, "wall_s": wall,
            "samples_per_s": samples / wall, "agent_cpu_ms_per_1000": cpu / samples * 1e6,
            "requests": sum(status.requests.values())}  # fmt: skip


# --- Prometheus' agent mode -----------------------------------------------------------------


@dataclass
class AgentMode:
    scrapes: int
    restart: bool
    series: int = 0
    scraped: int = 0
    delivered: int = 0
    catch_up_s: float = 0.0
    agent_cpu_s: float = 0.0
    wal_bytes: int = 0  # its WAL at the end of the outage: what it holds instead of a spool
    notes: list[str] = field(default_factory=list)


def agent_mode(site: Site, folder: Path, scrapes: int, *, restart: bool) -> AgentMode:
    """Agent mode scrapes the agent's page every second while its receiver is down (the
    outage: ``scrapes`` scrapes stand for an hour of 60 s polls, the same samples), is
    restarted half way if ``restart``, then the receiver comes up: how much arrives, how
    fast."""
    result = AgentMode(scrapes, restart)
    page = MetricsPage(site)
    receiver_port = free_port()
    write_url = f"http://127.0.0.1:{receiver_port}/api/v1/write"
    agent = Prometheus(folder / "agent", free_port(), scrape_port=page.port, write_to=write_url)
    receiver: Prometheus | None = None
    try:
        started = time.time()
        while page.scrapes < scrapes:
            if restart and not result.notes and page.scrapes >= scrapes // 2:
                agent.stop()
                agent.start()
                result.notes.append(f"restarted after {page.scrapes} scrapes")
            time.sleep(0.2)
        # The outage's samples are what it holds: the page goes (its next scrapes fail and
        # mark the series stale, which adds no sample), then the receiver comes up.
        result.scraped, result.series = page.scrapes, page.series
        page.close()
        wal = folder / "agent" / "wal"
        result.wal_bytes = sum(p.stat().st_size for p in wal.rglob("*") if p.is_file())
        receiver = Prometheus(folder / "receiver", receiver_port)
        up = time.perf_counter()
        skip = ("up", "scrape_duration_seconds", "scrape_samples_scraped",
                "scrape_samples_post_metric_relabeling", "scrape_series_added")  # fmt: skip
        last, still = -1, time.monotonic()
        while time.monotonic() - still < 20 and time.perf_counter() - up < 600:
            got = receiver.samples("2h", skip)
            if got != last:
                last, still = got, time.monotonic()
                result.catch_up_s = time.perf_counter() - up
            time.sleep(1)
        result.delivered = last
        result.agent_cpu_s = agent.cpu + (cpu_seconds(agent.proc.pid) if agent.proc else 0)
        result.notes.append(f"outage {time.time() - started:.0f} s wall")
    finally:
        agent.stop()
        if receiver is not None:
            receiver.stop()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.push", description=__doc__)
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--ports", type=int, default=48)
    parser.add_argument("--polls", type=int, default=60, help="the outage, in 60 s polls")
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument("--skip-agent-mode", action="store_true")
    parser.add_argument("--only-agent-mode", action="store_true")
    args = parser.parse_args(argv)
    site = Site(args.devices, args.ports)
    figures: dict[str, Any] = {"load_before": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="nw-bench-push-") as tmp:
        folder = Path(tmp)
        if not args.only_agent_mode:
            maker = BlockMaker(AGENT, SITE)
            blocks = hour_of_blocks(site, args.polls, maker, time.time())
            figures["spool"] = spool_formats(blocks, folder / "formats")
            figures["stages"] = stage_cpu(Site(args.devices, args.ports), 5)
            figures["ceiling"] = asyncio.run(catch_up(blocks, folder / "c0", 1e9, None))
            receiver = Prometheus(folder / "receiver", free_port())
            try:
                figures["catch_up_default"] = asyncio.run(
                    catch_up(blocks, folder / "c1", 20_000.0, f"{receiver.url}/api/v1/write")
                )
                figures["receiver_total"] = receiver.samples("3h")
            finally:
                receiver.stop()
            receiver = Prometheus(folder / "receiver2", free_port())
            try:
                figures["catch_up_unbounded"] = asyncio.run(
                    catch_up(blocks, folder / "c2", 1e9, f"{receiver.url}/api/v1/write")
                )
                figures["receiver_cpu_s"] = cpu_seconds(receiver.proc.pid) if receiver.proc else 0
            finally:
                receiver.stop()
        if not args.skip_agent_mode:
            for restart in (False, True):
                mode = agent_mode(site, folder / f"agent-mode-{restart}", args.polls,
                                  restart=restart)  # fmt: skip
                figures[f"agent_mode{'_restart' if restart else ''}"] = asdict(mode)
    figures["load_after"] = os.getloadavg()
    print(report(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


def report(f: dict[str, Any]) -> str:
    lines = [f"load average before: {f['load_before'][0]:.2f}"]
    if "spool" in f:
        lines += _netwarden_lines(f)
    return "\n".join(lines + _agent_mode_lines(f))


def _netwarden_lines(f: dict[str, Any]) -> list[str]:
    s, st = f["spool"], f["stages"]
    sq = (
        s["sqlite_bytes_per_sample"],
        s["sqlite_append_cpu_ms_per_1000"],
        s["sqlite_append_wall_ms_per_block"],
    )
    seg = (s["segment_bytes_per_sample"], s["segment_append_cpu_ms_per_1000"],
           s["segment_append_wall_ms_per_block"])  # fmt: skip
    lines = [
        f"site: {s['samples']} samples in the outage's spool",
        "spool format        bytes/sample  append CPU ms/1000 samples  append wall ms/block",
        f"  SQLite rows       {sq[0]:12.2f}  {sq[1]:26.2f}  {sq[2]:20.2f}",
        f"  segment frames    {seg[0]:12.2f}  {seg[1]:26.2f}  {seg[2]:20.2f}",
        f"  (request {s['raw_request_bytes_per_sample']:.1f} B/sample raw, "
        f"{s['snappy_wire_bytes_per_sample']:.1f} B/sample snappy on the wire)",
        f"CPU ms per 1,000 samples: take {st['take_ms_per_1000']:.2f}, encode "
        f"{st['encode_ms_per_1000']:.2f}, spool append {s['sqlite_append_cpu_ms_per_1000']:.2f}",
    ]
    lines.append(
        f"Prometheus receiver holds {f.get('receiver_total', 0)} samples of the "
        "rate-bounded catch-up"
    )
    for key, what in (("ceiling", "unbounded, a receiver that acknowledges unread"),
                      ("catch_up_default", "backlog_rate 20,000/s, Prometheus receiver"),
                      ("catch_up_unbounded", "unbounded, Prometheus receiver")):  # fmt: skip
        c = f[key]
        lines.append(f"catch-up ({what}): {c['wall_s']:.1f} s, {c['samples_per_s']:.0f} "
                     f"samples/s, agent CPU {c['agent_cpu_ms_per_1000']:.2f} ms/1000, "
                     f"{c['sent']}/{c['samples']} sent in {c['requests']} requests")  # fmt: skip
    return lines


def _agent_mode_lines(f: dict[str, Any]) -> list[str]:
    lines = []
    for key in ("agent_mode", "agent_mode_restart"):
        if key in f:
            m = f[key]
            expected = m["series"] * m["scraped"]
            share = 100 * m["delivered"] / max(1, expected)
            per_1000 = 1e6 * m["agent_cpu_s"] / max(1, m["delivered"])  # ms per 1,000
            lines.append(
                f"{key}: {m['delivered']}/{expected} samples delivered ({share:.1f} %), "
                f"catch-up {m['catch_up_s']:.1f} s, CPU {m['agent_cpu_s']:.1f} s "
                f"({per_1000:.2f} ms/1000 delivered), WAL "
                f"{m['wal_bytes'] / max(1, expected):.2f} B/sample; {'; '.join(m['notes'])}"
            )
    return lines


if __name__ == "__main__":
    sys.exit(main())
