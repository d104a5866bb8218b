"""The route tree: every alert to the collector first (``continue: true``), the Watchdog to
the dead man's switch, escalations to the on-duty lead, everything else to people, grouped by
site and incident (one notification per thing that broke)."""

from __future__ import annotations

from typing import Any

from netwarden.alerting.config_model import AlertingConfig, Timing
from netwarden.alerting.receivers import COLLECTOR_RECEIVER, NULL_RECEIVER

GROUP_BY = ["site", "incident"]
WATCHDOG = 'alertname="Watchdog"'
ESCALATION = 'alertname="NetwardenIncidentUnacknowledged"'


def _timing(timing: Timing) -> dict[str, str]:
    return {
        "group_wait": timing.group_wait,
        "group_interval": timing.group_interval,
        "repeat_interval": timing.repeat_interval,
    }


def route_tree(config: AlertingConfig) -> dict[str, Any]:
    """The ``route`` section."""
    watchdog: dict[str, Any] = {
        "receiver": config.watchdog.receiver if config.watchdog else NULL_RECEIVER,
        "matchers": [WATCHDOG],
        "group_by": ["alertname"],
        "group_wait": "0s",
        "group_interval": "1m",
        # A dead man's switch wants it often; without one it goes nowhere, rarely.
        "repeat_interval": config.watchdog.repeat_interval if config.watchdog else "24h",
    }
    escalation = {
        "receiver": config.escalation.receiver,
        "matchers": [ESCALATION],
        "group_by": ["incident"],
        "repeat_interval": config.escalation.repeat_interval,
    }
    people: dict[str, Any] = {"receiver": config.people.receiver}
    if config.people.routes:
        people["routes"] = [
            {"receiver": route.receiver, "matchers": list(route.matchers)}
            for route in config.people.routes
        ]
    collector = {
        "receiver": COLLECTOR_RECEIVER,
        "continue": True,
        **_timing(config.collector.timing),
    }
    return {
        "receiver": NULL_RECEIVER,  # never used: the people's route takes everything left
        "group_by": GROUP_BY,
        **_timing(config.people.timing),
        "routes": [collector, watchdog, escalation, people],
    }
