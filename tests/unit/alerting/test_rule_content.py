"""Every rendered rule carries what people and the incident intake need: severity, site (from
the series or set), an incident label, summaries in Vietnamese and English, and a runbook that
exists in docs/runbooks/ with its three parts."""

from __future__ import annotations

from pathlib import Path

import yaml

from netwarden.alerting.rules import GROUPS
from netwarden.alerting.thresholds import SEVERITIES

REPO = Path(__file__).parents[3]
INCIDENT_KINDS = (
    *("link/", "device/", "group/", "service/", "agent/", "incident/", "report/"),
    "{{ if ",
)


def _alerts() -> list[dict[str, object]]:
    found = []
    for group in GROUPS:
        document = yaml.safe_load((REPO / "prometheus" / "rules" / group.file).read_text())
        found += [rule for rule in document["groups"][0]["rules"] if "alert" in rule]
    return found


def test_every_alert_has_labels_and_bilingual_annotations() -> None:
    alerts = _alerts()
    assert len({a["alert"] for a in alerts}) == 33
    for alert in alerts:
        labels, notes = alert["labels"], alert["annotations"]
        assert isinstance(labels, dict) and isinstance(notes, dict)
        assert labels["severity"] in SEVERITIES
        assert str(labels["incident"]).startswith(INCIDENT_KINDS), alert["alert"]
        assert set(notes) == {"summary", "summary_vi", "description", "description_vi",
                              "runbook_url"}  # fmt: skip
        # Vietnamese text is written as it is (not escaped), with its diacritics.
        assert any(ord(c) > 127 for c in str(notes["summary_vi"])), alert["alert"]
        assert "<<" not in str(notes) and "<<" not in str(alert["expr"])


def test_every_runbook_exists_and_says_what_to_do() -> None:
    names = {str(a["alert"]) for a in _alerts()}
    for alert in _alerts():
        assert alert["annotations"]["runbook_url"] == f"docs/runbooks/{alert['alert']}.md"  # type: ignore[index]
    pages = {p.stem for p in (REPO / "docs" / "runbooks").glob("*.md")}
    assert pages == names
    for name in names:
        text = (REPO / "docs" / "runbooks" / f"{name}.md").read_text()
        assert text.startswith(f"# {name}\n")
        for part in ("## What it means", "## First checks", "## Run", "```sh\n"):
            assert part in text, (name, part)


def test_docs_list_every_alert_with_its_file() -> None:
    text = (REPO / "docs" / "alerting.md").read_text()
    for group in GROUPS:
        short = group.file.removeprefix("netwarden-").removesuffix(".yml")
        for alert in {a.alert for a in group.alerts}:
            assert f"| `{alert}` | {short} |" in text, alert
