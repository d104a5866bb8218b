"""Issue 19 on the lab: the NAT'd agency's agent pushes (remote write) to a central receiver
that cannot reach it, through a 20 s cut of its WAN link and a kill -9 of the agent in the
middle of it. Every poll of the outage reaches the receiver, once, with the values the agent
polled; a pull agent in another agency, cut at the same time, shows the gap pull leaves.

Receivers: Prometheus 2.42 (its remote-write receiver on, and scraping the pull agent) and
VictoriaMetrics, in the root namespace on the lab-side address the core routes to; one
scenario each (about 40 s). Agents are standalone (``agent run -i INVENTORY --agent ID``) in
their agency's namespace, polling every 2 s.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.lab.conftest import Lab
from tests.lab.fleet_lab import NETWARDEN, in_ns, lab_fault, stop_process, wait_for
from tests.lab.receivers import PrometheusReceiver, Receiver, VictoriaMetricsReceiver

HOST = "198.19.255.1"  # the root namespace's lab-side address: the core routes to it
POLL = 2.0  # s, the agents' SNMP interval
# s: 10 polls; the kill -9 at half way, and the drain waits for polls of the restarted agent
# however long it took to start; the pull agent's gap (> OUTAGE - 10 s) stays far above its
# 1 s scrapes. 60 s before: nothing asserted needs more.
OUTAGE = 20.0
# s between the test's looks at the push agent's /metrics: each poll's values stay there for
# POLL s, so every poll is seen at least twice (0.3 s before: a curl and a parse each time).
LOOK = 0.5
PUSH_AGENT, PUSH_NS, PUSH_LINK = "agent-p-phan-dinh-phung", "nwl-a3", "tsl-p-phan-dinh-phung"
PUSH_DEVICE, PUSH_SITE = "sw-p-phan-dinh-phung-core", "p-phan-dinh-phung"
PULL_AGENT, PULL_NS, PULL_LINK = "agent-so-khcn", "nwl-a1", "tsl-so-khcn"
PULL_DEVICE, PULL_LISTEN = "sw-so-khcn-core", "198.18.1.2:19431"
PUSH_LISTEN = "127.0.0.1:19430"  # inside the agency's namespace: only the test reads it
SERIES = ("sysUpTime", "netwarden_snmp_last_success_timestamp_seconds", "netwarden_device_up")
SPOOL_DEPTH = "netwarden_push_spool_samples"

pytestmark = pytest.mark.skipif(
    os.environ.get("NW_LAB_REUSE") == "1", reason="cuts WAN links: runs only on its own lab"
)


def _inventory(lab: Lab, folder: Path, receiver_url: str) -> Path:
    """The lab's inventory with the two agencies polled every 2 s (no SSH: not the subject),
    and the NAT'd agency's agent pushing to the receiver."""
    document = yaml.safe_load(Path(lab.state.inventory).read_text(encoding="utf-8"))
    document = copy.deepcopy(document)
    for device in document["devices"]:
        if device["site"] in (PUSH_SITE, "so-khcn"):
            device.pop("ssh", None)
            if "snmp" in device:
                device["snmp"]["interval"] = f"{POLL:g}s"
    for agent in document["agents"]:
        if agent["id"] == PUSH_AGENT:
            assert agent["metrics"] == "push"  # the lab's NAT'd agency pushes
            agent["push"] = {"url": receiver_url, "interval": "5s", "timeout": "10s"}
    path = folder / "inventory.yaml"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@dataclass
class Agent:
    """A standalone agent process in a namespace, restartable (and killable) on its spool."""

    agent: str
    ns: str
    listen: str
    inventory: Path
    folder: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> None:
        self.starts += 1
        argv = [*NETWARDEN, "agent", "run", "-i", str(self.inventory), "--agent", self.agent,
                "--listen", self.listen, "--spool-dir", str(self.folder / "spool"),
                "--config-store", str(self.folder / "configs")]  # fmt: skip
        with (self.folder / f"{self.agent}-{self.starts}.log").open("wb") as out:
            self.proc = subprocess.Popen(in_ns(self.ns, argv), stdout=out,
                                         stderr=subprocess.STDOUT)  # fmt: skip

    def log(self) -> str:
        return (self.folder / f"{self.agent}-{self.starts}.log").read_text(errors="replace")

    def metrics(self) -> dict[str, dict[str, float]]:
        """One scrape of /metrics from inside the namespace: name -> labels JSON -> value, of
        SERIES and the spool depth only (the test parses nothing else, twice a second)."""
        done = subprocess.run(
            in_ns(self.ns, ["curl", "-s", "-m", "3", f"http://{self.listen}/metrics"]),
            capture_output=True, text=True, timeout=10, check=False,
        )  # fmt: skip
        out: dict[str, dict[str, float]] = {}
        if done.returncode != 0 or not done.stdout:
            return out
        for family in text_string_to_metric_families(_wanted_lines(done.stdout)):
            for sample in family.samples:
                key = json.dumps(sample.labels, sort_keys=True)
                out.setdefault(sample.name, {})[key] = float(sample.value)
        return out

    def kill(self) -> None:
        assert self.proc is not None
        stop_process(self.proc, signal.SIGKILL)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)


def _wanted_lines(page: str) -> str:
    """The sample lines of SERIES and SPOOL_DEPTH from an exposition page (as untyped)."""
    prefixes = tuple(f"{name}{end}" for name in (*SERIES, SPOOL_DEPTH) for end in ("{", " "))
    return "".join(line + "\n" for line in page.splitlines() if line.startswith(prefixes))


def _device_value(scrape: dict[str, dict[str, float]], name: str, device: str) -> float | None:
    for labels, value in scrape.get(name, {}).items():
        if json.loads(labels).get("device") == device:
            return value
    return None


@dataclass
class Seen:
    """What the test saw on the push agent's /metrics: per poll (keyed by its last-success
    time), the values of SERIES."""

    polls: dict[float, dict[str, float]] = field(default_factory=dict)

    def note(self, scrape: dict[str, dict[str, float]]) -> None:
        last = _device_value(scrape, SERIES[1], PUSH_DEVICE)
        if last is None:
            return
        values = {name: _device_value(scrape, name, PUSH_DEVICE) for name in SERIES}
        if last not in self.polls:
            self.polls[last] = {k: v for k, v in values.items() if v is not None}
            self.last_new = time.time()

    last_new: float = 0.0

    def quiet(self, seconds: float) -> bool:
        """True when the last poll seen completed at least ``seconds`` ago."""
        return time.time() - self.last_new >= seconds


def cut(link: str, *, down: bool) -> None:
    lab_fault(link, down=down)


@dataclass
class Outcome:
    push: dict[str, list[tuple[int, float]]]  # series name -> raw samples in the window
    pull: list[tuple[int, float]]
    seen: Seen
    window: tuple[float, float]
    down_at: float
    up_at: float
    killed_at: float


def _outage(receiver: Receiver, push: Agent, pull: Agent | None) -> Outcome:
    """Both agents running; cut both agencies' WAN for OUTAGE s, kill -9 and restart the
    push agent half way; restore; wait for the spool to drain; read the receiver. The first
    waits are hang bounds: at a load of 26-42 an agent took 45 s and more to start."""
    selector = f'{{device="{PUSH_DEVICE}",agent="{PUSH_AGENT}"}}'
    wait_for("the push agent's samples at the receiver",
             lambda: receiver.raw(f"sysUpTime{selector}", time.time() - 30, time.time()), 120,
             describe=lambda: push.log()[-1500:])  # fmt: skip
    if pull is not None:
        wait_for("the pull agent scraped by the receiver",
                 lambda: receiver.raw(f'sysUpTime{{device="{PULL_DEVICE}"}}', time.time() - 5,
                                      time.time()), 120)  # fmt: skip
    seen = Seen()
    start = time.time()
    while time.time() < start + 3 * POLL:  # a few polls before the cut, as a reference
        seen.note(push.metrics())
        time.sleep(LOOK)
    links = [PUSH_LINK] + ([PULL_LINK] if pull is not None else [])
    down_at, killed_at = _cut_with_kill(push, links, seen)
    up_at = time.time()

    def drained() -> bool:
        scrape = push.metrics()
        seen.note(scrape)
        depth = scrape.get(SPOOL_DEPTH, {})
        # ... and the restarted agent polled 4 times, so that the window judged below (up to
        # 2 polls ago) holds polls of both agents whatever its start-up took under load.
        restarted = sum(poll > killed_at for poll in seen.polls) >= 4
        return bool(depth) and max(depth.values()) == 0 and restarted

    wait_for("the push spool drained after the outage", drained, 90,
             describe=lambda: push.log()[-1500:])  # fmt: skip
    # The last polls may still be on their way: judge the window up to a little before.
    window = (down_at - 2 * POLL, time.time() - 2 * POLL)
    got = _stored(receiver, selector, window, max(p for p in seen.polls if p < window[1]))
    pull_got = _pull_samples(receiver, window[0], up_at) if pull is not None else []
    return Outcome(got, pull_got, seen, window, down_at, up_at, killed_at)


def _cut_with_kill(push: Agent, links: list[str], seen: Seen) -> tuple[float, float]:
    """Cut ``links`` for OUTAGE s; kill -9 and restart the push agent half way. Returns when
    the cut began and when the agent was killed."""
    down_at = time.time()
    for link in links:
        cut(link, down=True)
    killed_at = 0.0
    try:
        while time.time() < down_at + OUTAGE:
            seen.note(push.metrics())
            # kill -9 half way, mid-interval: a poll completed a few milliseconds before would
            # not be on disk yet (the window between a poll and its fsync), one 0.5 s before is
            if not killed_at and time.time() > down_at + OUTAGE / 2 and seen.quiet(0.5):
                push.kill()
                killed_at = time.time()
                push.start()
            time.sleep(LOOK)
    finally:
        for link in links:
            cut(link, down=False)
    return down_at, killed_at


def _stored(
    receiver: Receiver, selector: str, window: tuple[float, float], last_seen: float
) -> dict[str, list[tuple[int, float]]]:
    """SERIES of the push device in ``window``, read until the last poll the test saw is
    there and two reads agree: VictoriaMetrics makes what it ingested searchable within a
    second or two."""
    before: list[int] = []

    def read() -> dict[str, list[tuple[int, float]]] | None:
        got = {name: _only(receiver.raw(f"{name}{selector}", *window)) for name in SERIES}
        counts = [len(samples) for samples in got.values()]
        stamps = [{t for t, _ in samples} for samples in got.values()]
        ready = all(math.floor(last_seen * 1000) in s for s in stamps) and counts == before
        before[:] = counts
        return got if ready else None

    return wait_for("the receiver holding every poll it was sent", read, 30, every=2.0)


def _pull_samples(receiver: Receiver, start: float, up_at: float) -> list[tuple[int, float]]:
    """The pull agent's sysUpTime from ``start``, once its scrapes resumed after the cut."""
    selector = f'sysUpTime{{device="{PULL_DEVICE}"}}'

    def scraped_again() -> list[tuple[int, float]] | None:
        got = _only(receiver.raw(selector, start, time.time()))
        return got if got and got[-1][0] > up_at * 1000 else None

    return wait_for("the pull agent scraped again after the outage", scraped_again, 30)


