"""Static checks of a playbook that its model cannot make alone: actions and their ``args``
against the catalogue, templates (they parse; the names they read exist and are set by then),
``from``, what applies to which action, step ids, gotos, and the two rules of
:mod:`netwarden.playbooks.flow`. Each problem is a ``Finding`` located by its data path.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from netwarden.agent.actions.catalogue import CATALOGUE, ActionError, validate
from netwarden.inventory.problems import Finding, Loc
from netwarden.playbooks import flow
from netwarden.playbooks.model import Playbook, Step
from netwarden.playbooks.placement import FORMS, PlacementError, parse
from netwarden.playbooks.templates import NAMES, is_template, parse_problem, references


def _unknown_action(name: str) -> str:
    close = difflib.get_close_matches(name, list(CATALOGUE), n=1, cutoff=0.6)
    if close:
        return f"unknown action '{name}'; did you mean '{close[0]}'?"
    return f"unknown action '{name}' (the actions are {', '.join(sorted(CATALOGUE))})"


def _templates(value: Any, loc: Loc) -> Iterator[tuple[Loc, str]]:
    """Every template string inside ``value`` (args), with its location."""
    if isinstance(value, str):
        if is_template(value):
            yield loc, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _templates(item, (*loc, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _templates(item, (*loc, key))


class Scope:
    """What a template at one place may read: the steps before it, the inputs, ``item``."""

    def __init__(self, steps: set[str], inputs: set[str], *, item: bool, later: set[str]):
        self.steps, self.inputs, self.item, self.later = steps, inputs, item, later

    def problems(self, text: str, *, expression: bool) -> Iterator[str]:
        broken = parse_problem(text, expression=expression)
        if broken is not None:
            yield broken
            return
        seen: set[tuple[str, str | None]] = set()
        for ref in references(text, expression=expression):
            if (ref.name, ref.attribute) in seen:
                continue
            seen.add((ref.name, ref.attribute))
            message = self._problem(ref.name, ref.attribute)
            if message is not None:
                yield message

    def _problem(self, name: str, attribute: str | None) -> str | None:
        if name not in NAMES:
            return f"unknown name '{name}' in a template (templates see {', '.join(NAMES)})"
        if name == "item" and not self.item:
            return "'item' is only set in a step with 'for_each'"
        if name == "inputs" and attribute is not None and attribute not in self.inputs:
            declared = ", ".join(sorted(self.inputs)) or "none"
            return f"no input '{attribute}' (inputs declared: {declared})"
        if name == "steps" and attribute is not None and attribute not in self.steps:
            if attribute in self.later:
                return f"reads step '{attribute}', which comes after this one"
            return f"reads step '{attribute}', but there is no such step"
        return None


def step_findings(step: Step, loc: Loc, scope: Scope) -> Iterator[Finding]:
    """Problems of one step that its model could not see."""
    spec = CATALOGUE.get(step.action)
    if spec is None:
        yield Finding((*loc, "action"), _unknown_action(step.action))
    else:
        yield from _applies(step, loc, spec.runs_on)
        yield from _args(step, loc)
    if step.from_ is not None and not is_template(step.from_):
        try:
            parse(step.from_)
        except PlacementError:
            yield Finding((*loc, "from"), f"must be {FORMS}")
    for where, text, expression in _template_places(step, loc):
        for message in scope.problems(text, expression=expression):
            yield Finding(where, message)


def _args(step: Step, loc: Loc) -> Iterator[Finding]:
    """The step's ``args`` against its action's params model (templates taken as valid)."""
    try:
        validate(step.action, step.args, skip_input=is_template)
    except ActionError as exc:
        for problem in exc.problems:
            yield Finding((*loc, "args", *problem.location), problem.message)


def _template_places(step: Step, loc: Loc) -> list[tuple[Loc, str, bool]]:
    """Every template of a step: where it is, its text, whether it is a bare expression."""
    places: list[tuple[Loc, str, bool]] = [
        (where, text, False) for where, text in _templates(step.args, (*loc, "args"))
    ]
    for key, text in (("when", step.when), ("for_each", step.for_each)):
        if text is not None:
            places.append(((*loc, key), text, True))
    if step.from_ is not None:
        places.append(((*loc, "from"), step.from_, False))
    return places


def _applies(step: Step, loc: Loc, runs_on: str) -> Iterator[Finding]:
    """Keys that make no sense for this action."""
    if runs_on == "collector":
        where = f"{step.action} runs on the collector"
        if step.from_ is not None:
            yield Finding((*loc, "from"), f"does not apply: {where}")
        if step.for_each is not None:
            yield Finding((*loc, "for_each"), f"does not apply: {where}")
        if step.queue_timeout is not None:
            yield Finding((*loc, "queue_timeout"), f"does not apply: {where}")
    if step.action == "approval":
        if step.timeout is not None:
            yield Finding((*loc, "timeout"), "does not apply: an approval waits args.timeout")
        if step.retry is not None:
            yield Finding((*loc, "retry"), "does not apply: a rejected approval stands")


def _duplicate_ids(playbook: Playbook) -> Iterator[Finding]:
    first: dict[str, int] = {}
    for index, step in enumerate(playbook.steps):
        if step.id in first:
            yield Finding(
                ("steps", index, "id"),
                f"duplicate step id '{step.id}'",
                ("steps", first[step.id], "id"),
            )
        first.setdefault(step.id, index)


def _inputs_defaults(playbook: Playbook) -> Iterator[Finding]:
    if playbook.match is None:
        return
    for name, spec in playbook.inputs.items():
        if spec.default is None:
            yield Finding(
                ("inputs", name),
                "needs a default: an alert starts this playbook and gives no inputs",
            )


def _conclusions(playbook: Playbook, everything: Scope) -> Iterator[Finding]:
    for index, conclusion in enumerate(playbook.conclusions):
        for key, text, expression in (
            ("when", conclusion.when, True),
            ("text", conclusion.text, False),
        ):
            if expression or is_template(text):
                for message in everything.problems(text, expression=expression):
                    yield Finding(("conclusions", index, key), message)


def playbook_findings(playbook: Playbook) -> Iterator[Finding]:
    """Every problem of a playbook whose model is valid."""
    ids = [step.id for step in playbook.steps]
    yield from _duplicate_ids(playbook)
    yield from _inputs_defaults(playbook)
    inputs = set(playbook.inputs)
    for index, step in enumerate(playbook.steps):
        before, later = set(ids[:index]), set(ids[index:])
        scope = Scope(before, inputs, item=step.for_each is not None, later=later)
        yield from step_findings(step, ("steps", index), scope)
        if step.goto is not None and step.goto not in ids:
            yield Finding(("steps", index, "on_failure", "goto"), f"no step '{step.goto}' to go to")
    yield from _conclusions(playbook, Scope(set(ids), inputs, item=False, later=set()))
    gotos_ok = all(s.goto is None or s.goto in ids for s in playbook.steps)
    if gotos_ok and len(set(ids)) == len(ids):
        yield from _flow(playbook)


def _flow(playbook: Playbook) -> Iterator[Finding]:
    cycle = flow.goto_cycle(playbook)
    if cycle is not None:
        closing = playbook.index(cycle[-2])
        route = " -> ".join(cycle)
        yield Finding(
            ("steps", closing, "on_failure", "goto"),
            f"goto makes a cycle: {route} (a run could go round it forever)",
        )
    known = {name for name, spec in CATALOGUE.items() if spec.changes_device}
    for found in flow.unguarded(playbook, known.__contains__):
        yield Finding(("steps", playbook.index(found.step.id), "action"), found.message())
