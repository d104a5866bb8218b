"""netwarden's alert rules: one module per rule group, rendered with the thresholds of
``prometheus/thresholds.yml`` into ``prometheus/rules/*.yml`` (see :mod:`.render`)."""

from __future__ import annotations

from netwarden.alerting.rules import (
    config,
    devices,
    fleet,
    groups,
    hosts,
    links,
    meta,
    reports,
    services,
)
from netwarden.alerting.rules.spec import AlertSpec, GroupSpec, ParamKind

GROUPS: tuple[GroupSpec, ...] = (
    devices.GROUP,
    links.GROUP,
    fleet.GROUP,
    hosts.GROUP,
    groups.GROUP,
    services.GROUP,
    config.GROUP,
    meta.GROUP,
    reports.GROUP,
)
"""Every rule group, in the order of the rendered files and of ``thresholds.yml``."""


def alert_params() -> dict[str, dict[str, ParamKind]]:
    """Each alert name with the thresholds it takes (the union over specs that share it)."""
    found: dict[str, dict[str, ParamKind]] = {}
    for group in GROUPS:
        for alert in group.alerts:
            found.setdefault(alert.alert, {}).update(alert.params)
    return found


def alerts() -> list[AlertSpec]:
    """Every alerting rule spec, in order."""
    return [alert for group in GROUPS for alert in group.alerts]
