"""What ``--keep`` leaves behind for the admin: ``env.sh`` (the collector's URL, CA, an admin
token and the virtualenv on PATH, so the tour's commands work as written) and ``stop.sh``
(ends the processes the demo started, by PID, then takes the lab down). Pure: values in,
file texts out; ``write`` puts them in the demo's folder."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from pathlib import Path

STOP_WAIT = 10  # seconds stop.sh gives the processes to end after SIGTERM, before SIGKILL


def env_sh(repo: Path, collector: str, ca_file: Path, token: str) -> str:
    q = shlex.quote
    return (
        f'export PATH={q(str(repo / ".venv" / "bin"))}:"$PATH"\n'
        f"export NETWARDEN_COLLECTOR={q(collector)}\n"
        f"export NETWARDEN_CA_FILE={q(str(ca_file))}\n"
        f"export NETWARDEN_TOKEN={q(token)}\n"
    )


def stop_sh(repo: Path, processes: Mapping[str, tuple[int, str]]) -> str:
    """End each process the demo started (name -> PID and start time), by its PID and only
    while that PID is still that process (a PID reused since is left alone), then
    ``netwarden lab down``."""
    netwarden = shlex.quote(str(repo / ".venv" / "bin" / "netwarden"))
    lines = [
        "#!/usr/bin/env bash",
        "# Written by scripts/demo.sh --keep: stops what that run left running.",
        "set -u",
        "stop() {  # NAME PID START-TIME: SIGTERM, then SIGKILL after a bounded wait",
        "  local name=$1 pid=$2 start=$3",
        '  [ "$(_start "$pid")" = "$start" ] || return 0',
        '  echo "stopping $name (pid $pid)"',
        '  kill "$pid" 2>/dev/null || return 0',
        f"  for _ in $(seq {STOP_WAIT * 10}); do",
        '    [ "$(_start "$pid")" = "$start" ] || return 0',
        "    sleep 0.1",
        "  done",
        '  kill -9 "$pid" 2>/dev/null || true',
        "}",
        # A zombie (state Z) has ended: its parent has not reaped it yet, but waiting on it
        # would only run out the clock and SIGKILL a dead process.
        "_start() {  # the process' start time (field 22 of /proc/PID/stat), empty when gone",
        '  awk \'{sub(/.*\\) /, ""); if ($1 != "Z") print $20}\' "/proc/$1/stat" 2>/dev/null',
        "}",
    ]
    lines += [f"stop {shlex.quote(name)} {pid} {start}" for name, (pid, start) in processes.items()]
    lines += [f"{netwarden} lab down", 'echo "demo: stopped; lab down"']
    return "\n".join(lines) + "\n"


def start_time(pid: int) -> str:
    """A process' start time in clock ticks since boot (``/proc/PID/stat`` field 22), which
    with the PID names one process for good; empty when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return ""
    return stat.rsplit(") ", 1)[1].split()[19]


def write(folder: Path, repo: Path, env: str, pids: Mapping[str, int]) -> tuple[Path, Path]:
    """``env.sh`` (0600: it holds a token) and ``stop.sh`` in ``folder``."""
    env_file = folder / "env.sh"
    env_file.write_text(env, encoding="utf-8")
    env_file.chmod(0o600)
    processes = {name: (pid, start_time(pid) or "gone") for name, pid in pids.items()}
    stop_file = folder / "stop.sh"
    stop_file.write_text(stop_sh(repo, processes), encoding="utf-8")
    stop_file.chmod(0o700)
    return env_file, stop_file
