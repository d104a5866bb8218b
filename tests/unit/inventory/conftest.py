"""Shared fixtures: the contract example inventory and a helper to write inventory files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

CONTRACT = Path(__file__).with_name("contract.yaml")
"""The example of the inventory contract, verbatim (comments included)."""


@pytest.fixture
def contract(tmp_path: Path) -> Path:
    """A copy of the contract example in a temporary directory."""
    path = tmp_path / "inventory.yaml"
    path.write_text(CONTRACT.read_text(encoding="utf-8"), encoding="utf-8")
    return path


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """write(name, text) -> path of a new file under the test's temporary directory."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return _write
