"""Inhibit rules generated from the topology, so that one fault pages once.

* a line of the dedicated data network down (its alert comes from the core router's end,
  ``site="core"``) hides every alert of the sites behind it;
* an agent down hides the alerts of the sites only it watches, and its own (failed scrapes);
* a core router down hides the lines that end on it and the sites behind it;
* within one incident, a critical alert hides the warnings (a line down hides its losses).

The Watchdog and the escalation of unacknowledged incidents are never hidden. Alertmanager
never lets an alert that matches both sides of a rule hide another such alert, so the agent
down (which is also about a site it watches) is never hidden by itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from netwarden.alerting.topology import Topology
from netwarden.inventory.model import Inventory

NEVER_HIDDEN = 'alertname!~"Watchdog|NetwardenIncidentUnacknowledged"'


def any_of(label: str, values: Sequence[str]) -> str:
    """``label="a"`` or ``label=~"a|b"``; ids may hold '.', which a regex reads as any
    character."""
    if len(values) == 1:
        return f'{label}="{values[0]}"'
    alternatives = "|".join(value.replace(".", "[.]") for value in values)
    return f'{label}=~"{alternatives}"'


def _rule(source: list[str], target: list[str]) -> dict[str, Any]:
    return {"source_matchers": source, "target_matchers": [*target, NEVER_HIDDEN]}


def inhibit_rules(inv: Inventory) -> list[dict[str, Any]]:
    """Every inhibit rule for ``inv``, in a stable order."""
    topo = Topology(inv)
    rules = []
    for line in topo.behind_lines():
        source = ['alertname="NetwardenLinkDown"', f'link="{line.source}"']
        rules.append(_rule(source, [any_of("site", line.sites)]))
    for agent in topo.watched_only_by():
        source = ['alertname="NetwardenAgentDown"', f'agent="{agent.source}"']
        rules.append(_rule(source, [f'agent="{agent.source}"']))
        if agent.sites:
            rules.append(_rule(source, [any_of("site", agent.sites)]))
    for device in topo.core_devices():
        source = ['alertname="NetwardenDeviceDown"', f'device="{device.source}"']
        rules.append(_rule(source, [any_of("link", device.links)]))
        if device.sites:
            rules.append(_rule(source, [any_of("site", device.sites)]))
    critical = _rule(['severity="critical"'], ['severity=~"warning|info"'])
    rules.append(critical | {"equal": ["incident"]})
    return rules
