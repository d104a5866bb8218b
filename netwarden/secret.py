"""Secrets as references: ``env:NAME`` or ``file:PATH``, resolved only where they are used.

A :class:`Secret` holds the *reference*; its value is read on demand by :meth:`Secret.reveal`
and never appears in ``repr``, ``str``, JSON or logs. The reference itself is not secret (it
travels to agents in their assignment), the value is (it never leaves the agent).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from netwarden.errors import SecretError

_REF = re.compile(r"^(env):([A-Za-z_][A-Za-z0-9_]*)$|^(file):(/.+)$")
MASK = "<secret>"


def is_reference(text: str) -> bool:
    """True when ``text`` is a well-formed ``env:NAME`` or ``file:/absolute/path`` reference."""
    return _REF.match(text) is not None


@dataclass(frozen=True, slots=True)
class Secret:
    """A reference to a secret value. Printing it never prints the value."""

    reference: str

    def __post_init__(self) -> None:
        if not is_reference(self.reference):
            # Never echo the text: a literal secret put here by mistake must not leak.
            raise SecretError("a secret must be a reference: env:NAME or file:/absolute/path")

    @property
    def kind(self) -> str:
        return self.reference.split(":", 1)[0]

    @property
    def target(self) -> str:
        return self.reference.split(":", 1)[1]

    def reveal(self) -> str:
        """Resolve the reference and return the value (strip one trailing newline of a file)."""
        if self.kind == "env":
            value = os.environ.get(self.target)
            if value is None:
                raise SecretError(f"secret {self.reference}: environment variable is not set")
            return value
        try:
            text = Path(self.target).read_text(encoding="utf-8")
        except OSError as exc:
            raise SecretError(
                f"secret {self.reference}: cannot read file ({exc.strerror})"
            ) from exc
        return text[:-1] if text.endswith("\n") else text

    def __repr__(self) -> str:
        return f"Secret({self.reference!r})"

    def __str__(self) -> str:
        return self.reference
