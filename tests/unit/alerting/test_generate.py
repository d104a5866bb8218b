"""`netwarden alerting generate`: the Alertmanager 0.25 configuration for the example province
and for the lab's inventory passes `amtool check-config`, routes every alert to the collector
first and then to the right people, keeps secrets out of standard output, and carries inhibit
rules computed from the topology."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from netwarden.alerting.inhibitions import NEVER_HIDDEN
from netwarden.lab.inventory_file import build_inventory, write_inventory
from netwarden.lab.topology import build_plan

REPO = Path(__file__).parents[3]
PROVINCE = REPO / "examples" / "province"
CONFIG = REPO / "examples" / "alerting.yaml"
TOKEN = "7123456789:AAH-telegram-bot-token-for-tests"
NETWARDEN = [sys.executable, "-m", "netwarden"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*NETWARDEN, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )


def amtool(*args: str) -> subprocess.CompletedProcess[str]:
    found = shutil.which("amtool")
    assert found, "amtool is missing: run scripts/setup.sh (Debian prometheus-alertmanager)"
    return subprocess.run([found, *args], capture_output=True, text=True, timeout=60, check=False)


def _config(tmp_path: Path, text: str | None = None) -> Path:
    """examples/alerting.yaml with the Zalo URL in a file of ``tmp_path`` (or ``text``)."""
    url_file = tmp_path / "zalo.url"
    url_file.write_text("https://zalo-gateway.example.vn/hook?key=zalo-s3cret\n")
    path = tmp_path / "alerting.yaml"
    body = text if text is not None else CONFIG.read_text()
    path.write_text(body.replace("file:/etc/alertmanager/zalo-webhook.url", f"file:{url_file}"))
    return path


def _generate(tmp_path: Path, inventory: Path, config: Path) -> tuple[Path, dict[str, Any]]:
    out = tmp_path / "alertmanager.yml"
    done = run(
        "alerting",
        "generate",
        "-i",
        str(inventory),
        "--config",
        str(config),
        "--output",
        str(out),
        env={"NW_TELEGRAM_BOT_TOKEN": TOKEN},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert done.stderr == f"wrote {out} (mode 0600)\n"
    assert out.stat().st_mode & 0o777 == 0o600
    return out, yaml.safe_load(out.read_text())


def _lab_inventory(tmp_path: Path) -> Path:
    path = tmp_path / "lab-inventory.yaml"
    write_inventory(build_inventory(build_plan(), Path("/run/netwarden-lab/secrets")), path)
    return path


@pytest.mark.parametrize("inventory", ["province", "lab"])
def test_amtool_accepts_the_configuration(tmp_path: Path, inventory: str) -> None:
    source = PROVINCE if inventory == "province" else _lab_inventory(tmp_path)
    out, _ = _generate(tmp_path, source, _config(tmp_path))
    done = amtool("check-config", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def _routes(config: Path, **labels: str) -> str:
    pairs = [f"{k}={v}" for k, v in labels.items()]
    done = amtool("config", "routes", "test", f"--config.file={config}", *pairs)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_every_alert_goes_to_the_collector_first_then_where_it_belongs(tmp_path: Path) -> None:
    out, _ = _generate(tmp_path, PROVINCE, _config(tmp_path))
    assert (
        _routes(
            out,
            alertname="NetwardenLinkDown",
            site="core",
            severity="critical",
            incident="link/tsl-so-khcn",
        )
        == "netwarden-collector,noc-pager"
    )
    assert (
        _routes(
            out, alertname="NetwardenHotspotUnavailable", site="hs-ho-nui-coc", severity="warning"
        )
        == "netwarden-collector,contractor"
    )
    assert (
        _routes(out, alertname="NetwardenConfigChanged", site="so-khcn", severity="warning")
        == "netwarden-collector,noc"
    )
    assert _routes(out, alertname="Watchdog", site="dc", severity="none") == (
        "netwarden-collector,deadman"
    )
    assert (
        _routes(
            out,
            alertname="NetwardenIncidentUnacknowledged",
            severity="critical",
            incident="incident/42",
        )
        == "netwarden-collector,truc-ca"
    )


def test_the_route_tree(tmp_path: Path) -> None:
    _, config = _generate(tmp_path, PROVINCE, _config(tmp_path))
    route = config["route"]
    assert route["group_by"] == ["site", "incident"]
    collector, watchdog, escalation, people = route["routes"]
    assert collector == {
        "receiver": "netwarden-collector",
        "continue": True,
        "group_wait": "10s",
        "group_interval": "1m",
        "repeat_interval": "1h",
    }
    assert (watchdog["matchers"], watchdog["repeat_interval"]) == (['alertname="Watchdog"'], "1m")
    assert escalation["receiver"] == "truc-ca"
    assert escalation["matchers"] == ['alertname="NetwardenIncidentUnacknowledged"']
    assert people["receiver"] == "noc" and "group_by" not in people  # inherits site, incident
    webhook = next(r for r in config["receivers"] if r["name"] == "netwarden-collector")
    assert webhook["webhook_configs"] == [
        {
            "url": "https://collector.thainguyen.gov.vn:9440/api/v1/alerts/alertmanager",
            "send_resolved": True,
            "http_config": {
                "authorization": {
                    "type": "Bearer",
                    "credentials_file": "/etc/alertmanager/netwarden-alerts.token",
                },
                "tls_config": {"ca_file": "/etc/alertmanager/netwarden-collector-ca.pem"},
            },
        }
    ]


def test_secrets_stay_files_where_alertmanager_reads_files(tmp_path: Path) -> None:
    out, config = _generate(tmp_path, PROVINCE, _config(tmp_path))
    receivers = {r["name"]: r for r in config["receivers"]}
    (email,) = receivers["noc"]["email_configs"]
    assert email["auth_password_file"] == "/etc/alertmanager/smtp-password"
    assert "auth_password" not in email
    sms = receivers["noc-pager"]["webhook_configs"][0]["http_config"]["authorization"]
    assert sms == {"type": "Bearer", "credentials_file": "/etc/alertmanager/sms-gateway.token"}
    # Where 0.25 has no *_file field, the value is in the (0600) file: the Telegram token and
    # the Zalo URL, which is itself the secret.
    assert receivers["noc"]["telegram_configs"][0]["bot_token"] == TOKEN
    zalo = receivers["truc-ca"]["webhook_configs"][1]["url"]
    assert zalo == "https://zalo-gateway.example.vn/hook?key=zalo-s3cret"
    assert "holds secrets" in out.read_text().split("global:")[0]


def test_a_secret_is_never_printed(tmp_path: Path) -> None:
    done = run(
        "alerting",
        "generate",
        "-i",
        str(PROVINCE),
        "--config",
        str(_config(tmp_path)),
        env={"NW_TELEGRAM_BOT_TOKEN": TOKEN},
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        "netwarden: error: receiver 'noc': the Telegram bot token: Alertmanager 0.25 cannot "
        "read it from a file, so it would be written into the configuration; use --output "
        "FILE (written with mode 0600), never standard output\n"
    )
    assert TOKEN not in done.stderr


def test_without_inline_secrets_it_prints_to_stdout(tmp_path: Path) -> None:
    config = tmp_path / "alerting.yaml"
    config.write_text(
        "collector: {url: 'https://198.18.10.61:9440', token_file: /etc/am/collector.token}\n"
        "receivers:\n"
        "  people: {webhook: [{url: 'https://sms.example.vn/hook', "
        "bearer_token: 'file:/etc/am/sms.token'}]}\n"
        "people: {receiver: people}\n"
        "escalation: {receiver: people}\n"
    )
    done = run("alerting", "generate", "-i", str(PROVINCE), "--config", str(config))
    assert done.returncode == 0, done.stderr
    printed = yaml.safe_load(done.stdout)
    assert printed["route"]["routes"][1]["receiver"] == "netwarden-null"  # no dead man's switch
    again = run("alerting", "generate", "-i", str(PROVINCE), "--config", str(config))
    assert again.stdout == done.stdout  # deterministic
    assert "holds secrets" not in done.stdout


def test_an_unreadable_or_empty_secret_is_one_line(tmp_path: Path) -> None:
    done = run(
        "alerting",
        "generate",
        "-i",
        str(PROVINCE),
        "--config",
        str(_config(tmp_path)),
        "--output",
        str(tmp_path / "am.yml"),
        env={"NW_TELEGRAM_BOT_TOKEN": " "},
    )
    assert done.returncode == 1
    assert done.stderr == (
        "netwarden: error: receiver 'noc': the Telegram bot token: secret "
        "env:NW_TELEGRAM_BOT_TOKEN is empty\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "NW_TELEGRAM_BOT_TOKEN"}
    done = subprocess.run(
        [
            *NETWARDEN,
            "alerting",
            "generate",
            "-i",
            str(PROVINCE),
            "--config",
            str(_config(tmp_path)),
            "--output",
            str(tmp_path / "am2.yml"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert done.returncode == 1
    assert done.stderr == (
        "netwarden: error: receiver 'noc': the Telegram bot token: secret "
        "env:NW_TELEGRAM_BOT_TOKEN: environment variable is not set\n"
    )
    assert not (tmp_path / "am2.yml").exists()


def test_a_secret_url_that_is_not_a_url_is_refused_without_showing_it(tmp_path: Path) -> None:
    config = _config(tmp_path)
    (tmp_path / "zalo.url").write_text("zalo-s3cret-but-no-url\n")
    done = run(
        "alerting",
        "generate",
        "-i",
        str(PROVINCE),
        "--config",
        str(config),
        "--output",
        str(tmp_path / "am.yml"),
        env={"NW_TELEGRAM_BOT_TOKEN": TOKEN},
    )
    assert done.returncode == 2
    assert "zalo-s3cret" not in done.stderr
    assert done.stderr == (
        f"netwarden: error: receiver 'truc-ca': the webhook URL in file:{tmp_path / 'zalo.url'} "
        "is not an http(s) URL\n"
    )


def test_inhibit_rules_follow_the_lab_topology(tmp_path: Path) -> None:
    _, config = _generate(tmp_path, _lab_inventory(tmp_path), _config(tmp_path))
    rules = config["inhibit_rules"]

    def targets(*source: str) -> list[list[str]]:
        return [r["target_matchers"] for r in rules if r["source_matchers"] == list(source)]

    line = ('alertname="NetwardenLinkDown"', 'link="tsl-so-khcn"')
    assert targets(*line) == [['site="so-khcn"', NEVER_HIDDEN]]
    agent = ('alertname="NetwardenAgentDown"', 'agent="agent-so-tc"')
    assert targets(*agent) == [
        ['agent="agent-so-tc"', NEVER_HIDDEN],
        ['site=~"cam-qt-vo-nguyen-giap|so-tc"', NEVER_HIDDEN],
    ]
    router = ('alertname="NetwardenDeviceDown"', 'device="core-rtr"')
    assert targets(*router) == [
        ['link=~"tsl-dc|tsl-p-phan-dinh-phung|tsl-so-khcn|tsl-so-tc"', NEVER_HIDDEN],
        ['site=~"cam-qt-vo-nguyen-giap|dc|p-phan-dinh-phung|so-khcn|so-tc"', NEVER_HIDDEN],
    ]
    assert rules[-1] == {
        "source_matchers": ['severity="critical"'],
        "target_matchers": ['severity=~"warning|info"', NEVER_HIDDEN],
        "equal": ["incident"],
    }
    # 4 lines, 5 agents (each: itself, and its sites), 1 core router (lines, sites), 1 generic.
    assert len(rules) == 4 + 5 * 2 + 2 + 1


def test_ids_with_dots_are_matched_literally(tmp_path: Path) -> None:
    inventory = yaml.safe_load(_lab_inventory(tmp_path).read_text())
    inventory["sites"][1]["id"] = "so.khcn"
    for item in inventory["devices"] + inventory["services"] + inventory["agents"]:
        if item["site"] == "so-khcn":
            item["site"] = "so.khcn"
    path = tmp_path / "dotted.yaml"
    path.write_text(yaml.safe_dump(inventory, allow_unicode=True))
    out, config = _generate(tmp_path, path, _config(tmp_path))
    targets = [m for r in config["inhibit_rules"] for m in r["target_matchers"]]
    assert 'site="so.khcn"' in targets  # an equality matcher: no regex at all
    assert any("so[.]khcn" in m for m in targets)  # inside a regex: a literal dot
    assert amtool("check-config", str(out)).returncode == 0
