"""collect_config and config_diff through the agent's git-backed config store, with the fake
SSH runner serving the device's running configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.agent.actions.rig import DATA, rig, run_async

RUNNING = (DATA / "configs" / "cisco_ios" / "running-config.txt").read_text()


@run_async
async def test_collect_config_backs_up_and_config_diff_shows_the_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = {"show running-config": RUNNING}
    r = rig(tmp_path, monkeypatch, ssh_outputs={"sw-1": outputs})
    first = await r.run("collect_config", {"device": "sw-1"})
    assert first.ok, first.error
    assert first.output is not None
    assert (first.output["status"], first.output["changed"], first.output["new"]) == (
        "new",
        False,
        True,
    )
    same = await r.run("collect_config", {"device": "sw-1"})
    assert same.output is not None and same.output["status"] == "unchanged"
    assert same.output["revision"] == first.output["revision"]
    outputs["show running-config"] = RUNNING.replace(
        "hostname", "banner motd ^Bao tri^\nhostname", 1
    )
    changed = await r.run("collect_config", {"device": "sw-1"})
    assert changed.output is not None
    assert (changed.output["status"], changed.output["changed"]) == ("changed", True)
    assert changed.text == f"config backup of sw-1: changed, {changed.output['revision'][:12]}\n"
    diff = await r.run("config_diff", {"device": "sw-1"})
    assert diff.ok, diff.error
    assert diff.output is not None
    assert diff.output["from_rev"] == first.output["revision"]
    assert diff.output["to_rev"] == changed.output["revision"]
    assert diff.output["changed"] is True
    assert "+banner motd ^Bao tri^\n" in diff.output["diff"]
    assert diff.text.startswith(
        f"sw-1: {first.output['revision'][:12]} -> {changed.output['revision'][:12]}\n"
    )
    # The first backup against itself: no difference.
    rev = first.output["revision"][:8]
    none = await r.run("config_diff", {"device": "sw-1", "from_rev": rev, "to_rev": rev})
    assert none.output is not None and none.output["changed"] is False
    assert none.text.endswith("(no difference)\n")
    r.close()


@run_async
async def test_config_actions_fail_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = "% Authorization failed.\n"
    r = rig(tmp_path, monkeypatch, ssh_outputs={"sw-1": {"show running-config": refused}})
    failed = await r.run("collect_config", {"device": "sw-1"})
    assert not failed.ok
    assert failed.error == (
        "config backup of sw-1 failed: show running-config: % Authorization failed."
    )
    assert failed.output is not None
    assert (failed.output["status"], failed.output["reason"]) == ("failed", "output")
    never = await r.run("config_diff", {"device": "sw-1"})
    assert never.error == f"config_diff sw-1: no backup of sw-1 in the store {tmp_path / 'configs'}"
    host = await r.run("collect_config", {"device": "srv-1"})
    assert host.error == "config backup of srv-1 failed: no backup command for platform linux"
    other = await r.run("config_diff", {"device": "sw-2"})
    assert other.error.startswith("device sw-2 is not in the inventory of agent agent-a")
    r.close()


@run_async
async def test_an_agent_without_a_config_store_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = rig(tmp_path, monkeypatch, with_store=False)
    for action in ("collect_config", "config_diff"):
        outcome = await r.run(action, {"device": "sw-1"})
        assert outcome.error == (
            "agent agent-a keeps no configuration store (run it with --config-store)"
        )
    assert r.ssh.sessions == []
    r.close()
