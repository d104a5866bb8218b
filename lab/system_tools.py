"""Running the system tools the lab is built with (iproute2, nft, ethtool, ssh-keygen)."""

from __future__ import annotations

import subprocess

from netwarden.errors import LabError


def run(argv: list[str], *, stdin: str | None = None, timeout: float = 60) -> str:
    """Run ``argv``; on failure raise LabError naming the command and its first error line."""
    try:
        done = subprocess.run(
            argv, input=stdin, capture_output=True, text=True, timeout=timeout, check=False
        )
    except FileNotFoundError as exc:
        raise LabError(f"{argv[0]} is not installed (run scripts/setup.sh)") from exc
    except subprocess.TimeoutExpired as exc:
        raise LabError(f"`{' '.join(argv[:4])}` did not finish in {timeout:.0f} s") from exc
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        first = detail[0] if detail else f"exit code {done.returncode}"
        raise LabError(f"`{' '.join(argv[:4])}` failed: {first}")
    return done.stdout


def ip_batch(lines: list[str], ns: str | None = None) -> None:
    """Apply many iproute2 commands in one process (much faster than one `ip` per line)."""
    if lines:
        run(["ip", *(["-n", ns] if ns else []), "-batch", "-"], stdin="\n".join(lines) + "\n")


def in_ns(ns: str, script: str) -> None:
    """Run a small shell script inside namespace ``ns``."""
    run(["ip", "netns", "exec", ns, "sh", "-ec", script])
