"""What an incident affects: sites, devices, links and services with their security levels.

Held on the incident as JSON (``to_json``/``from_json``) so the record keeps what was affected
when it happened, even after the inventory changes. Devices take their site's security level,
links the higher of their ends' sites', services their own or else their site's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

SERIOUS_LEVEL = 4  # Quyết định 05/2017/QĐ-TTg: level-4 and level-5 systems


@dataclass(frozen=True, slots=True)
class Thing:
    """One affected site, device, link or service.

    ``kind`` is the site's kind, the device's role, the link's kind (empty for a service);
    ``sites`` the site(s) it belongs to (a link: the sites of its ends).
    """

    id: str
    name: str | None
    kind: str
    sites: tuple[str, ...]
    security_level: int | None

    def as_json(self, what: str) -> dict[str, Any]:
        """The JSON of one entry of ``affected.<what>`` (docs/incidents.md)."""
        doc: dict[str, Any] = {"id": self.id}
        if what in ("sites", "services"):
            doc["name"] = self.name
        if what == "sites":
            doc["kind"] = self.kind
        elif what == "devices":
            doc["role"], doc["site"] = self.kind, self.sites[0] if self.sites else None
        elif what == "links":
            doc["kind"], doc["sites"] = self.kind, list(self.sites)
        else:
            doc["site"] = self.sites[0] if self.sites else None
        doc["security_level"] = self.security_level
        return doc


def _by_id(thing: Thing) -> str:
    return thing.id


def _merge(a: tuple[Thing, ...], b: tuple[Thing, ...]) -> tuple[Thing, ...]:
    by_id = {t.id: t for t in a}
    for t in b:
        by_id.setdefault(t.id, t)
    return tuple(by_id.values())


@dataclass(frozen=True, slots=True)
class Affected:
    """Everything an incident affects; ``interrupting`` when its subject is out of service
    (a link, device, group or service down), not merely unmonitored (an agent gone)."""

    sites: tuple[Thing, ...] = ()
    devices: tuple[Thing, ...] = ()
    links: tuple[Thing, ...] = ()
    services: tuple[Thing, ...] = ()
    interrupting: bool = False
    primary_site: str | None = None

    def __post_init__(self) -> None:
        # Sorted by id whatever the caller built: equal records read (and store) the same.
        for what in ("sites", "devices", "links", "services"):
            object.__setattr__(self, what, tuple(sorted(getattr(self, what), key=_by_id)))

    def merged(self, other: Affected) -> Affected:
        """Both together (an incident's alerts may name more devices as they arrive)."""
        return replace(
            self,
            sites=_merge(self.sites, other.sites),
            devices=_merge(self.devices, other.devices),
            links=_merge(self.links, other.links),
            services=_merge(self.services, other.services),
            interrupting=self.interrupting or other.interrupting,
            primary_site=self.primary_site or other.primary_site,
        )

    def highest_level(self) -> int:
        """The highest security level among affected sites and services (0 if none known)."""
        levels = [t.security_level or 0 for t in (*self.sites, *self.services)]
        return max(levels, default=0)

    def serious(self, kind: str, severity: str) -> bool:
        """Serious in the sense of QĐ 05/2017: a level-4/5 system whose service is interrupted.

        A fallback ``site/...`` incident counts as interrupting only at severity critical.
        """
        interrupted = self.interrupting or (kind == "site" and severity == "critical")
        return interrupted and self.highest_level() >= SERIOUS_LEVEL

    def as_json(self) -> dict[str, Any]:
        """The ``affected`` object of ``incident show``."""
        return {
            what: [t.as_json(what) for t in getattr(self, what)]
            for what in ("sites", "devices", "links", "services")
        }

    def to_json(self) -> str:
        """Text for the store (round-trips through ``from_json``)."""
        doc: dict[str, Any] = {
            what: [[t.id, t.name, t.kind, list(t.sites), t.security_level] for t in items]
            for what, items in (
                ("sites", self.sites),
                ("devices", self.devices),
                ("links", self.links),
                ("services", self.services),
            )
        }
        doc["interrupting"], doc["primary_site"] = self.interrupting, self.primary_site
        return json.dumps(doc, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Affected:
        """The value ``to_json`` wrote."""
        doc = json.loads(text)

        def things(what: str) -> tuple[Thing, ...]:
            return tuple(Thing(i, n, k, tuple(s), lvl) for i, n, k, s, lvl in doc.get(what, []))

        return cls(
            sites=things("sites"),
            devices=things("devices"),
            links=things("links"),
            services=things("services"),
            interrupting=bool(doc.get("interrupting")),
            primary_site=doc.get("primary_site"),
        )