def _only(by_series: dict[str, list[tuple[int, float]]]) -> list[tuple[int, float]]:
    assert len(by_series) <= 1, f"one series expected: {list(by_series)}"
    return next(iter(by_series.values()), [])


def _relative(stamps: list[int], outcome: Outcome) -> list[float]:
    """Timestamps as seconds from the cut, for failure messages."""
    return [round(t / 1000 - outcome.down_at, 1) for t in stamps]


def _gaps(samples: list[tuple[int, float]]) -> list[float]:
    return [(b[0] - a[0]) / 1000 for a, b in itertools.pairwise(samples)]


def _check_every_poll_once(outcome: Outcome, receiver: str) -> None:
    stamps = [t for t, _ in outcome.push["sysUpTime"]]
    assert stamps == sorted(set(stamps)), f"{receiver}: a sample twice or out of order"
    # Every series of the device has a sample at each poll, and only then.
    for name in SERIES[1:]:
        other = [t for t, _ in outcome.push[name]]
        assert other == stamps, (
            f"{receiver}: {name}: {_relative(other, outcome)} vs sysUpTime "
            f"{_relative(stamps, outcome)}"
        )
    # Polls are POLL apart on a fixed phase, except across the kill -9: the agent was not
    # running, so it polled nothing, and the restarted one has a new phase.
    samples = outcome.push["sysUpTime"]
    killed_ms = outcome.killed_at * 1000
    steady = [(b[0] - a[0]) / 1000 for a, b in itertools.pairwise(samples)
              if not a[0] < killed_ms <= b[0]]  # fmt: skip
    restart = [(b[0] - a[0]) / 1000 for a, b in itertools.pairwise(samples)
               if a[0] < killed_ms <= b[0]]  # fmt: skip
    assert all(POLL - 0.6 < g < POLL + 0.6 for g in steady), (receiver, steady)
    assert len(restart) == 1 and restart[0] < 12, (receiver, restart)
    polls_expected = (samples[-1][0] - samples[0][0]) / 1000 - restart[0]
    assert abs(len(stamps) - 1 - polls_expected / POLL) <= 2, (receiver, len(stamps))
    # Values equal what the agent polled: every poll the test saw on /metrics is there, at
    # the poll's time (its last-success time, in ms), with the values /metrics showed.
    at_receiver = {name: dict(outcome.push[name]) for name in SERIES}
    inside = [p for p in outcome.seen.polls if outcome.window[0] + 1 < p < outcome.window[1]]
    # The test saw at least 80 % of the polls the agent made in the outage: it made none while
    # killed and restarting (restart[0] s: up to 10 of a 20 s outage on a loaded machine).
    polled_in_outage = (OUTAGE - restart[0]) / POLL
    assert len(inside) >= polled_in_outage * 0.8, f"the test saw too few polls: {len(inside)}"
    for poll_time in inside:
        stamp = math.floor(poll_time * 1000)
        assert stamp in at_receiver["sysUpTime"], f"{receiver}: the poll at {poll_time} is missing"
        for name, value in outcome.seen.polls[poll_time].items():
            # VictoriaMetrics keeps 12 significant digits (a Unix time in ms loses its last)
            assert math.isclose(at_receiver[name][stamp], value, rel_tol=1e-11), (name, stamp)


