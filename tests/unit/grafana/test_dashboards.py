"""The dashboards as Grafana reads them: the committed JSON is what the code builds, the SDK
reads it back unchanged, panels have unique ids and do not overlap on the grid, every variable
and data source a panel names is defined, and every query is PromQL that Prometheus' own parser
(promtool) accepts. tests/lab/test_dashboard_queries.py runs every query on live lab data."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

from netwarden.grafana.build import BOARDS, FOLDER, canonical, drifted, render, write_all
from tests.grafana_queries import (
    BUILTINS,
    boards,
    panels,
    queries,
    split_label_values,
    strings,
    substitute,
    used,
    variable_query,
    variables,
)

NAMES = sorted(BOARDS)


def test_the_committed_json_is_what_the_code_builds() -> None:
    assert drifted() == [], "run `python -m netwarden.grafana` and commit grafana/dashboards/"
    assert sorted(p.stem for p in FOLDER.glob("*.json")) == NAMES


def test_the_regeneration_command_writes_and_checks(tmp_path: Path) -> None:
    check = subprocess.run(
        [sys.executable, "-m", "netwarden.grafana", "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    written = write_all(tmp_path)
    assert sorted(p.name for p in written) == [f"{n}.json" for n in NAMES]
    assert drifted(tmp_path) == []
    (tmp_path / "device.json").write_text("{}", encoding="utf-8")
    (tmp_path / "old-board.json").write_text("{}", encoding="utf-8")
    assert drifted(tmp_path) == ["device", "old-board"]


@pytest.mark.parametrize("name", NAMES)
def test_the_sdk_reads_each_file_back_unchanged(name: str) -> None:
    data = boards()[name]
    assert canonical(data) == data
    assert render(name) == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("name", NAMES)
def test_panel_ids_are_unique_and_panels_do_not_overlap(name: str) -> None:
    board = boards()[name]
    all_panels = list(panels(board))
    ids = [p["id"] for p in all_panels]
    assert len(ids) == len(set(ids)), f"{name}: repeated panel ids {ids}"
    assert all(isinstance(i, int) and i > 0 for i in ids)
    boxes = []
    for p in all_panels:
        g = p["gridPos"]
        assert g["w"] > 0 and g["h"] > 0 and g["x"] >= 0 and g["y"] >= 0, (name, p["title"])
        assert g["x"] + g["w"] <= 24, f"{name}: {p['title']} is wider than the grid"
        boxes.append((p["title"], g["x"], g["y"], g["x"] + g["w"], g["y"] + g["h"]))
    for a, b in combinations(boxes, 2):
        overlap = a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]
        assert not overlap, f"{name}: {a[0]!r} and {b[0]!r} overlap"


@pytest.mark.parametrize("name", NAMES)
def test_every_variable_and_datasource_is_defined(name: str) -> None:
    board = boards()[name]
    defined: list[str] = []
    for variable in variables(board):
        # A variable's query may use only the variables defined before it, as Grafana
        # resolves them in order.
        assert used(variable_query(variable)) <= set(defined) | BUILTINS, variable["name"]
        defined.append(variable["name"])
    assert len(defined) == len(set(defined))
    assert defined[0] == "datasource"
    assert variables(board)[0]["type"] == "datasource"
    assert variables(board)[0]["query"] == "prometheus"
    unknown = {v for text in strings(board) for v in used(text)} - set(defined) - BUILTINS
    assert not unknown, f"{name}: undefined variables {unknown}"
    for panel in panels(board):
        if panel["type"] in ("row", "text"):
            continue
        refs = [t["refId"] for t in panel["targets"]]
        assert refs and len(refs) == len(set(refs)), (name, panel["title"], refs)
        for source in (panel["datasource"], *(t["datasource"] for t in panel["targets"])):
            assert source == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]


@pytest.mark.parametrize("name", NAMES)
def test_titles_and_descriptions(name: str) -> None:
    board = boards()[name]
    assert board["title"] and board["uid"] == f"netwarden-{name}"
    assert all(p.get("title") for p in panels(board))
    assert "netwarden" in board["tags"]


def _sample_values(board: dict[str, Any]) -> dict[str, str]:
    values = {v["name"]: "x" for v in variables(board)}
    return values | {
        "__rate_interval": "1m",
        "__interval": "15s",
        "__range": "1h",
        "__range_s": "3600",
        "__range_ms": "3600000",
        "__interval_ms": "15000",
    }


def test_every_query_parses_with_promtool(tmp_path: Path) -> None:
    exprs: list[tuple[str, str]] = []
    for name, board in boards().items():
        values = _sample_values(board)
        exprs += [(q.key, substitute(q.expr, values)) for q in queries(name, board)]
        for variable in variables(board):
            if variable["type"] == "query":
                selector, _ = split_label_values(variable_query(variable))
                exprs.append((f"{name}/${variable['name']}", substitute(selector, values)))
    rules = {
        "groups": [
            {
                "name": "dashboards",
                "rules": [{"record": f"q_{n}", "expr": expr} for n, (_, expr) in enumerate(exprs)],
            }
        ]
    }
    (tmp_path / "rules.yml").write_text(json.dumps(rules))
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: run scripts/setup.sh (Debian package prometheus)"
    done = subprocess.run(
        [promtool, "check", "rules", str(tmp_path / "rules.yml")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(exprs)} rules found" in done.stdout


def test_the_readme_lists_every_dashboard_with_its_uid_and_panel_count() -> None:
    readme = (FOLDER.parent / "README.md").read_text(encoding="utf-8")
    listed = {}
    for line in readme.splitlines():
        cells = [c.strip(" `") for c in line.split("|")[1:-1]]
        if cells and cells[0].endswith(".json"):
            listed[cells[0].removesuffix(".json")] = (cells[1], cells[2], int(cells[3]))
    actual = {
        name: (board["uid"], board["title"], sum(1 for p in panels(board) if p["type"] != "row"))
        for name, board in boards().items()
    }
    assert listed == actual
