"""The rendered rule files on disk: write them, or tell which ones drifted."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from netwarden.alerting.private_file import write_atomic
from netwarden.alerting.rules.render import render_rules, render_test_rules
from netwarden.alerting.thresholds import load_thresholds
from netwarden.errors import NetwardenError


def _rendered(thresholds: Sequence[Path], rules_dir: Path, test_dir: Path) -> dict[Path, str]:
    loaded = load_thresholds(thresholds)
    files = {rules_dir / name: text for name, text in render_rules(loaded).items()}
    files |= {test_dir / name: text for name, text in render_test_rules(loaded).items()}
    return files


def write_files(thresholds: Sequence[Path], rules_dir: Path, test_dir: Path) -> list[Path]:
    """Render and write every rule file; returns the paths written. Other files in the
    directories (a province's own rules) are left alone."""
    files = _rendered(thresholds, rules_dir, test_dir)
    for path, text in files.items():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise NetwardenError(f"cannot write {path}: {exc.strerror or exc}") from exc
        write_atomic(path, text)
    return list(files)


def check_files(thresholds: Sequence[Path], rules_dir: Path, test_dir: Path) -> list[str]:
    """One line per rule file that is missing or differs from the rendering."""
    stale = []
    for path, text in _rendered(thresholds, rules_dir, test_dir).items():
        try:
            same = path.read_text(encoding="utf-8") == text
        except OSError:
            same = False
        if not same:
            stale.append(
                f"{path}: not the rendering of the thresholds; run `netwarden alerting rules`"
            )
    return stale
