"""Progress of a discovery on stderr: a rich progress bar on a terminal, else a few lines.

stdout carries the result only (a YAML fragment or JSON), so progress never goes there; and a
log file or CI run gets a handful of plain lines instead of terminal control codes.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

LABELS = {
    "ping": "ICMP sweep",
    "arp": "ARP sweep",
    "examine": "SNMP / TCP",
}
STEPS = 4  # plain mode prints each phase at 0, 25, 50, 75 and 100 %


class ProgressReport:
    """A ``Progress`` callback for :func:`~.run.discover`; use as a context manager."""

    def __init__(self, stream: TextIO | None = None, *, tty: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self._bar: Progress | None = None
        self._tasks: dict[str, TaskID] = {}
        self._printed: dict[str, int] = {}

    def __enter__(self) -> ProgressReport:
        if self.tty:
            console = Console(file=self.stream)
            self._bar = Progress(
                TextColumn("{task.description:<11}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=console,
                transient=True,  # the bar goes away: the result is what stays on screen
            )
            self._bar.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def __call__(self, phase: str, done: int, total: int) -> None:
        if self._bar is not None:
            task = self._tasks.get(phase)
            if task is None:
                task = self._tasks[phase] = self._bar.add_task(
                    LABELS.get(phase, phase), total=total
                )
            self._bar.update(task, completed=done, total=total)
            return
        self._plain(phase, done, total)

    def _plain(self, phase: str, done: int, total: int) -> None:
        step = STEPS if total == 0 else done * STEPS // total
        if self._printed.get(phase, -1) >= step:
            return
        self._printed[phase] = step
        self.stream.write(f"discover: {LABELS.get(phase, phase)} {done}/{total}\n")
        self.stream.flush()
