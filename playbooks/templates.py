"""Templates in ``args``, ``when``, ``from``, ``for_each`` and conclusions: Jinja2, sandboxed.

Every template runs in Jinja2's ``ImmutableSandboxedEnvironment``: attribute tricks
(``{{ ''.__class__ }}``, ``{{ x.__globals__ }}``), calls of unsafe methods and changes to the
context are refused with a ``SecurityError``. Undefined names are errors (``StrictUndefined``),
so a typo fails the step with its message instead of rendering as an empty string.

A string that is one expression (``"{{ inputs.count }}"``) renders to the expression's own
value (a number stays a number, a list a list), so that the strict params of an action accept
it; any other template renders to text. Problems raise :class:`TemplateError`, one line.
"""

from __future__ import annotations

import re
from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import StrictUndefined, Undefined, nodes
from jinja2 import TemplateError as JinjaError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from netwarden.errors import NetwardenError

MAX_TEXT = 65_536  # characters one rendered template may give
MAX_DEPTH = 16
NAMES = (
    "alert",
    "labels",
    "incident",
    "device",
    "link",
    "uplink",
    "site",
    "service",
    "province",
    "inputs",
    "steps",
    "run",
    "item",
    "now",
)
"""The names a template sees (docs/playbooks.md says what each holds)."""

_ONE_EXPRESSION = re.compile(r"^\s*\{\{(?P<expr>.*)\}\}\s*$", re.DOTALL)


class TemplateError(NetwardenError):
    """A template that does not parse, or fails when it renders (one line)."""


MAX_EXPONENT = 64  # 2 ** 64 is as large as a counter gets
MAX_REPEAT = 10_000  # 'x' * N, [0] * N


class _Sandbox(ImmutableSandboxedEnvironment):
    """The sandbox, with ``**`` and ``*`` bounded: ``9 ** 9 ** 9`` or ``'x' * 10 ** 9`` would
    hold the collector's thread (and memory) for as long as they take."""

    intercepted_binops = frozenset(["**", "*"])

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"an exponent over {MAX_EXPONENT} is not allowed")
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                repeated = isinstance(seq, str | list | tuple) and isinstance(count, int)
                if repeated and count * max(len(seq), 1) > MAX_REPEAT:
                    raise SecurityError(f"a repetition over {MAX_REPEAT} items is not allowed")
        return super().call_binop(context, operator, left, right)


@cache
def environment() -> ImmutableSandboxedEnvironment:
    """The one sandboxed environment (no autoescape: the output is params and text, not
    HTML; no loader: a template cannot include files)."""
    return _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


def is_template(value: object) -> bool:
    """Whether ``value`` is a string with template syntax in it."""
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def _expression(text: str) -> str | None:
    """The expression of a string that is exactly one ``{{ ... }}``, else None."""
    found = _ONE_EXPRESSION.match(text)
    if found is None or "}}" in found["expr"] or "{{" in found["expr"]:
        return None
    return found["expr"]


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


def _plain(value: Any, depth: int = 0) -> Any:
    """``value`` as JSON data (tuples to lists); anything else is refused."""
    if depth > MAX_DEPTH:
        raise TemplateError("the value is nested too deeply")
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(item, depth + 1) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _plain(item, depth + 1) for key, item in value.items()}
    if isinstance(value, KeysView | ValuesView | ItemsView | range):
        if len(value) > MAX_REPEAT:
            raise TemplateError(f"gives more than {MAX_REPEAT} items")
        return [_plain(item, depth + 1) for item in value]
    raise TemplateError(f"gives a {type(value).__name__}, not a value a step can use")


def render_text(template: str, context: Mapping[str, Any]) -> str:
    """Render ``template`` to text."""
    try:
        text = environment().from_string(template).render(context)
    except JinjaError as exc:
        raise TemplateError(_one_line(exc)) from None
    except (ArithmeticError, TypeError, ValueError, LookupError) as exc:
        raise TemplateError(f"{type(exc).__name__}: {_one_line(exc)}") from None
    if len(text) > MAX_TEXT:
        raise TemplateError(f"renders to more than {MAX_TEXT} characters")
    return text


