"""Loading ``reporting.yaml`` strictly: every problem as ``PATH:LINE: message``, as the
inventory does (the same YAML reader, messages and field paths)."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from netwarden.inventory.messages import findings
from netwarden.inventory.problems import Problem, field_path, render, with_path
from netwarden.inventory.yaml_source import read_document
from netwarden.reports.national.config import ReportingConfig
from netwarden.reports.national.errors import ReportingConfigError
from netwarden.reports.national.templates import versions


def check_reporting(path: Path) -> tuple[ReportingConfig | None, list[str]]:
    """The config at ``path`` (None if invalid) and its problem lines, sorted."""
    name = str(path)
    doc, problems = read_document(path, name)
    if doc is None:
        return None, render(problems)
    if not isinstance(doc.data, dict):
        return None, render([*problems, Problem(name, 1, "must be a mapping of settings")])
    config: ReportingConfig | None = None
    try:
        config = ReportingConfig.model_validate(doc.data)
    except ValidationError as exc:
        for finding in findings(exc, ReportingConfig, ()):
            where = with_path(field_path(doc.data, finding.loc), finding.message)
            problems.append(Problem(name, doc.line(finding.loc), where))
    version = doc.data.get("template", "tt20-2017")
    if isinstance(version, str) and version and version not in versions():
        known = ", ".join(versions())
        line = doc.line(("template",))
        problems.append(Problem(name, line, f"template: unknown form version (known: {known})"))
    lines = render(problems)
    return (None if lines else config), lines


def load_reporting(path: Path) -> ReportingConfig:
    """The checked config; ``ReportingConfigError`` holding every problem line otherwise."""
    config, problems = check_reporting(path)
    if config is None:
        raise ReportingConfigError(problems)
    return config