def _side_by_side(outcome: Outcome, receiver: str) -> str:
    push, pull = outcome.push["sysUpTime"], outcome.pull
    killed = outcome.killed_at - outcome.down_at
    lines = [
        f"{receiver}: WAN cut {OUTAGE:.0f} s, push agent kill -9 at +{killed:.0f} s",
        f"{'':>6} {'samples':>8} {'largest gap (s)':>16}",
        f"{'push':>6} {len(push):>8} {max(_gaps(push), default=0):>16.1f}"
        "   (the agent's kill -9 and restart)",
    ]
    if pull:
        lines.append(f"{'pull':>6} {len(pull):>8} {max(_gaps(pull), default=0):>16.1f}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="nw-push-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _agents(lab: Lab, folder: Path, url: str, *, with_pull: bool) -> tuple[Agent, Agent | None]:
    folder.mkdir(parents=True, exist_ok=True)
    inventory = _inventory(lab, folder, url)
    push = Agent(PUSH_AGENT, PUSH_NS, PUSH_LISTEN, inventory, folder)
    pull = Agent(PULL_AGENT, PULL_NS, PULL_LISTEN, inventory, folder) if with_pull else None
    return push, pull


def test_prometheus_holds_every_sample_of_the_outage_and_pull_shows_the_gap(
    lab: Lab, folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    labels = {"agent": PULL_AGENT, "site": "so-khcn"}
    scrape = [{"job_name": "netwarden-agents", "honor_labels": True,
               "static_configs": [{"targets": [PULL_LISTEN], "labels": labels}]}]  # fmt: skip
    receiver = PrometheusReceiver(HOST, folder / "prometheus", scrape)
    push, pull = _agents(lab, folder / "prom-agents", receiver.write_url, with_pull=True)
    try:
        assert pull is not None
        push.start()
        pull.start()
        # The NAT'd agency shows on the central Prometheus, which cannot reach it.
        outcome = _outage(receiver, push, pull)
        _check_every_poll_once(outcome, "prometheus")
        table = _side_by_side(outcome, "prometheus")
        with capsys.disabled():
            print("\n" + table)
        pull_gap = max(_gaps(outcome.pull))
        assert pull_gap > OUTAGE - 10, f"pull mode should show the outage as a gap: {table}"
        push_gaps = sorted(_gaps(outcome.push["sysUpTime"]))
        assert push_gaps[-2] < POLL + 0.6  # besides the restart, no hole
        site = receiver.query(f'count by (site) (sysUpTime{{agent="{PUSH_AGENT}"}})', time.time())
        assert [r["metric"]["site"] for r in site] == [PUSH_SITE]
    finally:
        push.stop()
        if pull is not None:
            pull.stop()
        receiver.stop()


def test_victoria_metrics_holds_every_sample_of_the_outage_once(lab: Lab, folder: Path) -> None:
    receiver = VictoriaMetricsReceiver(HOST, folder / "victoria-metrics", dedup=f"{POLL / 2:g}s")
    push, _ = _agents(lab, folder / "vm-agents", receiver.write_url, with_pull=False)
    try:
        push.start()
        outcome = _outage(receiver, push, None)
        _check_every_poll_once(outcome, "victoria-metrics")
        # The agent's own series arrive too, with its site added.
        found = receiver.query(f'netwarden_push_samples_sent_total{{agent="{PUSH_AGENT}"}}',
                               time.time())  # fmt: skip
        assert found and found[0]["metric"]["site"] == PUSH_SITE
    finally:
        push.stop()
        receiver.stop()
