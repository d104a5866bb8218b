"""alerting.yaml is strict: every problem is one line with file, line and path, and a secret
written in by mistake is refused without being shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from netwarden.alerting.config_load import load_config
from netwarden.errors import ConfigError

EXAMPLE = Path(__file__).parents[3] / "examples" / "alerting.yaml"
TEXT = EXAMPLE.read_text()
TELEGRAM = "        bot_token: env:NW_TELEGRAM_BOT_TOKEN\n  # Critical"


def _line_of(text: str, fragment: str) -> int:
    return text[: text.index(fragment)].count("\n") + 1


def test_the_example_loads() -> None:
    config = load_config(EXAMPLE)
    assert set(config.receivers) == {"noc", "noc-pager", "contractor", "truc-ca", "deadman"}
    assert config.email is not None and config.email.sender == "canhbao-mang@thainguyen.gov.vn"
    assert config.people.routes[0].matchers == ['severity="critical"']
    assert config.collector.timing.group_wait == "10s"


CASES = [
    # (replace, with, path and message, where)
    ("  url: https://collector", "  ulr: https://collector",
     "collector.ulr: unknown key; did you mean 'url'?", "  ulr:"),
    ("  receiver: truc-ca", "  receiver: truc-ca-dem",
     "escalation: unknown receiver 'truc-ca-dem'", "escalation:"),
    (TELEGRAM, "        bot_token: '7123:AAH-literal'\n  # Critical",
     "receivers.noc.telegram[0].bot_token: must be a secret reference env:NAME or "
     "file:/absolute/path; a literal secret is not allowed (value not shown)", "'7123:AAH"),
    ("['severity=\"critical\"']", "['severity=critical']",
     'people.routes[0].matchers[0]: must be a matcher like severity="critical" or site=~"hs-.*"',
     "['severity=critical']"),
    ("['site=~\"hs-.*|cg-.*\"'", "['site=~\"hs-(.*\"'",
     "people.routes[1].matchers[0]: has an invalid regular expression: missing ), unterminated "
     "subpattern at position 3", "['site=~"),
    ("  token_file: /etc/alertmanager/netwarden-alerts.token",
     "  token_file: netwarden-alerts.token",
     "collector.token_file: must be an absolute path (on the Alertmanager host)", "  token_file"),
    ("  noc-pager:", "  netwarden-null:",
     "receivers: receiver name 'netwarden-null' is reserved", "receivers:"),
    ("      - chat_id: -1001234567890\n" + TELEGRAM, "      - chat_id: 'minus one'\n" + TELEGRAM,
     "receivers.noc.telegram[0].chat_id: must be a whole number, not a string", "'minus one'"),
    ("  timing: {group_wait: 30s", "  timing: {group_wait: soon",
     "people.timing.group_wait: must be a duration like 30s, 5m, 2h or 7d", "  timing:"),
    ("  deadman:\n    webhook:\n      - url: https://healthchecks.thainguyen.gov.vn/ping/"
     "netwarden-alerting", "  deadman: {}",
     "receivers.deadman: needs at least one of 'email', 'telegram', 'webhook'", "  deadman:"),
    ("  smarthost: mail.thainguyen.gov.vn:587", "  smarthost: mail.thainguyen.gov.vn",
     "email.smarthost: must be host:port, like mail.tinh.gov.vn:587", "  smarthost:"),
    ("      - to: noc@thainguyen.gov.vn", "      - to: noc",
     "receivers.noc.email[0].to: must be an e-mail address (several: separated by commas)",
     "      - to: noc\n"),
    ("  url: https://collector", "  url: collector",
     "collector.url: must be an http:// or https:// URL with a host", "  url: collector"),
    ("      - url: file:/etc/alertmanager/zalo-webhook.url",
     "      - url: file:etc/alertmanager/zalo-webhook.url",
     "receivers.truc-ca.webhook[1].url: must be an http:// or https:// URL with a host",
     "file:etc"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "message", "where"), CASES)
def test_a_bad_configuration_is_one_problem(
    tmp_path: Path, old: str, new: str, message: str, where: str
) -> None:
    assert old in TEXT, old
    text = TEXT.replace(old, new, 1)
    path = tmp_path / "alerting.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    problems = caught.value.problems
    assert f"{path}:{_line_of(text, where)}: {message}" in problems
    # A misspelt key is also a missing one (reported at its mapping), as in the inventory.
    assert len(problems) == (2 if "unknown key" in message else 1), problems
    assert "7123:AAH" not in str(problems)


def test_a_receiver_sending_mail_needs_the_mail_server(tmp_path: Path) -> None:
    text = TEXT[: TEXT.index("email:\n  smarthost")] + TEXT[TEXT.index("receivers:") :]
    path = tmp_path / "alerting.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.problems == [f"{path}:1: email: is required: a receiver sends e-mail"]


def test_not_a_configuration(tmp_path: Path) -> None:
    path = tmp_path / "alerting.yaml"
    path.write_text("- collector\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.problems == [f"{path}:1: must be a mapping (collector, receivers, ...)"]
    assert str(caught.value) == "the alerting configuration has 1 problem"
