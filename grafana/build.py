"""Every dashboard, rendered to the JSON Grafana imports, and the check that the files in
``grafana/dashboards/`` are what the code builds."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.cog.plugins import register_default_plugins
from grafana_foundation_sdk.models.dashboard import Dashboard

from netwarden.grafana.boards import (
    availability,
    config_changes,
    dc_hosts,
    ddn,
    device,
    fleet,
    portals,
    province,
    wifi_cameras,
)
from netwarden.grafana.layout import Board

FOLDER = Path(__file__).resolve().parent / "dashboards"

BOARDS: dict[str, Callable[[], Board]] = {
    "province": province.board,
    "ddn-links": ddn.board,
    "device": device.board,
    "dc-hosts": dc_hosts.board,
    "wifi-cameras": wifi_cameras.board,
    "portals": portals.board,
    "fleet": fleet.board,
    "config-changes": config_changes.board,
    "availability": availability.board,
}
"""File name (without ``.json``) -> the function that lays the dashboard out."""


def canonical(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` read by the SDK and written back: the form Grafana's own model gives it, with
    each panel plugin's defaults filled in."""
    register_default_plugins()
    return dict(json.loads(JSONEncoder(sort_keys=True).encode(Dashboard.from_json(data))))


def render(name: str) -> str:
    """The dashboard's JSON in its canonical form: keys sorted, Vietnamese written as it is,
    one trailing newline."""
    built = json.loads(JSONEncoder(sort_keys=True).encode(BOARDS[name]().build()))
    return json.dumps(canonical(built), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_all(folder: Path = FOLDER) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in BOARDS:
        path = folder / f"{name}.json"
        path.write_text(render(name), encoding="utf-8")
        written.append(path)
    return written


def drifted(folder: Path = FOLDER) -> list[str]:
    """The dashboards whose file is missing or differs from what the code builds, and files
    no dashboard builds."""
    stale = [
        name
        for name in BOARDS
        if not (folder / f"{name}.json").is_file()
        or (folder / f"{name}.json").read_text(encoding="utf-8") != render(name)
    ]
    extra = sorted(p.stem for p in folder.glob("*.json") if p.stem not in BOARDS)
    return stale + extra
