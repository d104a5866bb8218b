"""How every ``netwarden`` command group is made, so that all of them start alike and fast."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup


class CommandGroup(TyperGroup):
    """A Typer group whose ``--help`` flag does not import pydantic when it is absent.

    Typer coerces every parameter through a pydantic TypeAdapter built on first use. On
    ``netwarden fleet status --help`` the help flag of each group above the command arrives as
    None, and building its adapter imports pydantic (~0.05 s) only to return None. A
    pass-through coercion gives the same answer (None stays None; a bool flag is never
    coerced). Where Typer's internals differ, nothing is changed: the start-up test
    (tests/unit/cli/test_start_up.py) would then show pydantic in ``--help``'s imports.
    """

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        if option is not None and getattr(option, "_runtime_param", "") is None:
            try:
                from typer._coercion import PassThroughRuntimeParam
            except ImportError:  # another Typer: leave its help flag as it is
                return option
            info = option.type_descriptor.parameter_info
            option._runtime_param = PassThroughRuntimeParam(parameter_info=info, annotation=bool)
        return option


def command_group(help_text: str) -> typer.Typer:
    """A sub-command group (``netwarden lab``, ``netwarden config``...).

    Plain Click help: Typer's Rich formatter costs ~0.1 s of imports on every ``--help`` and
    every usage error. No shell-completion options: a group loaded on demand by the root
    command (netwarden/cli.py) would otherwise grow its own ``--install-completion``.
    """
    return typer.Typer(
        help=help_text,
        cls=CommandGroup,
        no_args_is_help=True,
        add_completion=False,
        rich_markup_mode=None,
    )
