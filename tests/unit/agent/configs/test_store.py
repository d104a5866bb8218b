"""The git-backed store in a temporary directory: what it commits, what it reports, and that
concurrent writers (threads and processes) never lose or corrupt a backup."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from netwarden.agent.configs.store import ConfigStore, NeverBackedUp
from netwarden.errors import UsageError

ICT = timezone(timedelta(hours=7))
T0 = datetime(2024, 3, 5, 9, 0, 0, tzinfo=ICT)
BASE = "hostname sw\n!\ninterface lan0\n ip address 198.18.2.2 255.255.255.0\n!\nend\n"
SHUT = BASE.replace("255.255.255.0\n!", "255.255.255.0\n shutdown\n!")


def _git(store: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(store), *args], capture_output=True, text=True,
                          check=True, timeout=30).stdout  # fmt: skip


def test_new_unchanged_changed(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path / "configs")
    first = store.save("sw", BASE, T0)
    assert (first.changed, first.previous_commit) == (True, None)
    same = store.save("sw", BASE, T0 + timedelta(minutes=1))
    assert (same.changed, same.commit, same.previous_commit) == (False, first.commit, first.commit)
    shut = store.save("sw", SHUT, T0 + timedelta(minutes=2))
    assert shut.changed and shut.previous_commit == first.commit and shut.commit != first.commit
    # git itself agrees: two commits for the device, message and time as documented.
    log = _git(tmp_path / "configs", "log", "--format=%H|%s|%cI", "--", "sw.cfg").splitlines()
    assert log == [
        f"{shut.commit}|backup sw 2024-03-05T09:02:00+07:00|2024-03-05T09:02:00+07:00",
        f"{first.commit}|backup sw 2024-03-05T09:00:00+07:00|2024-03-05T09:00:00+07:00",
    ]
    assert (tmp_path / "configs" / "sw.cfg").read_text() == SHUT
    assert _git(tmp_path / "configs", "status", "--porcelain") == ""  # state.json is ignored


def test_records_keep_last_backup_and_last_change(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path)
    store.save("sw", BASE, T0)
    store.save("sw", BASE, T0 + timedelta(minutes=5))
    record = store.records()["sw"]
    assert record.last_backup == (T0 + timedelta(minutes=5)).timestamp()
    assert record.last_change == T0.timestamp()
    # A lost state file is rebuilt: the last change comes back from git's commit time.
    (tmp_path / "state.json").unlink()
    store.save("sw", BASE, T0 + timedelta(minutes=9))
    record = store.records()["sw"]
    assert (record.last_backup, record.last_change) == (
        (T0 + timedelta(minutes=9)).timestamp(),
        T0.timestamp(),
    )
    (tmp_path / "state.json").write_text("{not json")
    assert store.records() == {}


def test_history_lists_changes_only_newest_first(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path)
    commits = []
    for minute, text in enumerate([BASE, BASE, SHUT, SHUT, BASE]):
        commits.append(store.save("sw", text, T0 + timedelta(minutes=minute)).commit)
    store.save("other", BASE, T0)
    history = store.history("sw")
    assert [r.commit for r in history] == [commits[4], commits[2], commits[0]]
    assert [r.time for r in history] == [T0 + timedelta(minutes=m) for m in (4, 2, 0)]


def test_diff_of_the_last_change_names_commits_and_times(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path)
    old = store.save("sw", BASE, T0).commit
    store.save("other", "hostname other\n", T0 + timedelta(minutes=1))
    new = store.save("sw", SHUT, T0 + timedelta(minutes=2)).commit
    store.save("sw", SHUT, T0 + timedelta(minutes=3))  # unchanged: not "the last change"
    assert store.diff("sw") == (
        f"--- sw.cfg@{old[:12]}\t2024-03-05T09:00:00+07:00\n"
        f"+++ sw.cfg@{new[:12]}\t2024-03-05T09:02:00+07:00\n"
        "@@ -2,5 +2,6 @@\n"
        " !\n"
        " interface lan0\n"
        "  ip address 198.18.2.2 255.255.255.0\n"
        "+ shutdown\n"
        " !\n"
        " end\n"
    )


def test_diff_between_revisions_and_of_a_first_backup(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path)
    first = store.save("sw", BASE, T0).commit
    second = store.save("sw", SHUT, T0 + timedelta(minutes=1)).commit
    third = store.save("sw", BASE, T0 + timedelta(minutes=2)).commit
    assert "- shutdown" in store.diff("sw")
    # Explicit range: first..third holds the same text.
    assert store.compare("sw", first, third).text == ""
    # --to alone: the change that made that revision.
    change = store.compare("sw", to_rev=second)
    assert (change.before and change.before.commit, change.after.commit) == (first, second)
    assert "+ shutdown" in change.text
    # The first backup compares with nothing: everything is added.
    initial = store.compare("sw", to_rev=first)
    assert initial.before is None
    assert initial.text.startswith(
        f"--- /dev/null\n+++ sw.cfg@{first[:12]}\t2024-03-05T09:00:00+07:00\n"
    )
    assert initial.text.count("\n+") == len(BASE.splitlines()) + 1  # + the +++ header
    # A revision that only changed another device resolves to this device's state there.
    other = store.save("other", BASE, T0 + timedelta(minutes=3)).commit
    assert store.compare("sw", to_rev=other).after.commit == third
    assert store.show("sw", second) == SHUT
    assert store.show("sw", "HEAD") == BASE


def test_errors_are_one_line_and_typed(tmp_path: Path) -> None:
    store = ConfigStore(tmp_path / "none")
    with pytest.raises(NeverBackedUp, match="no backup of sw in the store"):
        store.diff("sw")
    assert not (tmp_path / "none").exists()  # reading never creates a store
    store.save("sw", BASE, T0)
    with pytest.raises(NeverBackedUp):
        store.history("sw2")
    with pytest.raises(UsageError, match="no revision 'deadbeef'"):
        store.diff("sw", "deadbeef")
    with pytest.raises(UsageError, match="no revision '--output=/tmp/x'"):
        store.show("sw", "--output=/tmp/x")
    for bad in ("../etc/passwd", "a/b", ".git", ""):
        with pytest.raises(UsageError, match="is not a device id"):
            store.save(bad, BASE, T0)


def test_global_git_config_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text("[user]\n name = Someone Else\n[commit]\n gpgsign = true\n"
                         "[core]\n hooksPath = /nonexistent\n")  # fmt: skip
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere"))  # must not redirect the store
    store = ConfigStore(tmp_path / "configs")
    store.save("sw", BASE, T0)
    monkeypatch.delenv("GIT_DIR")
    author = _git(tmp_path / "configs", "log", "-1", "--format=%an <%ae>")
    assert author.strip() == "netwarden <netwarden@localhost>"


def test_concurrent_saves_from_threads_lose_nothing(tmp_path: Path) -> None:
    devices = [f"sw-{n}" for n in range(6)]
    errors: list[BaseException] = []

    def writer(device: str) -> None:
        store = ConfigStore(tmp_path)  # one instance per thread, as CLI and agent would be
        try:
            for rev in range(4):
                store.save(device, f"hostname {device}\n! rev {rev}\n", T0 + timedelta(minutes=rev))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(d,)) for d in devices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    store = ConfigStore(tmp_path)
    for device in devices:
        assert len(store.history(device)) == 4
        assert store.show(device, "HEAD") == f"hostname {device}\n! rev 3\n"
    assert sorted(json.loads((tmp_path / "state.json").read_text())) == devices


WRITER = """
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from netwarden.agent.configs.store import ConfigStore
store, device = ConfigStore(Path(sys.argv[1])), sys.argv[2]
t0 = datetime(2024, 3, 5, tzinfo=timezone.utc)
for rev in range(5):
    store.save(device, f"hostname {device}\\n! rev {rev}\\n", t0 + timedelta(seconds=rev))
"""


def test_concurrent_saves_from_processes_lose_nothing(tmp_path: Path) -> None:
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), f"dev-{n}"],
                         stderr=subprocess.PIPE, text=True)
        for n in range(3)
    ]  # fmt: skip
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    store = ConfigStore(tmp_path)
    assert {d: len(store.history(d)) for d in ("dev-0", "dev-1", "dev-2")} == dict.fromkeys(
        ("dev-0", "dev-1", "dev-2"), 5
    )
    assert set(store.records()) == {"dev-0", "dev-1", "dev-2"}
    assert _git(tmp_path, "fsck", "--no-progress").strip() == ""


def test_a_naive_fetch_time_is_local_time(tmp_path: Path) -> None:
    naive = datetime(2024, 3, 5, 9, 0, 0)
    ConfigStore(tmp_path).save("sw", BASE, naive)
    assert ConfigStore(tmp_path).history("sw")[0].time == naive.astimezone()
