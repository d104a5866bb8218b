"""``prometheus/thresholds.yml``: every threshold, ``for:`` duration and severity of the alert
rules, in one file a province edits; later files (``--thresholds`` given again) override
single values of earlier ones.

Strict like the inventory: unknown keys, wrong types and missing values are problems reported
as ``FILE:LINE: path: message``, all of them at once.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netwarden.alerting.rules import alert_params
from netwarden.alerting.rules.spec import ParamKind
from netwarden.errors import ConfigError
from netwarden.inventory.problems import Problem, render
from netwarden.inventory.yaml_source import Document, read_document

ValueKind = ParamKind | str  # plus "severity" and "text", which only the fixed keys take
Value = str | int | float

SEVERITIES = ("critical", "warning", "info", "none")
SETTINGS: dict[str, ValueKind] = {
    "monitoring_site": "name",  # the site label of alerts about the monitoring itself
    "agents_job": "name",
    "collector_job": "name",
    "rate_window": "duration",
    "runbook_base_url": "text",
}
RULE_KEYS: dict[str, ValueKind] = {
    "severity": "severity",
    "for": "duration",
    "keep_firing_for": "duration",
}
OPTIONAL_RULE_KEYS = frozenset({"keep_firing_for"})

_DURATION = re.compile(r"^(?:\d+(?:ms|s|m|h|d|w|y))+$")
_NAME = re.compile(r"^[A-Za-z0-9._-]+$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def duration_seconds(text: str) -> float:
    """Seconds in a Prometheus duration (``1h30m``, ``7d``)."""
    return sum(
        int(number) * _UNIT_SECONDS[unit]
        for number, unit in re.findall(r"(\d+)(ms|s|m|h|d|w|y)", text)
    )


@dataclass(frozen=True, slots=True)
class Located:
    """A value and where it was written (the last file that set it)."""

    value: Value
    file: str
    line: int


@dataclass(frozen=True, slots=True)
class RuleThresholds:
    severity: str
    for_: str
    keep_firing_for: str | None
    params: dict[str, Value]


@dataclass(frozen=True, slots=True)
class Thresholds:
    settings: dict[str, Value]
    rules: dict[str, RuleThresholds]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_duration(value: Any) -> bool:
    return isinstance(value, str) and _DURATION.match(value) is not None


def _is_ratio(value: Any) -> bool:
    return _is_number(value) and 0 <= value <= 1


def _is_positive(value: Any) -> bool:
    return _is_number(value) and value >= 0


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and _NAME.match(value) is not None


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_severity(value: Any) -> bool:
    return value in SEVERITIES


def _is_regex(value: Any) -> bool:
    if not isinstance(value, str) or '"' in value or "\n" in value:
        return False
    try:
        re.compile(value)
    except re.error:
        return False
    return True


_CHECKS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "duration": (_is_duration, "must be a duration like 30s, 5m, 2h or 7d"),
    "ratio":    (_is_ratio, "must be a number from 0 to 1"),
    "number":   (_is_positive, "must be a number, at least 0"),
    "name":     (_is_name, "must be a name: letters, digits, '.', '_' or '-'"),
    "text":     (_is_text, "must be a non-empty string"),
    "severity": (_is_severity, f"must be one of {', '.join(SEVERITIES)}"),
    "regex":    (_is_regex, "must be a regular expression (without double quotes)"),
}  # fmt: skip


def check_value(kind: ValueKind, value: Any) -> str | None:
    """Why ``value`` is not a valid ``kind``, or None when it is."""
    valid, message = _CHECKS[kind]
    return None if valid(value) else message


def _unknown(key: str, allowed: Iterable[str]) -> str:
    close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
    return f"unknown key; did you mean '{close[0]}'?" if close else "unknown key"


class _Reader:
    """Merges documents into located values, collecting problems."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, ...], Located] = {}
        self.problems: list[Problem] = []
        self.params = alert_params()

    def problem(self, doc: Document, loc: tuple[str, ...], message: str) -> None:
        self.problems.append(Problem(doc.file, doc.line(loc), f"{'.'.join(loc)}: {message}"))

    def read(self, doc: Document) -> None:
        data = doc.data
        if not isinstance(data, dict):
            self.problems.append(Problem(doc.file, 1, "must be a mapping with settings and rules"))
            return
        for key, value in data.items():
            if key == "settings":
                self._section(doc, ("settings",), value, SETTINGS)
            elif key == "rules":
                self._rules(doc, value)
            else:
                self.problem(doc, (str(key),), _unknown(str(key), ("settings", "rules")))

    def _rules(self, doc: Document, rules: Any) -> None:
        if not isinstance(rules, dict):
            self.problem(doc, ("rules",), "must be a mapping of alert names")
            return
        for alert, entry in rules.items():
            if alert not in self.params:
                self.problem(doc, ("rules", str(alert)), _unknown(str(alert), self.params))
                continue
            self._section(doc, ("rules", alert), entry, RULE_KEYS | self.params[alert])

    def _section(
        self, doc: Document, loc: tuple[str, ...], entry: Any, kinds: dict[str, ValueKind]
    ) -> None:
        if not isinstance(entry, dict):
            self.problem(doc, loc, "must be a mapping")
            return
        for key, value in entry.items():
            where = (*loc, str(key))
            if key not in kinds:
                self.problem(doc, where, _unknown(str(key), kinds))
                continue
            why = check_value(kinds[key], value)
            if why is not None:
                self.problem(doc, where, why)
            else:
                self.values[where] = Located(value, doc.file, doc.line(where))

    def missing(self, base: Document) -> None:
        """Every value the merged files leave unset, located in the first file."""
        wanted: list[tuple[str, ...]] = [("settings", key) for key in SETTINGS]
        for alert, params in self.params.items():
            keys = [*(k for k in RULE_KEYS if k not in OPTIONAL_RULE_KEYS), *params]
            wanted += [("rules", alert, key) for key in keys]
        for loc in wanted:
            if loc not in self.values:
                self.problem(base, loc, "is required")


