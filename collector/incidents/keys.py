"""Incident keys: which alerts belong to one incident.

The alert rules set an ``incident`` label naming what is wrong: ``link/<link>``,
``device/<device>``, ``group/<site>`` (a camera group or hotspot), ``service/<service>`` or
``agent/<agent>``. An alert without it falls back to ``site/<site>/<alertname>``, the site
taken from its ``site`` label or from the inventory's site of its ``device`` label.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

KINDS = ("link", "device", "group", "service", "agent", "site")
KEY_MAX = 255
UNKNOWN_SITE = "unknown"


@dataclass(frozen=True, slots=True)
class Subject:
    """What an incident key is about: ``kind`` (one of ``KINDS``, or another word) and an id."""

    kind: str
    ident: str


def _usable(key: str) -> bool:
    kind, sep, rest = key.partition("/")
    return bool(kind and sep and rest) and len(key) <= KEY_MAX and key.isprintable()


# Alerts about the alerting pipeline (the Watchdog, severity "none") or about the incident
# record itself (an escalation incident/<id>, a report deadline report/<id>) reach the
# collector too: they prove the pipeline delivers, but an incident of their own would never
# close (the Watchdog always fires) or would be an incident about an incident.
RECORD_KINDS = ("incident", "report")


def opens_incident(labels: dict[str, str]) -> bool:
    """Whether an alert joins or opens an incident (see ``RECORD_KINDS``)."""
    if labels.get("severity", "").strip().lower() == "none":
        return False
    return labels.get("incident", "").partition("/")[0] not in RECORD_KINDS


def incident_key(labels: dict[str, str], site_of_device: Callable[[str], str | None]) -> str:
    """The key an alert joins: its ``incident`` label, else ``site/<site>/<alertname>``.

    An ``incident`` label that is not ``kind/id`` (or is over 255 characters) is ignored, as if
    absent: a broken rule must not be able to refuse a whole group.
    """
    given = labels.get("incident", "").strip()
    if given and _usable(given):
        return given
    site = labels.get("site") or site_of_device(labels.get("device", "")) or UNKNOWN_SITE
    alertname = labels.get("alertname") or "unnamed"
    return f"site/{site}/{alertname}"[:KEY_MAX]


def subject_of(key: str) -> Subject:
    """The subject of a key: ``link/tsl-a`` → (link, tsl-a); ``site/s/Alert`` → (site, s)."""
    kind, _, rest = key.partition("/")
    if kind == "site":
        rest = rest.partition("/")[0]
    return Subject(kind, rest)
