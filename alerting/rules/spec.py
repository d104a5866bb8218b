"""What an alert rule is made of, before thresholds are filled in.

A rule's PromQL and texts may hold placeholders ``<<name>>`` (a threshold of the rule or a
setting) and ``<<name:seconds>>`` / ``<<name:percent>>`` (a duration in seconds, a ratio as a
percentage). PromQL itself never writes ``<<``, nor do the Go templates of the annotations,
so a placeholder cannot be mistaken for either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

ParamKind = Literal["duration", "ratio", "number", "regex", "name"]
"""How a threshold is written: a Prometheus duration, 0..1, a number >= 0, a regular
expression (label matcher), or a label value."""


@dataclass(frozen=True, slots=True)
class AlertSpec:
    """One alerting rule. Several specs may share ``alert`` (one alert, several conditions
    told apart by a label in ``labels``); they then share their thresholds entry."""

    alert: str
    expr: str
    incident: str  # the ``incident`` label: what the alert is about (see INCIDENT_*)
    summary: str
    summary_vi: str
    description: str
    description_vi: str
    params: Mapping[str, ParamKind] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RecordSpec:
    """A recording rule that the alerts of its group build on."""

    record: str
    expr: str


@dataclass(frozen=True, slots=True)
class GroupSpec:
    """One rule group, written to ``prometheus/rules/<file>``."""

    name: str
    file: str
    title: str  # one line for the file's header comment
    rules: tuple[AlertSpec | RecordSpec, ...]

    @property
    def alerts(self) -> tuple[AlertSpec, ...]:
        return tuple(rule for rule in self.rules if isinstance(rule, AlertSpec))


# The incident label names the thing an alert is about, so that alerts about one thing join
# one incident (the collector's incident intake groups on it): link/<id>, device/<id>,
# group/<site id> (a camera group or hotspot), service/<id>, agent/<id>.
INCIDENT_LINK = "link/{{ $labels.link }}"
INCIDENT_DEVICE = "device/{{ $labels.device }}"
INCIDENT_LINK_OR_DEVICE = (
    "{{ if $labels.link }}link/{{ $labels.link }}{{ else }}device/{{ $labels.device }}{{ end }}"
)
INCIDENT_GROUP = "group/{{ $labels.site }}"
INCIDENT_SERVICE = "service/{{ $labels.service }}"
INCIDENT_AGENT = "agent/{{ $labels.agent }}"

DDN = 'kind="dedicated-data-network"'


def on_links(expr: str, selector: str = "") -> str:
    """``expr`` (interface series) for inventory link ends only, with ``link`` and ``kind``.

    The join takes one ``netwarden_link_info`` series per interface (device, ifName) with
    ``topk``, which keeps the labels and never yields two matches for one interface: the join
    cannot fail with "many-to-many matching" even if an interface were named in two links.
    """
    info = f"netwarden_link_info{{{selector}}}" if selector else "netwarden_link_info"
    ends = f"topk by (device, ifName) (1, {info})"
    return f"(\n{_indent(expr)}\n)\n* on(device, ifName) group_left(link, kind)\n  {ends}"


def link_or_device(expr: str) -> str:
    """``expr`` for every interface; link ends get ``link`` and ``kind`` (see
    INCIDENT_LINK_OR_DEVICE), other interfaces pass unchanged."""
    return (
        f"{on_links(expr)}\nor\n(\n{_indent(expr)}\n)\n"
        "unless on(device, ifName) netwarden_link_info"
    )


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" if line else line for line in text.strip().splitlines())
