"""The rules of an incident's life: what an alert does, and which status changes are allowed.

``open → acknowledged → resolved → closed``. An incident resolves by itself when all its
alerts have resolved; a responder may resolve it by hand; an admin closes a resolved one with a
closing summary. The key firing again within ``REOPEN_WINDOW`` of the resolution re-opens it
(one flapping link, one incident); a closed incident is final.
"""

from __future__ import annotations

import enum

from netwarden.collector.incidents.errors import IncidentStateError

REOPEN_WINDOW = 30 * 60.0
STATUSES = ("open", "acknowledged", "resolved", "closed")
ACTIVE = ("open", "acknowledged")


class AlertEffect(enum.Enum):
    """What one alert of a webhook does to the record."""

    DUPLICATE = "duplicate"  # a repeat of what is stored: counted, nothing stored
    NEW = "new"  # a new firing (or a firing first seen already resolved)
    RESOLVES = "resolves"  # the end of a stored firing


def effect(stored_status: str | None, status: str) -> AlertEffect:
    """The effect of an alert whose (fingerprint, startsAt) is stored with ``stored_status``."""
    if stored_status is None:
        return AlertEffect.NEW
    if stored_status == "firing" and status == "resolved":
        return AlertEffect.RESOLVES
    # A firing repeat, a resolved repeat, or a late retry of the firing after its resolution.
    return AlertEffect.DUPLICATE


def reopens(resolved_at: float | None, starts_at: float) -> bool:
    """Whether a firing that started at ``starts_at`` re-opens an incident resolved then."""
    return resolved_at is not None and starts_at - resolved_at <= REOPEN_WINDOW


_ALLOWED = {
    "acknowledge": ("open",),
    "resolve": ACTIVE,
    "close": ("resolved",),
    "note": ("open", "acknowledged", "resolved"),
    "evidence": ("open", "acknowledged", "resolved"),
    "flags": ("open", "acknowledged", "resolved"),
}
_WHY = {
    "close": "resolve it first; only a resolved incident is closed",
    "note": "a closed incident's record is final",
    "evidence": "a closed incident's record is final",
    "flags": "a closed incident's record is final",
}


def check(action: str, incident_id: str, status: str) -> None:
    """Raise ``IncidentStateError`` (409) unless ``action`` is allowed in ``status``."""
    if status in _ALLOWED[action]:
        return
    why = f" ({_WHY[action]})" if action in _WHY else ""
    raise IncidentStateError(f"cannot {action} {incident_id}: it is {status}{why}")
