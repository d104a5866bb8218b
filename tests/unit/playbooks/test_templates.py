"""The sandbox: values keep their type, errors are one line, attribute tricks are refused."""

from __future__ import annotations

import pytest

from netwarden.playbooks.templates import TemplateError, condition, render_value

CONTEXT = {"labels": {"device": "sw-so-tc"}, "inputs": {"count": 3}, "steps": {}}


def test_one_expression_keeps_its_type_and_text_renders() -> None:
    args = {"count": "{{ inputs.count }}", "host": "dev {{ labels.device }}", "n": 1}
    assert render_value(args, CONTEXT) == {"count": 3, "host": "dev sw-so-tc", "n": 1}


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ labels.__init__.__globals__ }}",
        "{{ 9 ** (9 ** 9) }}",
        "{{ 'x' * 100000000 }}",
    ],
)
def test_sandbox_tricks_are_a_template_error(template: str) -> None:
    with pytest.raises(TemplateError):
        render_value({"x": template}, CONTEXT)


def test_undefined_names_fail_with_their_name() -> None:
    with pytest.raises(TemplateError, match="nope"):
        render_value("{{ nope.x }}", CONTEXT)


def test_conditions_read_like_a_person_would() -> None:
    assert condition("inputs.count > 2", CONTEXT)
    assert not condition("{{ 'no' }}", CONTEXT)
    assert not condition("labels.device == 'x'", CONTEXT)
