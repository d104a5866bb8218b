"""Lab tier: tests against the real namespace lab (root, real snmpd and sshd).

One lab serves the whole session (building one costs seconds; a module that needs another
size gets its own). Modules run grouped by the lab they need, so it is rebuilt as rarely as
possible. A module may change the lab (cut a link, stop a camera, shut an interface) as long
as it restores it; when it ends, the lab is compared with the snapshot taken when it was
built, and one that differs is torn down, never handed to the next module.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from netwarden.lab import build, processes
from netwarden.lab.state import DEFAULT_DIR, LabState, load

HERE = Path(__file__).parent
WORLD = HERE / "world.sh"  # puts an xdist worker in namespaces of its own (docs/testing.md)
DEFAULT_SIZE: dict[str, int] = {"agencies": 3, "nat": 1, "scale_devices": 0, "big_ports": 0}
# The lab modules that take longest, longest first (the rest keep their file order after
# them): their expected setup + tests once this session's speed-ups land (issue 11 §1; s,
# under the tier's own load): availability 110, alerting pages 90, actions via the
# collector 89, push 80, the two playbook modules about 60 each, link down 60, dashboard 60,
# report drafts 60, fleet 45. The playbook modules were missing: at 110-390 s they were the
# tier's tail, started last on a worker.
LONG_FIRST = (
    "test_availability_report",
    "test_alerting_pages",
    "test_actions_via_collector",
    "test_push",
    "test_playbooks_services",
    "test_playbooks_network",
    "test_playbook_link_down",
    "test_dashboard_queries",
    "test_report_drafts_lab",
    "test_fleet",
    "test_ssh_collection",
    "test_agent_snmp",
    "test_config_backup",
    "test_events",
)
BUILDS: list[str] = []  # why each lab of this session was built, for the summary


def _lab_group(module: object, items: list[pytest.Item]) -> int:
    """Own rigs first (no lab), then the default lab, other sizes, and those that rebuild it."""
    if getattr(module, "REBUILDS_LAB", False):
        return 3
    if not any("lab" in getattr(item, "fixturenames", ()) for item in items):
        return 0
    return 2 if getattr(module, "LAB_SIZE", None) else 1


def _module_order(item: pytest.Item, group: dict[object, int]) -> tuple[int, int]:
    """Lab group first; within it the longest modules first, so that in parallel they start
    at once and the short ones fill in around them (longest-first scheduling)."""
    module = getattr(item, "module", None)
    name = Path(str(item.fspath)).stem
    return group[module], LONG_FIRST.index(name) if name in LONG_FIRST else len(LONG_FIRST)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A worker hands its builds to the controller, which prints the summary."""
    output: dict[str, Any] | None = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["lab_builds"] = list(BUILDS)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """xdist's controller: a worker ended; keep what it built, under the worker's name."""
    builds = getattr(node, "workeroutput", {}).get("lab_builds", [])
    BUILDS.extend(f"{node.gateway.id}: {why}" for why in builds)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if BUILDS:
        terminalreporter.write_line(f"lab: {len(BUILDS)} built or torn down in this session:")
        for why in BUILDS:
            terminalreporter.write_line(f"  {why}")


def pytest_configure(config: pytest.Config) -> None:
    """In parallel (``-n N``), each worker runs in a world of its own (``world.sh``): its own
    network, mount and PID namespaces, so every worker builds its own lab beside the others.
    A module's tests stay on one worker, in the order below (so each worker still builds as
    few labs as it can)."""
    specs: list[str] = getattr(config.option, "tx", None) or []
    if not specs or hasattr(config, "workerinput") or os.geteuid() != 0:
        return
    python = shlex.join([str(WORLD), sys.executable])  # execnet splits it like a shell
    config.option.tx = [f"popen//python={python}" if s == "popen" else s for s in specs]
    if config.option.dist in ("load", "no"):
        config.option.dist = "loadfile"
    config.option.loadscopereorder = False  # xdist's reorder (largest file first) undoes ours


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    ours = [i for i, item in enumerate(items) if HERE in Path(str(item.fspath)).parents]
    by_module: dict[object, list[pytest.Item]] = {}
    for i in ours:
        items[i].add_marker(pytest.mark.lab)
        by_module.setdefault(getattr(items[i], "module", None), []).append(items[i])
    group = {module: _lab_group(module, tests) for module, tests in by_module.items()}
    # A stable sort by module keeps each module's tests together and in file order.
    ordered = sorted((items[i] for i in ours), key=lambda it: _module_order(it, group))
    for i, item in zip(ours, ordered, strict=True):
        items[i] = item


@dataclass
class Lab:
    state: LabState
    root: Path

    def secret(self, name: str) -> str:
        return (self.root / "secrets" / name).read_text().strip()

    def snmp(
        self,
        address: str,
        oid: str,
        *,
        version: str = "3",
        ns: str | None = None,
        auth: str | None = None,
        command: str = "snmpget",
    ) -> subprocess.CompletedProcess[str]:
        """Ask net-snmp's own client (the reference) for ``oid``; values only (-Oqv)."""
        if version == "3":
            creds = ["-v3", "-l", "authPriv", "-u", "labv3", "-a", "SHA",
                     "-A", auth or self.secret("snmp-auth"), "-x", "AES",
                     "-X", self.secret("snmp-priv")]  # fmt: skip
        else:
            creds = ["-v2c", "-c", self.secret("snmp-community")]
        argv = [command, *creds, "-Oqv", "-t", "1", "-r", "1", address, oid]
        if ns:
            argv = ["ip", "netns", "exec", ns, *argv]
        return subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)

    def snmp_value(self, address: str, oid: str, **kwargs: str) -> str:
        done = self.snmp(address, oid, **kwargs)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().strip('"')


