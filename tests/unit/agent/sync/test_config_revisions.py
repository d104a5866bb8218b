"""An enrolled agent sends each new configuration revision to the collector: through its disk
queue, oldest first, each once, also those an admin stored, and again after a crash or a stop
between the queueing and the marker, under the same result id (the collector keeps it once)."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import gzip
import hashlib
import json
import logging
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from netwarden.agent.configs.jobs import BackupJob, ConfigBackups
from netwarden.agent.configs.store import ConfigStore
from netwarden.agent.lifecycle import AgentLifecycle
from netwarden.agent.ssh.fake import FakeSshRunner
from netwarden.agent.ssh.pool import SshPool
from netwarden.agent.sync import config_revisions
from netwarden.agent.sync.async_disk_queue import AsyncDiskQueue
from netwarden.agent.sync.collector_link import CollectorLink, EnrolledOptions
from netwarden.agent.sync.config_revisions import RevisionShipper
from netwarden.agent.sync.disk_queue import DiskQueue, Item
from tests.unit.agent.sync.conftest import (
    AGENT,
    FAST,
    SITE,
    FakeDevices,
    assignment,
    run_async,
    wait_for,
)
from tests.unit.agent.sync.fake_collector import FakeCollector

SHOW_RUN = "show running-config"
T0 = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


def _config(payload: dict[str, Any]) -> str:
    raw = gzip.decompress(base64.b64decode(payload["config_gzip_b64"]))
    assert hashlib.sha256(raw).hexdigest() == payload["sha256"]
    return raw.decode()


def _backups(tmp_path: Path) -> ConfigBackups:
    pool = SshPool(FakeSshRunner({}), 1)
    pool.close()  # the shipper reads the store only
    backups = ConfigBackups(pool, ConfigStore(tmp_path / "configs"))
    backups.jobs["sw-1"] = BackupJob("sw-1", SITE, "switch", None, "", 60.0, pool, backups.store)
    return backups


def _queued(queue: DiskQueue) -> list[dict[str, Any]]:
    return [json.loads(e.body)["payload"] for e in queue.peek(100)]


@run_async
async def test_each_new_revision_once_oldest_first_also_an_admins(tmp_path: Path) -> None:
    backups = _backups(tmp_path)
    store = backups.store
    disk = DiskQueue(tmp_path / "queue.db")
    queue = AsyncDiskQueue(disk)
    marker = tmp_path / "config-revisions.json"
    shipper = RevisionShipper(backups, queue, marker)
    try:
        assert await shipper.ship_new() == 0  # nothing stored yet
        first = store.save("sw-1", "hostname sw-1\n", T0)
        store.save("sw-1", "hostname sw-1\n", T0 + timedelta(hours=1))  # unchanged: no commit
        second = store.save("sw-1", "hostname sw-1\n shutdown\n", T0 + timedelta(hours=2))
        store.save("sw-other", "hostname x\n", T0)  # not this agent's device
        assert await shipper.ship_new() == 2
        assert await shipper.ship_new() == 0  # shipped: the marker says so
        # An admin's `netwarden config backup` into the agent's store is a revision too.
        third = store.save("sw-1", "hostname sw-1\n", T0 + timedelta(hours=3))
        assert await shipper.ship_new() == 1
    finally:
        await queue.close()
    payloads = _queued(DiskQueue(tmp_path / "queue.db"))
    assert [(p["commit"], p["previous_commit"]) for p in payloads] == [
        (first.commit, None),
        (second.commit, first.commit),
        (third.commit, second.commit),
    ]
    assert [_config(p) for p in payloads] == [
        "hostname sw-1\n",
        "hostname sw-1\n shutdown\n",
        "hostname sw-1\n",
    ]
    assert payloads[1]["time"] == "2026-12-07T05:00:00+00:00"
    assert payloads[1]["fetched_at"] == (T0 + timedelta(hours=2)).timestamp()
    assert {k: payloads[0][k] for k in ("device", "site", "role")} == {
        "device": "sw-1", "site": SITE, "role": "switch"}  # fmt: skip
    assert json.loads(marker.read_text()) == {"sw-1": third.commit}


@run_async
async def test_a_crash_before_the_marker_sends_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backups = _backups(tmp_path)
    backups.store.save("sw-1", "hostname sw-1\n", T0)
    queue = AsyncDiskQueue(DiskQueue(tmp_path / "queue.db"))
    shipper = RevisionShipper(backups, queue, tmp_path / "config-revisions.json")

    def crash(shipped: dict[str, str]) -> None:
        raise OSError("power cut")

    try:
        monkeypatch.setattr(shipper, "_remember", crash)
        with pytest.raises(OSError, match="power cut"):
            await shipper.ship_new()
        monkeypatch.undo()
        assert await shipper.ship_new() == 1  # queued again: at least once
        assert await shipper.ship_new() == 0
    finally:
        await queue.close()
    # Under the id derived from the revision: the queue, still holding it, holds it once.
    assert len(_queued(DiskQueue(tmp_path / "queue.db"))) == 1


@run_async
async def test_a_stop_between_the_queueing_and_the_marker_sends_it_again_under_its_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The agent stops (FleetSync cancels the shipper) after the queue's transaction committed
    but before the marker moved: the restarted agent queues the revision again, and it must
    carry the same result id, or the collector cannot tell it from a new result."""
    backups = _backups(tmp_path)
    backups.store.save("sw-1", "hostname sw-1\n", T0)
    marker = tmp_path / "config-revisions.json"
    disk = DiskQueue(tmp_path / "queue.db")
    queue = AsyncDiskQueue(disk)
    committed, release = threading.Event(), threading.Event()
    put_many = disk.put_many

    def put_then_hold(items: Sequence[Item]) -> list[str]:
        ids = put_many(items)  # on disk: the transaction committed
        committed.set()
        release.wait(10.0)  # the queue's worker thread is still in the call when cancelled
        return ids

    monkeypatch.setattr(disk, "put_many", put_then_hold)
    shipping = asyncio.create_task(RevisionShipper(backups, queue, marker).ship_new())
    try:
        await wait_for(committed.is_set, 10, "the revision on disk in the queue")
        shipping.cancel()  # exactly between put_many and _remember
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await shipping
        assert not marker.exists()  # the interleaving happened: queued, not remembered
        (first,) = await queue.peek(10)
        await queue.ack(first.seq)  # and the uploader delivered it before the stop
    finally:
        release.set()
        await queue.close()
    queue = AsyncDiskQueue(DiskQueue(tmp_path / "queue.db"))  # the restarted agent
    try:
        assert await RevisionShipper(backups, queue, marker).ship_new() == 1  # at least once
        (again,) = await queue.peek(10)
    finally:
        await queue.close()
    assert again.id == first.id
    assert json.loads(again.body)["payload"] == json.loads(first.body)["payload"]


