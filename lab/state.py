"""The lab's record of what it created, so `down`, `status`, `impair` and `fault` act on it.

It is written before each thing is created, so an interrupted `up` can still be torn down.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netwarden.lab.processes import Process

DEFAULT_DIR = Path(os.environ.get("NETWARDEN_LAB_DIR", "/run/netwarden-lab"))


@dataclass
class LinkState:
    """A WAN link: its link namespace, and what `impair`/`fault` did to it."""

    ns: str
    core_if: str
    far_device: str
    fault: str = "up"
    impair: dict[str, float] | None = None
    bridge: Process | None = None  # the impairment bridge while one runs


@dataclass
class LabState:
    params: dict[str, Any] = field(default_factory=dict)
    namespaces: list[str] = field(default_factory=list)
    processes: list[Process] = field(default_factory=list)
    links: dict[str, LinkState] = field(default_factory=dict)
    # endpoint id -> (namespace, interface, address)
    endpoints: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    inventory: str = ""
    started: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "params": self.params,
            "namespaces": self.namespaces,
            "processes": [p.to_json() for p in self.processes],
            "links": {
                name: {
                    "ns": link.ns,
                    "core_if": link.core_if,
                    "far_device": link.far_device,
                    "fault": link.fault,
                    "impair": link.impair,
                    "bridge": link.bridge.to_json() if link.bridge else None,
                }
                for name, link in self.links.items()
            },
            "endpoints": {name: list(where) for name, where in self.endpoints.items()},
            "inventory": self.inventory,
            "started": self.started,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LabState:
        links = {
            name: LinkState(
                ns=raw["ns"],
                core_if=raw["core_if"],
                far_device=raw["far_device"],
                fault=raw.get("fault", "up"),
                impair=raw.get("impair"),
                bridge=Process.from_json(raw["bridge"]) if raw.get("bridge") else None,
            )
            for name, raw in data.get("links", {}).items()
        }
        return cls(
            params=data.get("params", {}),
            namespaces=list(data.get("namespaces", [])),
            processes=[Process.from_json(p) for p in data.get("processes", [])],
            links=links,
            endpoints={k: (v[0], v[1], v[2]) for k, v in data.get("endpoints", {}).items()},
            inventory=data.get("inventory", ""),
            started=data.get("started", ""),
        )


def state_file(root: Path) -> Path:
    return root / "state.json"


def load(root: Path) -> LabState | None:
    """The recorded lab, or None when no lab was brought up from ``root``."""
    try:
        return LabState.from_json(json.loads(state_file(root).read_text()))
    except FileNotFoundError:
        return None


def save(root: Path, state: LabState) -> None:
    """Write atomically: a crash mid-write must not lose the record of what exists."""
    root.mkdir(parents=True, exist_ok=True)
    tmp = state_file(root).with_suffix(".tmp")
    tmp.write_text(json.dumps(state.to_json(), indent=2, ensure_ascii=False))
    tmp.replace(state_file(root))
