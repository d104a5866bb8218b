"""EVENTS STEP (issue 20): the core router's own linkDown trap, written against issue 20's
contract. Issue 20 (traps and syslog at the agent, ``netwarden events ...``) is not on main
yet; the step switches itself on when the installed netwarden has the ``events`` command and is
reported as *skipped* until then (never as done).

What it expects, from issue 20's text: agents receive traps (``agent run --trap-listen``,
default ``:162``); the lab's snmpd sends linkDown/linkUp notifications (``monitor -r 1`` with
``linkUpDownNotifications``) to its agent; a linkDown is normalised with ifIndex → ifName;
``netwarden events search --since T [--device D] [--grep TEXT] --output json`` lists events.
The JSON field names below (``events``, ``device``, ``kind``/``event``, ``ifName``) are the
natural reading of that contract; check them once issue 20 lands.
"""

from __future__ import annotations

import functools
import subprocess
from datetime import UTC, datetime
from typing import Any

from netwarden.lab.demo.context import Demo
from netwarden.lab.demo.runner import StepSkipped
from netwarden.lab.demo.shell import NETWARDEN, wait_for

CORE_END = ("core-rtr", "wan1")  # the cut line's end on the core router


@functools.cache
def events_installed() -> bool:
    """True when the installed netwarden has issue 20's ``events`` command."""
    done = subprocess.run(
        [*NETWARDEN, "events", "--help"], capture_output=True, timeout=60, check=False
    )
    return done.returncode == 0


def link_down_trap(d: Demo) -> None:
    """The core router's linkDown trap for the cut line reached the collector as an event."""
    if not events_installed():
        raise StepSkipped("traps and syslog (issue 20) are not merged yet: no `netwarden events`")
    since = datetime.fromtimestamp(d.cut_at - 5, UTC).isoformat()
    device, ifname = CORE_END
    found = wait_for(
        f"the linkDown trap from {device} {ifname}",
        lambda: [e for e in _events(d, since, device) if _is_link_down(e, ifname)],
        30,
    )
    args = ("events", "search", "--since", since, "--device", device)
    d.shell.netwarden(*args, env=d.collector_env("viewer"))
    d.shell.say(f"  {len(found)} linkDown event(s) for {device} {ifname}")


def _events(d: Demo, since: str, device: str) -> list[dict[str, Any]]:
    args = ("events", "search", "--since", since, "--device", device)
    answer = d.cli_json(*args, role="viewer")
    return list(answer.get("events", []) if isinstance(answer, dict) else answer)


def _is_link_down(event: dict[str, Any], ifname: str) -> bool:
    kind = str(event.get("kind") or event.get("event") or event.get("type") or "")
    return kind.lower() in ("linkdown", "link_down", "link-down") and ifname in str(event)
