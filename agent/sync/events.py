"""What the agent tells the collector about its polls: an ``event`` whenever a device or a probe
changes state, and a ``poll-summary`` on an interval.

The tracker reads the runtime's latest results on a short period (1 s) and diffs them with what
it saw before, instead of hooking the polling loops: polling stays unaware of the collector, and
a slow disk queue can never delay a poll. Every new poll result is a distinct object, so the
tracker also counts polls (ok / failed) exactly, as long as a target is not polled twice
within one observation period (no interval in the inventory is that short).

Payloads (the contract leaves them to the agent):

- ``event``, device: ``{"target": "device", "device", "site", "role", "state": "up"|"down",
  "previous": "up"|"down"|null, "reason", "message"}``; probe: ``{"target": "probe",
  "probe": "<job key>", "kind", "device", "service", "site", "address", "state":
  "success"|"failure", "previous", "reason", "message"}``. ``reason`` is the SNMP or probe
  reason (bounded), ``message`` the admin-readable line (at most 300 characters).
- ``poll-summary``: ``{"part", "parts", "targets": [{"device", "up", "duration",
  "polled_at"} | {"probe", "kind", "success", "reason", "duration"}]}``, null values for
  targets not polled yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netwarden.agent.runtime import AgentRuntime
from netwarden.agent.sync.disk_queue import Item

SUMMARY_CHUNK = 1000  # targets per poll-summary result, so one result stays well under 512 KiB
MESSAGE_MAX = 300  # characters of an error message carried in an event


@dataclass(frozen=True)
class TargetState:
    """The state of one target as events report it: ok or not, and why not."""

    ok: bool
    reason: str
    message: str


class EventTracker:
    """Turns changes in ``runtime``'s latest results into queued results."""

    def __init__(self, runtime: AgentRuntime) -> None:
        self._runtime = runtime
        self._seen: dict[str, object] = {}  # target key -> the result object last seen
        self._states: dict[str, TargetState] = {}
        self.polls_ok = 0
        self.polls_failed = 0

    def observe(self, at: float) -> list[Item]:
        """Events for every target whose state changed since the last call (or that failed
        on its first result: a target down since the agent started is news too)."""
        items: list[Item] = []
        current: set[str] = set()
        for device_id, polled in list(self._runtime.devices.items()):
            snap = polled.latest
            key = f"device:{device_id}"
            current.add(key)
            if snap is None or self._seen.get(key) is snap:
                continue
            reason = "" if snap.up else (snap.errors[0] if snap.errors else "no-answer")
            message = "" if snap.up else "; ".join(snap.error_messages)
            state = TargetState(snap.up, reason, message[:MESSAGE_MAX])
            about = {
                "target": "device",
                "device": device_id,
                "site": snap.info.site,
                "role": snap.info.role,
            }
            items += self._note(key, snap, state, about, at)
        for job in list(self._runtime.probes.values()):
            result = job.latest
            key = f"probe:{job.key}"
            current.add(key)
            if result is None or self._seen.get(key) is result:
                continue
            state = TargetState(result.success, result.reason.value, result.message[:MESSAGE_MAX])
            labels = job.labels
            about = {
                "target": "probe",
                "probe": job.key,
                "kind": labels.probe,
                "device": labels.device,
                "service": labels.service,
                "site": labels.site,
                "address": labels.target,
            }
            items += self._note(key, result, state, about, at)
        for gone in set(self._seen) - current:  # removed by a reload: forget quietly
            del self._seen[gone]
            self._states.pop(gone, None)
        return items

    def _note(
        self, key: str, result: object, state: TargetState, about: dict[str, Any], at: float
    ) -> list[Item]:
        self._seen[key] = result  # holding the object keeps its identity unique
        if state.ok:
            self.polls_ok += 1
        else:
            self.polls_failed += 1
        before = self._states.get(key)
        self._states[key] = state
        if before is None and state.ok:
            return []
        if before is not None and (before.ok, before.reason) == (state.ok, state.reason):
            return []
        payload = {
            **about,
            "state": _word(about, state.ok),
            "previous": None if before is None else _word(about, before.ok),
            "reason": state.reason,
            "message": state.message,
        }
        return [Item("event", payload, at)]

    def summary(self, at: float) -> list[Item]:
        """The ``poll-summary`` results: every device's and probe's latest result, in parts of
        at most SUMMARY_CHUNK targets."""
        rows: list[dict[str, Any]] = []
        for device_id, polled in sorted(self._runtime.devices.items()):
            snap = polled.latest
            rows.append(
                {
                    "device": device_id,
                    "up": None if snap is None else snap.up,
                    "duration": None if snap is None else round(snap.duration, 4),
                    "polled_at": None if snap is None else snap.started,
                }
            )
        for key, job in sorted(self._runtime.probes.items()):
            res = job.latest
            rows.append(
                {
                    "probe": key,
                    "kind": job.labels.probe,
                    "success": None if res is None else res.success,
                    "reason": None if res is None else res.reason.value,
                    "duration": None if res is None else round(res.duration, 4),
                }
            )
        parts = [rows[i : i + SUMMARY_CHUNK] for i in range(0, len(rows), SUMMARY_CHUNK)] or [[]]
        return [
            Item("poll-summary", {"part": n + 1, "parts": len(parts), "targets": part}, at)
            for n, part in enumerate(parts)
        ]


def _word(about: dict[str, Any], ok: bool) -> str:
    if about["target"] == "device":
        return "up" if ok else "down"
    return "success" if ok else "failure"


def device_health(runtime: AgentRuntime) -> tuple[int, int]:
    """(devices assigned, devices healthy): a device is assigned when it is polled over SNMP or
    pinged, healthy when every one of those has a latest result and it is a success."""
    signals: dict[str, list[bool | None]] = {}
    for device_id, polled in runtime.devices.items():
        snap = polled.latest
        signals.setdefault(device_id, []).append(None if snap is None else snap.up)
    for job in runtime.probes.values():
        if job.key.startswith("device:"):
            result = job.latest
            signals.setdefault(job.labels.device, []).append(
                None if result is None else result.success
            )
    healthy = sum(1 for values in signals.values() if all(v is True for v in values))
    return len(signals), healthy