Snapshot = dict[str, list[tuple[str, bool, str, tuple[str, ...]]]]


def snapshot(state: LabState) -> Snapshot:
    """Per namespace: every interface with its admin state, bridge and addresses. Carrier is
    left out: it follows the far end, which a restore brings back a moment later."""
    found: Snapshot = {}
    for ns in state.namespaces:
        done = subprocess.run(["ip", "-n", ns, "-j", "address", "show"], capture_output=True,
                              text=True, timeout=30, check=False)  # fmt: skip
        links: list[dict[str, Any]] = json.loads(done.stdout or "[]")
        found[ns] = sorted(
            (link["ifname"], "UP" in link.get("flags", []), link.get("master", ""),
             tuple(sorted(a["local"] for a in link.get("addr_info", []))))
            for link in links
        )  # fmt: skip
    return found


def _differences(state: LabState, before: Snapshot) -> list[str]:
    """What is not as built: links cut or impaired, dead daemons, changed interfaces."""
    found = [f"link {name} is {link.fault}" for name, link in state.links.items()
             if link.fault != "up"]  # fmt: skip
    found += [f"link {name} is impaired" for name, link in state.links.items() if link.bridge]
    found += [f"{p.name} (pid {p.pid}) died" for p in state.processes if not processes.alive(p)]
    now = snapshot(state)
    for ns, interfaces in before.items():
        changed = set(interfaces) ^ set(now.get(ns, []))
        found += [f"{ns}: {sorted(changed)}"] if changed else []
    return found


@dataclass
class LabPool:
    """The session's one lab: built on first use, kept while modules leave it as built."""

    reuse: bool = os.environ.get("NW_LAB_REUSE") == "1"
    size: dict[str, int] = field(default_factory=dict)
    lab: Lab | None = None
    built: Snapshot = field(default_factory=dict)
    token: str = ""  # a secret of the lab we built: tells it from one built by someone else

    def get(self, **size: int) -> Lab:
        if os.geteuid() != 0:
            pytest.fail("lab tests need root (they build network namespaces): run scripts/test.sh")
        running = load(DEFAULT_DIR)
        if self.reuse and running is not None:
            return Lab(running, DEFAULT_DIR)  # as it is, never rebuilt or removed
        wanted = {**DEFAULT_SIZE, **size}
        if self.lab is None or wanted != self.size or not self._ours(running):
            BUILDS.append(", ".join(f"{k}={v}" for k, v in wanted.items() if v != DEFAULT_SIZE[k])
                          or "default")  # fmt: skip
            self.lab = Lab(build.up(DEFAULT_DIR, **wanted), DEFAULT_DIR)
            self.size, self.token = wanted, self.lab.secret("snmp-auth")
            self.built = snapshot(self.lab.state)
        return self.lab

    def _ours(self, running: LabState | None) -> bool:
        secret = DEFAULT_DIR / "secrets" / "snmp-auth"
        return running is not None and secret.exists() and secret.read_text().strip() == self.token

    def check(self, who: str) -> None:
        """After a module: tear down a lab it left different from how it was built."""
        running = load(DEFAULT_DIR)
        if self.reuse or self.lab is None or not self._ours(running):
            return
        assert running is not None
        found = _differences(running, self.built)
        if found:
            BUILDS.append(f"after {who} left it changed: {'; '.join(found)}")
            self.close()

    def close(self) -> None:
        if not self.reuse and self.lab is not None and self._ours(load(DEFAULT_DIR)):
            build.down(DEFAULT_DIR)
        self.lab = None


@pytest.fixture(scope="session")
def lab_pool() -> Iterator[LabPool]:
    pool = LabPool()
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture(scope="module")
def lab(lab_pool: LabPool, request: pytest.FixtureRequest) -> Iterator[Lab]:
    """The default lab (three agencies, one behind NAT, the DC), or the module's ``LAB_SIZE``
    (build.up's keyword arguments). With NW_LAB_REUSE=1 a running lab is used as it is and left
    running (for developing against one long-lived lab; tests that change links skip)."""
    yield lab_pool.get(**getattr(request.module, "LAB_SIZE", {}))
    lab_pool.check(request.module.__name__)


@pytest.fixture(scope="session", autouse=True)
def _own_world() -> None:
    """Workers that share the machine's namespaces would build the one lab over each other."""
    if os.geteuid() != 0:
        return  # the lab and each rig say they need root
    if os.environ.get("PYTEST_XDIST_WORKER") and not os.environ.get("NETWARDEN_LAB_WORLD"):
        pytest.fail(
            "lab tests in parallel need a world per worker: run them as"
            " `pytest tests/lab -n N` (the lab tier's conftest sets the workers up), not"
            " beside other tiers",
            pytrace=False,
        )


@pytest.fixture(scope="session", autouse=True)
def _session_host_key_pins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """SSH host keys pinned by this run only: the default (/var/lib/netwarden/known_hosts)
    would keep the keys of a lab an earlier run built, and a rebuilt lab's devices would then
    fail their identity check. Subprocesses inherit it."""
    before = os.environ.get("NETWARDEN_KNOWN_HOSTS")
    os.environ["NETWARDEN_KNOWN_HOSTS"] = str(tmp_path_factory.mktemp("known_hosts"))
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("NETWARDEN_KNOWN_HOSTS", None)
        else:
            os.environ["NETWARDEN_KNOWN_HOSTS"] = before


@pytest.fixture(autouse=True)
def _own_host_key_pins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's own commands pin in a folder of their own: a lab rebuilt between tests
    (another lab size) offers new keys for the same device names."""
    monkeypatch.setenv("NETWARDEN_KNOWN_HOSTS", str(tmp_path / "known_hosts"))
