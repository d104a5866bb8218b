"""EVENTS STEPS (issue 20): the cut line's linkDown trap, from the agency's own switch.

The lab's agency switches send linkDown/linkUp traps (SNMPv3, snmpd's ``monitor -r 1``) to
their agency's agent, in the same namespace (lab/daemons.py). When the line is cut, the
agency end ``sw-so-khcn-core wan0`` goes down: its trap reaches ``agent-so-khcn`` at once —
the agent is cut off from the collector with the line, so the event waits in the agent's own
events queue on disk (it counts it in ``/metrics``, read here from inside the agency). Once
the line is back the queue drains and ``netwarden events search`` at the collector shows the
linkDown and the linkUp, with the interface's name (docs/events.md).

The core router sends no traps in the lab (only the agencies' switches do), so the event is
the agency end's.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from netwarden.lab.demo.context import CUT_AGENT, Demo
from netwarden.lab.demo.shell import wait_for

AGENCY_END = ("sw-so-khcn-core", "wan0")  # the cut line's agency end, trapping to its agent


def trap_at_the_agency(d: Demo) -> None:
    """The agency switch's linkDown trap reached the agency's own agent during the cut: the
    agent counts it, while it cannot reach the collector."""
    device, _ = AGENCY_END
    count = wait_for(
        f"{CUT_AGENT} counting {device}'s linkDown trap",
        lambda: _traps(d, device, "linkDown"),
        30,
    )
    d.shell.say(
        f"  {CUT_AGENT} /metrics (read inside the agency):"
        f' netwarden_traps_received_total{{device="{device}",trap="linkDown"}} {count:g}'
    )
    d.shell.say("  the event waits in the agent's events queue until the line is back")


def trap_events_arrive(d: Demo) -> None:
    """After the repair the agent's queued events reach the collector: the linkDown (from
    during the cut) and the linkUp of the agency end, with the interface's name."""
    device, ifname = AGENCY_END
    since = datetime.fromtimestamp(d.cut_at - 5, UTC).isoformat()
    found = wait_for(
        f"{device} {ifname}'s linkDown and linkUp at the collector",
        lambda: _link_events(d, since, device, ifname),
        60,
    )
    d.shell.netwarden(
        "events", "search", "--since", since, "--device", device, env=d.collector_env("viewer")
    )
    down = found["linkDown"]
    d.shell.say(
        f"  linkDown {device} {ifname} received by {down['agent']} at {down['at']},"
        f" {_seconds(down['at']) - d.cut_at:.1f} s after the cut; at the collector after the repair"
    )


def _traps(d: Demo, device: str, trap: str) -> float:
    pattern = re.compile(r"^netwarden_traps_received_total\{([^}]*)\}\s+(\S+)$", re.MULTILINE)
    total = 0.0
    for labels, value in pattern.findall(d.agent_metrics(CUT_AGENT)):
        if f'device="{device}"' in labels and f'trap="{trap}"' in labels:
            total += float(value)
    return total


def _link_events(d: Demo, since: str, device: str, ifname: str) -> dict[str, dict[str, Any]] | None:
    args = ("events", "search", "--since", since, "--device", device)
    events = d.cli_json(*args, role="viewer")["events"]
    found = {e["kind"]: e for e in events if e.get("ifName") == ifname}
    return found if {"linkDown", "linkUp"} <= set(found) else None


def _seconds(at: Any) -> float:
    if isinstance(at, int | float):
        return float(at)
    return datetime.fromisoformat(str(at)).timestamp()
