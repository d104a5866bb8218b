"""``load_inventory``: files and directories in, a checked :class:`Inventory` or every problem out.

The steps: expand paths to files, read each file (YAML with line numbers), merge the files,
validate item by item, then check references across items. Problems of every step are
collected and reported together; only cross-references are skipped when a file could not be
read at all, since the ids it would have defined are unknown.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from netwarden.errors import InventoryError, NetwardenError
from netwarden.inventory.build import build
from netwarden.inventory.merge import merge
from netwarden.inventory.model import Inventory
from netwarden.inventory.problems import Finding, Problem, render, with_path
from netwarden.inventory.references import check_references
from netwarden.inventory.yaml_source import Document, read_document

log = logging.getLogger(__name__)

SUFFIXES = (".yaml", ".yml")


def _files_of(path: Path, given: str) -> tuple[list[Path], Problem | None]:
    try:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and p.is_file())
            if not found:
                return [], Problem(given, 1, "no *.yaml or *.yml files in this directory")
            return found, None
        if path.exists():
            return [path], None
    except OSError as exc:
        return [], Problem(given, 1, f"cannot read: {(exc.strerror or str(exc)).lower()}")
    except ValueError:  # a NUL byte in the name
        return [], Problem(given, 1, "not a valid path")
    return [], Problem(given, 1, "no such file or directory")


def expand(paths: Sequence[str | Path]) -> tuple[list[tuple[Path, str]], list[Problem]]:
    """The files to read, as (path, name shown in problems), and problems with the paths.

    A directory stands for its ``*.yaml`` and ``*.yml`` files, sorted by name, not recursing
    into subdirectories. A file named twice is read once.
    """
    files: list[tuple[Path, str]] = []
    problems: list[Problem] = []
    seen: set[Path] = set()
    for given in paths:
        found, problem = _files_of(Path(given), str(given))
        if problem is not None:
            problems.append(problem)
        for file in found:
            if file.resolve() not in seen:
                seen.add(file.resolve())
                files.append((file, str(file)))
    return files, problems


def check(paths: Sequence[str | Path]) -> tuple[Inventory | None, list[str]]:
    """Load ``paths``; return the inventory (None if invalid) and the problem lines, sorted."""
    files, problems = expand(paths)
    if not paths:
        problems.append(Problem("<inventory>", 1, "no inventory files given"))
    paths_ok = not problems
    docs: list[Document] = []
    for path, name in files:
        doc, found = read_document(path, name)
        problems += found
        if doc is not None:
            docs.append(doc)
    # Without every file, the province or an id may be in the missing one: don't guess.
    complete = paths_ok and len(docs) == len(files)
    merged = merge(docs, complete=complete)
    problems += merged.problems
    built = build(merged.data)
    findings = list(built.findings)
    if complete:
        findings += [
            Finding(built.merged_loc(f.loc), f.message, f.related and built.merged_loc(f.related))
            for f in check_references(built.inventory, built.unvalidated)
        ]
    for finding in findings:
        file, line = merged.locate(finding.loc)
        message = with_path(merged.path(finding.loc), finding.message)
        if finding.related is not None:
            message += f" (first at {merged.where(finding.related)})"
        problems.append(Problem(file, line, message))
    lines = render(problems)
    log.debug("inventory: %d files read, %d problems", len(docs), len(lines))
    return (None if lines else built.inventory), lines


def load_inventory(paths: Sequence[str | Path]) -> Inventory:
    """Load and check the inventory made of ``paths`` (files or directories of YAML files).

    A single path may also be given on its own.

    Raises :class:`netwarden.errors.InventoryError` whose ``problems`` holds every problem
    found, one ``PATH:LINE: message`` line each, sorted by path then line.
    """
    if isinstance(paths, str | Path):  # one path given bare: not a sequence of characters
        paths = [paths]
    inventory, problems = check(paths)
    if inventory is None:
        raise InventoryError(problems)
    return inventory


def file_stamps(paths: Sequence[Path]) -> tuple[float, ...]:
    """Modification times of the inventory's paths and the files they hold (-1 if unreadable):
    compare two calls to notice that an inventory changed and should be reloaded."""
    stamps: list[float] = []
    for path in paths:
        try:
            files = (
                sorted(p for p in path.iterdir() if p.suffix in SUFFIXES) if path.is_dir() else []
            )
        except OSError:
            files = []
        for item in [path, *files]:
            try:
                stamps.append(item.stat().st_mtime)
            except OSError:
                stamps.append(-1.0)
    return tuple(stamps)


def reload_or_log(load: Callable[[], Inventory], log: logging.Logger) -> Inventory | None:
    """``load()``'s inventory, or None after logging why it was rejected, problem by problem:
    a running agent or collector keeps the inventory it has when a reload is bad."""
    try:
        return load()
    except InventoryError as exc:
        for problem in exc.problems:
            log.error("inventory reload rejected: %s", problem)
    except NetwardenError as exc:
        log.error("inventory reload rejected: %s", exc)
    return None