@run_async
async def test_a_configuration_too_large_to_send_is_skipped_and_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(config_revisions, "MAX_ENCODED", 64)
    backups = _backups(tmp_path)
    backups.store.save("sw-1", "hostname sw-1\n" + "".join(f"vlan {n}\n" for n in range(500)), T0)
    queue = AsyncDiskQueue(DiskQueue(tmp_path / "queue.db"))
    try:
        with caplog.at_level(logging.ERROR):
            assert await RevisionShipper(backups, queue, tmp_path / "m.json").ship_new() == 0
    finally:
        await queue.close()
    assert "configuration of sw-1 at" in caplog.text and "too large to send" in caplog.text


def _ssh_assignment() -> dict[str, Any]:
    document = assignment(())
    document["devices"] = [{"id": "sw-1", "site": SITE, "address": "198.18.1.2",
                            "role": "switch", "icmp": {"enabled": False},
                            "ssh": {"credential": "ssh-lab", "platform": "cisco_ios",
                                    "collect": False, "backup_interval": "1s"}}]  # fmt: skip
    document["credentials"]["ssh-lab"] = {"ssh": {"username": "ops", "password": "env:NW_X"}}
    return document


@run_async
async def test_the_enrolled_agent_backs_up_and_the_collector_receives_it(
    state_dir: Path, fake: FakeCollector, tmp_path: Path
) -> None:
    fake.set_assignment(AGENT, _ssh_assignment())
    runner = FakeSshRunner({SHOW_RUN: "hostname sw-1\n!\ninterface lan0\n!\nend\n"})
    settings = dataclasses.replace(FakeDevices().settings(), ssh_runner=runner,
                                   config_store=tmp_path / "configs")  # fmt: skip
    sync = dataclasses.replace(FAST, revisions_every=0.1)

    def agent() -> AgentLifecycle:
        link = CollectorLink(EnrolledOptions(state_dir, settings=sync))
        return AgentLifecycle(link, link, settings)

    first = agent()
    await first.start("127.0.0.1", 0)
    try:
        await wait_for(lambda: fake.results_of("config-revision"), 15, "a revision delivered")
    finally:
        await first.close()
    (sent,) = fake.results_of("config-revision")
    assert sent["payload"]["device"] == "sw-1"
    assert _config(sent["payload"]) == "hostname sw-1\n!\ninterface lan0\n!\nend\n"
    # A restart sends nothing new: its backups find the configuration unchanged, and should the
    # first agent have stopped between queueing the revision and its marker, the restart sends
    # it again under the same id (the collector counts a duplicate, not a second revision).
    before = len(runner.sessions)  # the first agent's backups: as many as the load allowed
    link = CollectorLink(EnrolledOptions(state_dir, settings=sync))
    second = AgentLifecycle(link, link, settings)
    await second.start("127.0.0.1", 0)
    marker = state_dir / "config-revisions.json"
    try:
        await wait_for(lambda: len(runner.sessions) >= before + 2, 15, "two more backups")
        # The marker is written after the queue's put: once it names the device, whatever this
        # agent queued for it is on disk, and an empty queue after that means delivered.
        await wait_for(
            lambda: marker.exists() and link.queue is not None and link.queue.stats().depth == 0,
            15,
            "the restarted agent's revisions shipped and delivered",
        )
        assert json.loads(marker.read_text()) == {"sw-1": sent["payload"]["commit"]}
        assert len(fake.results_of("config-revision")) == 1
    finally:
        await second.close()
