"""What ``scripts/demo.sh --keep`` leaves behind: ``stop.sh`` ends the demo's processes by PID
(only while each PID is still that process) and then takes the lab down; ``env.sh`` puts the
virtualenv on PATH with the collector's address, CA and token."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from netwarden.lab.demo import kept


def _fake_repo(tmp_path: Path) -> tuple[Path, Path]:
    """A repository whose ``.venv/bin/netwarden`` records its arguments (no lab in unit tests)."""
    repo, called = tmp_path / "repo", tmp_path / "called.txt"
    bin_dir = repo / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "netwarden").write_text(f'#!/bin/sh\necho "$@" >> {called}\n')
    (bin_dir / "netwarden").chmod(0o755)
    return repo, called


def _sleeper() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


def test_stop_sh_ends_the_demos_processes_by_pid_then_takes_the_lab_down(
    tmp_path: Path,
) -> None:
    repo, called = _fake_repo(tmp_path)
    folder = tmp_path / "demo"
    folder.mkdir()
    ours, reused = _sleeper(), _sleeper()
    try:
        _, stop = kept.write(folder, repo, "", {"collector": ours.pid})
        # A PID whose process is not the one the demo started (its start time differs).
        text = stop.read_text()
        text = text.replace(
            f"{repo}/.venv/bin/netwarden lab down",
            f"stop other {reused.pid} 1\n{repo}/.venv/bin/netwarden lab down",
        )
        stop.write_text(text)
        done = subprocess.run(
            ["bash", str(stop)], capture_output=True, text=True, timeout=30, check=False
        )
        assert done.returncode == 0, done.stderr
        # SIGTERM ended it, at once: its zombie (this test reaps it only now) counts as gone.
        assert ours.wait(timeout=10) == -signal.SIGTERM
        assert reused.poll() is None  # left alone
        assert called.read_text().split("\n")[0] == "lab down"
        assert f"stopping collector (pid {ours.pid})" in done.stdout
    finally:
        for proc in (ours, reused):
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)


def test_env_sh_puts_netwarden_on_path_with_the_collector(tmp_path: Path) -> None:
    repo, _ = _fake_repo(tmp_path)
    env = kept.env_sh(repo, "https://198.18.10.6:9440", Path("/tmp/d/ca.pem"), "nwu.admin.x")
    script = env + 'command -v netwarden; echo "$NETWARDEN_COLLECTOR $NETWARDEN_CA_FILE"'
    done = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.stdout.split("\n")[:2] == [
        f"{repo}/.venv/bin/netwarden",
        "https://198.18.10.6:9440 /tmp/d/ca.pem",
    ]
