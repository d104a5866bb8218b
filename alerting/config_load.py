"""Reading ``alerting.yaml``: every problem reported as ``FILE:LINE: path: message``."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from netwarden.alerting.config_model import AlertingConfig
from netwarden.errors import ConfigError
from netwarden.inventory.messages import findings
from netwarden.inventory.problems import Problem, field_path, render, with_path
from netwarden.inventory.yaml_source import read_document


def load_config(path: Path) -> AlertingConfig:
    """The alerting configuration in ``path``; :class:`ConfigError` lists every problem."""
    doc, problems = read_document(path, str(path))
    if doc is None or problems:
        raise ConfigError("the alerting configuration", render(problems))
    if not isinstance(doc.data, dict):
        problem = Problem(doc.file, 1, "must be a mapping (collector, receivers, ...)")
        raise ConfigError("the alerting configuration", [str(problem)])
    try:
        return AlertingConfig.model_validate(doc.data)
    except ValidationError as exc:
        found = [
            Problem(doc.file, doc.line(f.loc), with_path(field_path(doc.data, f.loc), f.message))
            for f in findings(exc, AlertingConfig, ())
        ]
        raise ConfigError("the alerting configuration", render(found)) from None