def _longer(
    values: dict[tuple[str, ...], Located], key: str, shorter: str, longer: str, why: str
) -> Problem | None:
    first, second = values.get(("rules", shorter, key)), values.get(("rules", longer, key))
    if first is None or second is None:
        return None
    if duration_seconds(str(second.value)) > duration_seconds(str(first.value)):
        return None
    message = f"rules.{longer}.{key}: must be longer than rules.{shorter}.{key} ({first.value})"
    return Problem(second.file, second.line, f"{message}, {why}")


def _ordering(values: dict[tuple[str, ...], Located]) -> list[Problem]:
    """One fault pages once only if the alert that explains it fires first and resolves last:
    a line down before the agent down it causes, that before the failed scrapes it causes
    (an inhibit rule hides nothing until its source fires); and the line down held longer
    after recovery than the agent down (docs/alerting.md)."""
    link, agent, scrape = "NetwardenLinkDown", "NetwardenAgentDown", "NetwardenAgentScrapeFailed"
    found = [
        _longer(values, "for", link, agent, f"or {agent} pages before {link} can hold it back"),
        _longer(values, "for", agent, scrape, f"or {scrape} pages before {agent} can hold it back"),
        _longer(
            values,
            "keep_firing_for",
            agent,
            link,
            f"or {agent} pages for a moment when the line is back",
        ),
    ]
    return [problem for problem in found if problem is not None]


def _build(values: dict[tuple[str, ...], Located]) -> Thresholds:
    settings = {loc[1]: v.value for loc, v in values.items() if loc[0] == "settings"}
    rules: dict[str, RuleThresholds] = {}
    for alert, params in alert_params().items():

        def get(key: str, alert: str = alert) -> Value | None:
            found = values.get(("rules", alert, key))
            return None if found is None else found.value

        keep = get("keep_firing_for")
        rules[alert] = RuleThresholds(
            severity=str(get("severity")),
            for_=str(get("for")),
            keep_firing_for=None if keep is None else str(keep),
            params={key: value for key in params if (value := get(key)) is not None},
        )
    return Thresholds(settings, rules)


def load_thresholds(paths: Sequence[Path]) -> Thresholds:
    """The thresholds of ``paths`` merged in order (the first complete, the others partial).

    Raises :class:`ConfigError` with every problem as ``FILE:LINE: message``.
    """
    reader = _Reader()
    docs: list[Document] = []
    for path in paths:
        doc, found = read_document(path, str(path))
        reader.problems += found
        if doc is not None:
            docs.append(doc)
            reader.read(doc)
    if docs and len(docs) == len(paths) and not reader.problems:
        reader.missing(docs[0])
    if not reader.problems:
        reader.problems += _ordering(reader.values)
    if reader.problems:
        raise ConfigError("the thresholds file", render(reader.problems))
    return _build(reader.values)
