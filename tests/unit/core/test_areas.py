"""The areas (agent/, inventory/, ...) import only as netwarden.<area>: from the repository
root, where each folder is also a top-level module, importing it fails at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[3]
AREAS = ("agent", "collector", "discovery", "inventory", "lab", "playbooks")


def _python(code: str) -> subprocess.CompletedProcess[str]:
    # -c puts the working directory (the repository root) first on sys.path.
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False)  # fmt: skip


@pytest.mark.parametrize("area", AREAS)
def test_a_top_level_import_of_an_area_fails_with_one_line(area: str) -> None:
    assert (ROOT / area / "__init__.py").is_file()
    done = _python(f"import {area}.x")
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last == (
        f"ImportError: import netwarden.{area}, not {area}: {area}/ is part of the netwarden "
        "package"
    )


def test_the_same_areas_import_through_the_package() -> None:
    done = _python("import " + ", ".join(f"netwarden.{area}" for area in AREAS))
    assert (done.returncode, done.stderr) == (0, "")
