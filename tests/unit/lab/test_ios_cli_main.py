"""The entry point as sshd runs it: a real process on a pipe and on a pty (no root needed)."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

SECRET = "t0p-secret"


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "enable"
    path.write_text(SECRET + "\n")
    return path


def _argv(secret_file: Path) -> list[str]:
    control = secret_file.parent / "no-such.sock"
    cli = "-m netwarden.lab.ios_cli --hostname sw-unit --enable-secret-file {} --control {}"
    return [sys.executable, *cli.format(secret_file, control).split()]


def test_runs_on_a_pipe_against_this_namespace(secret_file: Path) -> None:
    done = subprocess.run(
        _argv(secret_file),
        input="sh ip int br\nen\nwrong\nexit\n",
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("sw-unit>Interface              IP-Address      OK? Method")
    assert "\nlo                     127.0.0.1       YES manual up" in done.stdout
    assert done.stdout.endswith("sw-unit>Password: \n% Access denied\n\nsw-unit>")


class Pty:
    """The CLI on a pseudo-terminal that is its controlling tty, as under sshd.

    ``pty.fork`` makes the child a session leader owning the pty, so ^C really raises SIGINT.
    Every wait is bounded in time.
    """

    def __init__(self, argv: list[str]) -> None:
        self.pid, self.master = pty.fork()
        if self.pid == 0:  # child: become the CLI, never return into pytest
            try:
                os.execv(argv[0], argv)
            finally:
                os._exit(127)
        self.seen = ""

    def expect(self, text: str, timeout_s: float = 15) -> str:
        deadline = time.monotonic() + timeout_s
        while text not in self.seen:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no {text!r} within {timeout_s} s; got {self.seen!r}"
            if select.select([self.master], [], [], remaining)[0]:
                self.seen += os.read(self.master, 4096).decode(errors="replace")
        before, _, self.seen = self.seen.partition(text)
        return before + text

    def send(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\r")

    def wait(self, timeout_s: float = 10) -> int | None:
        """Exit code, or ``None`` if the child is still running after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.pid = 0
                return os.waitstatus_to_exitcode(status)
            time.sleep(0.02)
        return None

    def close(self) -> None:
        os.close(self.master)
        if self.pid and self.wait() is None:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)


@pytest.fixture
def tty(secret_file: Path) -> Iterator[Pty]:
    session = Pty(_argv(secret_file))
    yield session
    session.close()


def test_on_a_tty_the_enable_secret_is_not_echoed_and_echo_comes_back(tty: Pty) -> None:
    tty.expect("sw-unit>")
    tty.send("enable")
    assert tty.expect("Password: ") == "enable\r\nPassword: "
    tty.send(SECRET)
    assert tty.expect("sw-unit#") == "\r\nsw-unit#"

    tty.send("terminal length 0")
    assert tty.expect("sw-unit#") == "terminal length 0\r\nsw-unit#"


def test_on_a_tty_two_quick_returns_give_two_prompts_on_their_own_lines(tty: Pty) -> None:
    # Both RETURNs are in the pty before the CLI reads either (netmiko's find_prompt sends a
    # second when the first prompt is slow). A kernel echo answered both at once, so the two
    # prompts came out together on one line ("sw-unit>sw-unit>"), taken by netmiko for the
    # prompt and then never seen again: each echo must come with its own prompt.
    tty.expect("sw-unit>")
    os.write(tty.master, b"\r\r")
    tty.send("show clock")
    shown = tty.expect("sw-unit>") + tty.expect("sw-unit>") + tty.expect("show clock")

    assert shown == "\r\nsw-unit>\r\nsw-unit>show clock"


def test_on_a_tty_ctrl_c_does_not_kill_the_session(tty: Pty) -> None:
    tty.expect("sw-unit>")
    os.write(tty.master, b"\x03\x1a\x1c")  # ^C, ^Z and ^\ raise SIGINT, SIGTSTP, SIGQUIT
    tty.send("show version")
    tty.expect("sw-unit uptime is")
    tty.send("exit")

    assert tty.wait() == 0


def test_needs_only_the_standard_library() -> None:
    # The SSH user may not be able to run the venv's interpreter (it can live under a 0700
    # /root); the CLI must then run on the system Python with just the checkout on the path.
    repo = Path(__file__).resolve().parents[3]
    probe = (
        "import json, sys, netwarden.lab.ios_cli.__main__\n"
        "tops = {name.split('.')[0] for name in sys.modules}\n"
        "print(json.dumps(sorted(tops - set(sys.stdlib_module_names) - {'__main__'})))"
    )
    done = subprocess.run(
        [sys.executable, "-S", "-c", probe],
        env={"PYTHONPATH": str(repo), "PATH": os.environ.get("PATH", "")},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ["netwarden"]
