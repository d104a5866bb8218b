"""Maintenance windows: what a window covers, and the Alertmanager silences that match it.

A window is on one site, one link or one device. It covers an alert (the incident it opens is
marked "in maintenance") when the alert started inside the window and the window's target is
part of the alert's subject: a site window covers everything at the site (its devices,
services, the links with an end there), a device window the device and the links on it, a link
window the link.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netwarden.collector.incidents.times import format_s
from netwarden.collector.incidents.topology import Scope


@dataclass(frozen=True, slots=True)
class Matcher:
    """One equality matcher of an Alertmanager silence."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Window:
    """A stored maintenance window (exactly one of site, link, device is set)."""

    id: int
    site: str | None
    link: str | None
    device: str | None
    starts_at: float
    ends_at: float
    reason: str
    created_by: str
    created_at: float
    silences: tuple[str, ...] = ()

    @property
    def target(self) -> str:
        """``site so-khcn``, ``link tsl-so-khcn`` or ``device core-rtr``."""
        if self.site is not None:
            return f"site {self.site}"
        return f"link {self.link}" if self.link is not None else f"device {self.device}"

    def covers(self, scope: Scope, at: float) -> bool:
        """Whether an alert started at ``at`` about ``scope`` falls under this window."""
        if not self.starts_at <= at < self.ends_at:
            return False
        return (
            (self.site is not None and self.site in scope.sites)
            or (self.device is not None and self.device in scope.devices)
            or (self.link is not None and self.link in scope.links)
        )

    def as_json(self) -> dict[str, Any]:
        """Exactly the keys of ``GET /api/v1/maintenance`` (docs/collector-api.md)."""
        return {
            "id": self.id,
            "site": self.site,
            "link": self.link,
            "device": self.device,
            "from": format_s(self.starts_at),
            "to": format_s(self.ends_at),
            "reason": self.reason,
            "created_by": self.created_by,
            "created_at": format_s(self.created_at),
        }


def silence_matchers(site: str | None, link: str | None, device: str | None) -> list[list[Matcher]]:
    """One matcher list per silence: a silence ANDs its matchers, and the alerts about one
    target carry it in different labels (the rules' ``incident`` label or a plain label)."""
    if site is not None:
        return [[Matcher("site", site)], [Matcher("incident", f"group/{site}")]]
    if link is not None:
        return [[Matcher("link", link)], [Matcher("incident", f"link/{link}")]]
    assert device is not None
    return [[Matcher("device", device)], [Matcher("incident", f"device/{device}")]]
