"""The paths through a playbook, and the two rules about them: no ``goto`` cycle, and an
approval before every step that changes a device, on every path.

Steps run in file order. From a step the run goes on to the next one when it succeeds; when it
fails, to the next one (``on_failure: continue``), to its ``goto`` target, or to the end
(``abort``). A step with ``when`` may also be skipped, straight to the next one. Statically a
``when`` is both true and false, and every step may both succeed and fail (any step can fail:
an agent cut off, a template error). An approval counts only on the path where it succeeded:
skipped (``when`` false), rejected or timed out, it approves nothing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from netwarden.playbooks.model import Playbook, Step

END = -1


@dataclass(frozen=True)
class Edge:
    """From one step to the next one (``END`` when the run ends), and how."""

    target: int
    how: str  # "ok", "skipped", "failed", "failed, goto X", ...
    approves: bool = False  # taking this edge means an approval was given


def edges(playbook: Playbook, index: int) -> list[Edge]:
    """Where the run may go after step ``index``."""
    step = playbook.steps[index]
    after = index + 1 if index + 1 < len(playbook.steps) else END
    found = [Edge(after, "ok", approves=step.action == "approval")]
    if step.when is not None:
        found.append(Edge(after, "skipped: 'when' false"))
    if step.goto is not None:
        found.append(Edge(playbook.index(step.goto), f"failed, goto {step.goto}"))
    elif step.on_failure == "continue":
        found.append(Edge(after, "failed, continue"))
    else:
        found.append(Edge(END, "failed, abort"))
    return found


def goto_cycle(playbook: Playbook) -> list[str] | None:
    """The steps of a cycle (first step repeated at the end), if the gotos make one."""
    state: dict[int, int] = {}  # 1: on the current path, 2: done
    path: list[int] = []

    def visit(index: int) -> list[int] | None:
        state[index] = 1
        path.append(index)
        for edge in edges(playbook, index):
            if edge.target == END:
                continue
            if state.get(edge.target) == 1:
                return [*path[path.index(edge.target) :], edge.target]
            if edge.target not in state:
                found = visit(edge.target)
                if found:
                    return found
        path.pop()
        state[index] = 2
        return None

    # Bounded: each step is visited once (at most MAX_STEPS deep).
    for start in range(len(playbook.steps)):
        if start not in state:
            cycle = visit(start)
            if cycle:
                return [playbook.steps[i].id for i in cycle]
    return None


@dataclass(frozen=True)
class Unguarded:
    """A step that changes a device, and a path reaching it without an approval."""

    step: Step
    path: tuple[str, ...]

    def message(self) -> str:
        route = " -> ".join([*self.path, self.step.id])
        return (
            f"'{self.step.action}' changes a device, but a path reaches this step without an "
            f"approval: {route} (add an 'approval' step before it on every path)"
        )


def unguarded(playbook: Playbook, changes_device: Callable[[str], bool]) -> list[Unguarded]:
    """Every device-changing step some path reaches without an approval, each with the
    shortest such path (breadth first; each (step, approved) state is visited once, so goto
    cycles do not loop)."""
    start = (0, False)
    previous: dict[tuple[int, bool], tuple[tuple[int, bool], str] | None] = {start: None}
    queue = deque([start])
    found: dict[int, Unguarded] = {}
    while queue:  # bounded: 2 states per step
        index, approved = queue.popleft()
        step = playbook.steps[index]
        if changes_device(step.action) and not approved and index not in found:
            found[index] = Unguarded(step, tuple(_path(playbook, previous, (index, approved))))
        for edge in edges(playbook, index):
            if edge.target == END:
                continue
            state = (edge.target, approved or edge.approves)
            if state not in previous:
                previous[state] = ((index, approved), edge.how)
                queue.append(state)
    return [found[i] for i in sorted(found)]


def _path(
    playbook: Playbook,
    previous: dict[tuple[int, bool], tuple[tuple[int, bool], str] | None],
    state: tuple[int, bool],
) -> Iterator[str]:
    hops: list[str] = []
    link = previous[state]
    while link is not None:  # bounded: a breadth-first tree has no loop
        (index, approved), how = link
        name = playbook.steps[index].id
        hops.append(name if how == "ok" else f"{name} ({how})")
        link = previous[(index, approved)]
    return reversed(hops)
