"""The one result shape every probe kind returns: a failed target is data, never an exception."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class ProbeReason(enum.StrEnum):
    """Why a probe failed: the bounded `reason` of a failed probe."""

    ok = ""
    timeout = "timeout"  # no answer / no connection before the deadline
    refused = "refused"  # TCP RST or ICMP port unreachable
    unreachable = "unreachable"  # no route, host/net unreachable
    loss = "loss"  # ICMP: every packet lost
    dns = "dns"  # the host name did not resolve
    tls = "tls"  # TLS handshake or certificate verification failed
    http_status = "http-status"  # answered with a status other than the expected one
    body_mismatch = "body-mismatch"  # the body did not match the expected regex
    other = "other"


@dataclass
class ProbeResult:
    """One probe of one target. ``values`` holds kind-specific measurements under the metric
    name they are exported as (e.g. ``netwarden_probe_icmp_loss_ratio``), in base units."""

    success: bool
    duration: float  # seconds the probe took
    reason: ProbeReason = ProbeReason.ok
    message: str = ""
    values: dict[str, float] = field(default_factory=dict)
    # For series with one more label (e.g. RTT statistics or HTTP phases): metric name ->
    # {label value: value}; the label name comes from the metric's spec.
    labelled: dict[str, dict[str, float]] = field(default_factory=dict)
