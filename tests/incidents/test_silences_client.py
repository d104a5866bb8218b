"""``AlertmanagerSilences`` against a real Alertmanager 0.25, and when there is none."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from netwarden.collector.incidents.errors import SilenceError
from netwarden.collector.incidents.maintenance import Matcher
from netwarden.collector.incidents.silences import AlertmanagerSilences
from netwarden.errors import UsageError
from tests.incidents.alertmanager_process import AlertmanagerProcess
from tests.ports import free_port

CONFIG = """
route: {receiver: nobody}
receivers: [{name: nobody}]
"""


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[AlertmanagerProcess]:
    am = AlertmanagerProcess(tmp_path / "am", CONFIG)
    am.start()
    try:
        yield am
    finally:
        am.stop()


def test_create_and_expire(alertmanager: AlertmanagerProcess) -> None:
    client = AlertmanagerSilences(alertmanager.url)
    try:
        now = time.time()
        matchers = [Matcher("site", "so-tc"), Matcher("job", "agent")]
        silence_id = client.create(matchers, now - 60, now + 3600, "user:lan", "thay switch")
        (found,) = alertmanager.silences()
        assert found["id"] == silence_id and found["status"]["state"] == "active"
        assert found["createdBy"] == "user:lan" and found["comment"] == "thay switch"
        seen = {(m["name"], m["value"], m["isRegex"], m["isEqual"]) for m in found["matchers"]}
        assert seen == {("site", "so-tc", False, True), ("job", "agent", False, True)}
        client.expire(silence_id)
        assert alertmanager.silences()[0]["status"]["state"] == "expired"
        client.expire(silence_id)  # again: expiring an expired silence is not an error
        client.expire("00000000-0000-0000-0000-000000000000")  # unknown: gone already
        with pytest.raises(SilenceError, match="refused the silence"):
            client.create(matchers, now + 100, now + 50, "user:lan", "ends before it starts")
    finally:
        client.close()


def test_an_unreachable_alertmanager_is_one_line() -> None:
    client = AlertmanagerSilences(f"http://127.0.0.1:{free_port()}", timeout=2)
    try:
        with pytest.raises(SilenceError, match="did not answer") as info:
            client.create([Matcher("site", "x")], 0, 1, "u", "c")
        assert "\n" not in str(info.value) and info.value.status == 502
    finally:
        client.close()
    with pytest.raises(UsageError, match="--alertmanager must be an http"):
        AlertmanagerSilences("127.0.0.1:9093")
