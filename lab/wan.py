"""`lab impair` and `lab fault`: change a WAN link of the lab for real.

Each WAN link runs through its own link namespace, where two veth ends (``tocore`` toward the core,
``tofar`` toward the far side) normally sit on a kernel bridge. Impairing swaps the bridge for the
user-space impairment bridge (this kernel has no netem); a fault sets both ends down, so both
real ends lose carrier, as they do when a fibre is cut.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from netwarden.errors import LabError, UsageError
from netwarden.lab import processes, system_tools
from netwarden.lab.state import LabState, LinkState, load, save

BRIDGE_READY_TIMEOUT = 5.0


def _running(root: Path) -> LabState:
    state = load(root)
    if state is None:
        raise LabError("the lab is not running (start it with `netwarden lab up`)")
    return state


def _link(state: LabState, link_id: str) -> LinkState:
    try:
        return state.links[link_id]
    except KeyError:
        known = ", ".join(sorted(state.links)) or "none"
        raise UsageError(
            f"no lab link {link_id!r}; links are: {known} (or an endpoint such as"
            f" {next(iter(sorted(state.endpoints)), 'cam-so-khcn')})"
        ) from None


def impair(root: Path, link_id: str, *, delay_ms: float, loss_pct: float, jitter_ms: float) -> None:
    """Give ``link_id`` round-trip delay/jitter/loss; all zero restores the clean link."""
    if delay_ms < 0 or jitter_ms < 0 or not 0 <= loss_pct <= 100:
        raise UsageError("--delay and --jitter must be >= 0 and --loss between 0 and 100")
    state = _running(root)
    link = _link(state, link_id)
    if link.bridge:
        processes.stop([link.bridge])
        link.bridge = None
        link.impair = None
    if delay_ms == 0 and loss_pct == 0 and jitter_ms == 0:
        system_tools.ip_batch(
            ["link set dev tocore master br0", "link set dev tofar master br0"], link.ns
        )
        save(root, state)
        return
    system_tools.ip_batch(["link set dev tocore nomaster", "link set dev tofar nomaster"], link.ns)
    log = root / f"impair-{link_id}.log"
    argv = [
        "ip",
        "netns",
        "exec",
        link.ns,
        sys.executable,
        "-m",
        "netwarden.lab.impair_bridge",
        "--left",
        "tocore",
        "--right",
        "tofar",
        "--delay-ms",
        str(delay_ms),
        "--jitter-ms",
        str(jitter_ms),
        "--loss-pct",
        str(loss_pct),
    ]
    link.bridge = processes.start(f"impair {link_id}", argv, log)
    link.impair = {"delay_ms": delay_ms, "loss_pct": loss_pct, "jitter_ms": jitter_ms}
    save(root, state)
    _wait_bridge(link.bridge, log)


def _wait_bridge(bridge: processes.Process, log: Path) -> None:
    """The bridge prints one status line once its sockets are open."""
    deadline = time.monotonic() + BRIDGE_READY_TIMEOUT
    while time.monotonic() < deadline:
        if "impair_bridge:" in log.read_text(errors="replace"):
            return
        if not processes.alive(bridge):
            raise LabError(f"impairment bridge exited: {processes.last_lines(str(log))}")
        time.sleep(0.02)
    raise LabError(f"impairment bridge not ready after {BRIDGE_READY_TIMEOUT:.0f} s")


def fault(root: Path, link_id: str, *, down: bool) -> None:
    """Cut (``down``) or restore a link: both link-namespace ends go down/up. An endpoint id
    (a camera, AP or VC endpoint) stops or restarts that endpoint: its interface goes down, so
    it answers neither ICMP nor its TCP port, as a camera that lost power."""
    state = _running(root)
    word = "down" if down else "up"
    if link_id in state.endpoints:
        ns, ifname, address = state.endpoints[link_id]
        # Linux still answers for an address on a downed interface: take the address away too.
        if down:
            lines = [f"address del {address}/32 dev {ifname}", f"link set dev {ifname} down"]
        else:
            lines = [f"link set dev {ifname} up", f"address replace {address}/32 dev {ifname}"]
        system_tools.ip_batch(lines, ns)
        return
    link = _link(state, link_id)
    system_tools.ip_batch([f"link set dev tocore {word}", f"link set dev tofar {word}"], link.ns)
    link.fault = word
    save(root, state)
