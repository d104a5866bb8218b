"""The state dir: atomic writes, one agent per dir (a lock), identity and its errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from netwarden.agent.sync.state_dir import AgentIdentity, StateDir, atomic_write
from netwarden.errors import NetwardenError, UsageError

IDENTITY = AgentIdentity("agent-a", "so-khcn", "https://127.0.0.1:9", False, 1.7e9)


def test_atomic_write_replaces_whole_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "assignment.json"
    atomic_write(target, b"old")
    assert target.read_bytes() == b"old"

    def crash(src: object, dst: object) -> None:
        raise OSError("power cut")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="power cut"):
        atomic_write(target, b"new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["assignment.json"]  # no temp left


def test_the_credential_is_private_from_creation(tmp_path: Path) -> None:
    state = StateDir(tmp_path / "s")
    state.create()
    state.write_credential("nwa.agent-a.s3cret")
    assert state.credential_path.stat().st_mode & 0o777 == 0o600
    assert state.credential().reveal() == "nwa.agent-a.s3cret"
    assert "s3cret" not in repr(state.credential())


def test_identity_round_trips_and_errors_are_one_line(tmp_path: Path) -> None:
    state = StateDir(tmp_path / "s")
    with pytest.raises(UsageError, match=r"is not enrolled: run `netwarden agent enroll` first"):
        state.read_identity()
    state.create()
    state.write_identity(IDENTITY)
    assert state.read_identity() == IDENTITY
    state.identity_path.write_text(json.dumps({"agent": "a"}))
    with pytest.raises(NetwardenError, match=r"agent.json is damaged \(missing 'site'\)"):
        state.read_identity()


def test_the_etag_goes_with_the_assignment(tmp_path: Path) -> None:
    state = StateDir(tmp_path / "s")
    state.create()
    assert state.read_etag() is None
    state.write_assignment(b"{}", "abc")
    assert (state.read_etag(), state.assignment_path.read_bytes()) == ("abc", b"{}")
    state.assignment_path.unlink()  # an etag without its assignment means nothing
    assert state.read_etag() is None


def test_a_second_agent_on_the_same_state_dir_is_refused(tmp_path: Path) -> None:
    state = StateDir(tmp_path / "s")
    with state.lock():
        with pytest.raises(NetwardenError) as caught, StateDir(tmp_path / "s").lock():
            pass
        assert str(caught.value) == (
            f"state dir {state.path} is in use by another netwarden agent (pid {os.getpid()})"
        )
    with state.lock():  # released on exit
        pass


def test_the_cli_refuses_a_second_agent_in_one_line(tmp_path: Path) -> None:
    state = StateDir(tmp_path / "s")
    state.create()
    state.write_identity(IDENTITY)
    with state.lock():
        start = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "netwarden", "agent", "run", "--state-dir", str(state.path),
             "--listen", "127.0.0.1:0"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr == (
        f"netwarden: error: state dir {state.path} is in use by another netwarden agent "
        f"(pid {os.getpid()})\n"
    )
    assert time.monotonic() - start < 30


def test_several_state_dirs_lock_independently(tmp_path: Path) -> None:
    with StateDir(tmp_path / "a").lock(), StateDir(tmp_path / "b").lock():
        assert (tmp_path / "a" / "agent.lock").read_text().strip() == str(os.getpid())