def evaluate(expression: str, context: Mapping[str, Any]) -> Any:
    """The value of one Jinja2 expression (no braces), as JSON data."""
    try:
        compiled = environment().compile_expression(expression, undefined_to_none=False)
        value = compiled(**context)
    except JinjaError as exc:
        raise TemplateError(_one_line(exc)) from None
    except (ArithmeticError, TypeError, ValueError, LookupError) as exc:
        raise TemplateError(f"{type(exc).__name__}: {_one_line(exc)}") from None
    if isinstance(value, Undefined):
        try:
            str(value)
        except JinjaError as exc:
            raise TemplateError(_one_line(exc)) from None
    return _plain(value)


def render_value(value: Any, context: Mapping[str, Any], depth: int = 0) -> Any:
    """``value`` with every template in it rendered (mappings and lists walked)."""
    if depth > MAX_DEPTH:
        raise TemplateError("args are nested too deeply")
    if isinstance(value, str):
        if not is_template(value):
            return value
        expression = _expression(value)
        if expression is not None:
            return evaluate(expression, context)
        return render_text(value, context)
    if isinstance(value, list):
        return [render_value(item, context, depth + 1) for item in value]
    if isinstance(value, dict):
        return {key: render_value(item, context, depth + 1) for key, item in value.items()}
    return value


_FALSE_WORDS = {"", "false", "no", "off", "0", "none", "null"}


def condition(text: str, context: Mapping[str, Any]) -> bool:
    """A ``when`` or a conclusion's condition: an expression, with or without ``{{ }}``.

    Text results count as a person reads them: ``false``, ``no``, ``0`` and empty are false.
    """
    expression = _expression(text)
    if expression is None and is_template(text):
        value: Any = render_text(text, context)
    else:
        value = evaluate(expression if expression is not None else text, context)
    if isinstance(value, str):
        return value.strip().lower() not in _FALSE_WORDS
    return bool(value)


# --- static checks (playbook check) ------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """A name a template reads: a top-level name, and for ``steps.X`` / ``inputs.X`` the X."""

    name: str
    attribute: str | None


def parse_problem(text: str, *, expression: bool) -> str | None:
    """Why ``text`` does not parse as a template (or a bare expression), else None."""
    try:
        if expression and not is_template(text):
            environment().compile_expression(text)
        else:
            environment().parse(text)
    except JinjaError as exc:
        return f"template does not parse: {_one_line(exc)}"
    return None


def _walk(node: nodes.Node) -> Iterator[nodes.Node]:
    yield node
    for child in node.iter_child_nodes():
        yield from _walk(child)


def references(text: str, *, expression: bool) -> list[Reference]:
    """The context names ``text`` reads (assumes it parses), in order of appearance.

    Names a template sets itself (``{% set %}``, loop variables) are left out.
    """
    source = text if is_template(text) or not expression else "{{ " + text + " }}"
    tree = environment().parse(source)
    own = {n.name for n in _walk(tree) if isinstance(n, nodes.Name) and n.ctx in ("store", "param")}
    found: list[Reference] = []
    for node in _walk(tree):
        if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
            if node.node.name in ("steps", "inputs") and node.node.name not in own:
                found.append(Reference(node.node.name, node.attr))
        elif isinstance(node, nodes.Getitem) and isinstance(node.node, nodes.Name):
            key = node.arg.value if isinstance(node.arg, nodes.Const) else None
            if node.node.name in ("steps", "inputs") and isinstance(key, str):
                found.append(Reference(node.node.name, key))
        if isinstance(node, nodes.Name) and node.ctx == "load" and node.name not in own:
            found.append(Reference(node.name, None))
    return found
