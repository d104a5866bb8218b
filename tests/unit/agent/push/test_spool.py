"""The push spool: append, replay after reopening, acknowledge, bounds, and what survives a
crash: kill -9 in the middle of appends, and a WAL torn at any byte."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from netwarden.agent.push.encode import SeriesEncoder
from netwarden.agent.push.samples import Block
from netwarden.agent.push.spool import FILE_NAME, Spool
from tests.unit.agent.push.test_encode import _rows
from tests.unit.agent.push.wire import write_request

NOW = float(int(time.time()))  # blocks must be younger than the default age bound


def block(at: float, seq_mark: int = 0) -> Block:
    body, samples = SeriesEncoder("agent-a", "dc").encode(_rows(), int(at * 1000) + seq_mark)
    return Block(at, body, samples)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def test_append_read_ack_and_replay_after_reopening(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.append([block(NOW + i) for i in range(5)])
    entries = spool.read(0, None, 12)  # 5 samples a block: two fit, the third does not
    assert [e.seq for e in entries] == [1, 2]
    assert entries[0].body == block(NOW).body
    spool.ack([2])  # blocks are acknowledged one by one, not as a prefix
    assert spool.stats().samples == 20 and spool.stats().blocks == 4
    spool.close()
    again = Spool(tmp_path)
    assert [e.seq for e in again.read(0, None, 1000)] == [1, 3, 4, 5]
    assert [e.seq for e in again.read(1, 5, 1000)] == [3, 4]
    assert again.read(0, None, 1)[0].seq == 1  # at least one block whatever the limit
    assert again.stats().samples == 20
    assert again.last_seq() == 5
    assert again.first_since(0, NOW + 3) == 4
    again.close()


def test_size_bound_drops_the_oldest_and_counts_them(tmp_path: Path) -> None:
    one = Spool(tmp_path)
    one.append([block(NOW)])
    size = one.stats().bytes
    one.close()
    spool = Spool(tmp_path, max_bytes=3 * size + 10)
    spool.append([block(NOW + i) for i in range(1, 6)])
    stats = spool.stats()
    assert stats.blocks == 3 and stats.bytes <= 3 * size + 10
    assert stats.dropped["size"] == 15  # three blocks of five samples
    assert [e.at for e in spool.read(0, None, 100)] == [NOW + 3, NOW + 4, NOW + 5]
    spool.close()
    spool.close()
    again = Spool(tmp_path)
    assert again.stats().dropped["size"] == 15  # the count survives a restart
    again.close()


def test_age_bound_applies_on_read_and_enforce(tmp_path: Path) -> None:
    clock = Clock()
    spool = Spool(tmp_path, max_age=3600, clock=clock)
    spool.append([block(NOW - 100), block(NOW)])
    assert spool.stats().oldest_age == pytest.approx(100)
    clock.now = NOW + 3550
    spool.enforce()
    assert spool.stats().blocks == 1 and spool.stats().dropped["age"] == 5
    clock.now = NOW + 3601
    assert spool.read(0, None, 100) == []
    assert spool.stats().dropped["age"] == 10 and spool.stats().oldest_age == 0
    spool.close()


def test_a_damaged_body_is_dropped_and_counted_never_sent(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.append([block(NOW), block(NOW + 1)])
    (body,) = spool._db.execute("SELECT body FROM blocks WHERE seq = 1").fetchone()
    flipped = bytes([body[0] ^ 0xFF]) + body[1:]  # a bit rot the CRC must catch
    spool._db.execute("UPDATE blocks SET body = ? WHERE seq = 1", (flipped,))
    assert [e.seq for e in spool.read(0, None, 100)] == [2]
    assert spool.stats().dropped["corrupt"] == 5 and spool.stats().blocks == 1
    spool.close()


def test_rejected_counts_persist(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.count_dropped("rejected", 3)
    spool.close()
    again = Spool(tmp_path)
    assert again.stats().dropped["rejected"] == 3
    again.close()


def test_an_unusable_directory_is_one_readable_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(Exception, match=r"push spool .*cannot open it"):
        Spool(tmp_path / "file")


WRITER = """
import sys, time
from pathlib import Path
from netwarden.agent.push.spool import Spool
from netwarden.agent.push.samples import Block
from tests.unit.agent.push.test_spool import block
spool = Spool(Path(sys.argv[1]))
n = 0
while True:
    spool.append([block(float(sys.argv[2]) + n)])
    n += 1
    print(n, flush=True)
"""


def test_kill_9_during_appends_loses_nothing_committed(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[4]
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), str(NOW)], cwd=root,
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout is not None
    committed = 0
    deadline = time.monotonic() + 60
    while committed < 40 and time.monotonic() < deadline:
        committed = int(proc.stdout.readline() or committed)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    proc.stdout.close()
    assert committed >= 40
    spool = Spool(tmp_path)
    entries = spool.read(0, None, 10**9)
    # Every append that returned is there, in order, each block whole.
    assert len(entries) >= committed
    assert [e.at for e in entries] == [NOW + i for i in range(len(entries))]
    assert all(len(write_request(e.body)) == 5 for e in entries)
    spool.close()


def test_a_wal_torn_at_any_byte_opens_to_a_prefix(tmp_path: Path) -> None:
    live = tmp_path / "live"
    spool = Spool(live)
    for i in range(6):
        spool.append([block(NOW + i)])
    # Copy the files as a power cut would leave them: database and WAL, not checkpointed.
    wal = live / f"{FILE_NAME}-wal"
    assert wal.stat().st_size > 0
    data = wal.read_bytes()
    spool.close()
    cuts = sorted({*range(0, len(data), max(1, len(data) // 40)), len(data) - 1, 33, 4096})
    for cut in cuts:
        torn = tmp_path / f"torn-{cut}"
        torn.mkdir()
        shutil.copy(live / FILE_NAME, torn / FILE_NAME)
        (torn / f"{FILE_NAME}-wal").write_bytes(data[:cut])
        reopened = Spool(torn)
        entries = reopened.read(0, None, 10**9)
        assert [e.at for e in entries] == [NOW + i for i in range(len(entries))], cut
        assert reopened.stats().blocks == len(entries)
        reopened.close()
        shutil.rmtree(torn)
