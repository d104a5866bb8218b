"""reporting.yaml: a corpus of broken files with their exact ``PATH:LINE: message`` lines,
the shipped examples valid, the default internal networks, the CLI's one-line refusal."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from netwarden.reports.national.config import DEFAULT_INTERNAL, ReportingConfig
from netwarden.reports.national.config_loader import check_reporting, load_reporting
from netwarden.reports.national.errors import ReportingConfigError
from tests.unit.collector.collector_process import run_cli

ROOT = Path(__file__).parents[3]
CORPUS = ROOT / "tests" / "data" / "reports" / "invalid"
CASES = sorted(p.stem for p in CORPUS.glob("*.yaml"))
EXAMPLES = [
    ROOT / "examples" / "province" / "reporting" / "reporting.yaml",
    ROOT / "lab" / "reporting.yaml",
    ROOT / "tests" / "data" / "reports" / "reporting.yaml",
]


@pytest.mark.parametrize("case", CASES)
def test_invalid_configs_give_their_exact_problems(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(CORPUS)
    config, problems = check_reporting(Path(f"{case}.yaml"))
    expected = (CORPUS / f"{case}.expected").read_text(encoding="utf-8").splitlines()
    assert config is None and problems == expected


def test_every_corpus_file_has_its_expected_lines() -> None:
    assert {p.stem for p in CORPUS.glob("*.expected")} == set(CASES) and len(CASES) >= 4


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: str(p.relative_to(ROOT)))
def test_shipped_configs_are_valid_and_keep_lab_addresses_internal(path: Path) -> None:
    config = load_reporting(path)
    assert config.template == "tt20-2017"
    assert ipaddress.ip_network("198.18.0.0/15") in config.internal()
    assert config.organisation.name and config.recipients.initial


def test_defaults_are_rfc1918_and_the_dedicated_network_ranges() -> None:
    internal = {str(n) for n in ReportingConfig().internal()}
    assert {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"} <= internal
    assert internal == set(DEFAULT_INTERNAL)
    only = ReportingConfig(internal_networks=["203.0.113.0/24"], default_internal_networks=False)
    assert [str(n) for n in only.internal()] == ["203.0.113.0/24"]


def test_an_empty_config_is_blank_everywhere() -> None:
    config = ReportingConfig.model_validate({})
    assert config.organisation.name is None and config.recipients.notice == []
    assert config.deadlines.notice is None and config.deadlines.applies_to == "all"


def test_load_raises_with_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "reporting.yaml"
    bad.write_text("contact: {phone: 1}\ntemplate: x\n", encoding="utf-8")
    with pytest.raises(ReportingConfigError, match="reporting config has 2 problems") as info:
        load_reporting(bad)
    assert info.value.problems == [
        f"{bad}:1: contact.phone: must be a string, not a number",
        f"{bad}:2: template: unknown form version (known: tt20-2017)",
    ]


def test_collector_serve_refuses_a_bad_config_with_its_lines(tmp_path: Path) -> None:
    bad = tmp_path / "reporting.yaml"
    bad.write_text("deadlines: {notice: 5 days}\n", encoding="utf-8")
    inventory = ROOT / "tests" / "data" / "reports" / "province.yaml"
    done = run_cli(
        "collector",
        "serve",
        "-i",
        str(inventory),
        "--data-dir",
        str(tmp_path / "d"),
        "--insecure",
        "--listen",
        "127.0.0.1:0",
        "--reporting",
        str(bad),
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"{bad}:1: deadlines.notice: must be a time like 5d or 24h",
        "netwarden: error: reporting config has 1 problem",
    ]
