"""IOS-style command matching: every keyword may be abbreviated to a unique prefix.

A mode's grammar is a flat tuple of :class:`Command`; :func:`parse` walks the typed words
position by position against the commands still in the running, as the IOS parser does, and
reports where the input went wrong so the caller can print the ``^`` marker under it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

_WORD = re.compile(r"\S+")


class Arg(Enum):
    """What may follow a command's keywords."""

    NONE = "none"
    WORD = "word"  # exactly one word, e.g. an interface name
    OPTIONAL_WORD = "optional word"
    NUMBER = "number"  # 0..512, as terminal length/width accept
    TEXT = "text"  # the rest of the line verbatim, e.g. a description


@dataclass(frozen=True, slots=True)
class Command:
    """Keywords (full spelling), the trailing argument kind and the handler's name."""

    words: tuple[str, ...]
    action: str
    arg: Arg = Arg.NONE


@dataclass(frozen=True, slots=True)
class Match:
    """A complete command: ``arg`` is ``""`` when none was given; ``arg_column`` is its offset."""

    command: Command
    arg: str
    arg_column: int


@dataclass(frozen=True, slots=True)
class Invalid:
    """Unknown keyword or bad argument; ``column`` is where the ``^`` goes."""

    column: int


@dataclass(frozen=True, slots=True)
class Ambiguous:
    """A prefix that fits several keywords."""


@dataclass(frozen=True, slots=True)
class Incomplete:
    """Input ended before the command did."""


ParseResult = Match | Invalid | Ambiguous | Incomplete


def parse(line: str, commands: tuple[Command, ...]) -> ParseResult | None:
    """Match ``line`` against ``commands``; ``None`` for an empty line."""
    words = [(m.group(), m.start()) for m in _WORD.finditer(line)]
    if not words:
        return None
    alive = list(commands)
    for position, (word, column) in enumerate(words):
        done = [c for c in alive if len(c.words) == position]
        if done:
            return _argument(done[0], line, words[position:])
        keyword = _pick_keyword(word, {c.words[position] for c in alive})
        if isinstance(keyword, (Invalid, Ambiguous)):
            return Invalid(column) if isinstance(keyword, Invalid) else keyword
        alive = [c for c in alive if c.words[position] == keyword]
    finished = [c for c in alive if len(c.words) == len(words)]
    if not finished:
        return Incomplete()
    return _argument(finished[0], line, [])


def _pick_keyword(word: str, keywords: set[str]) -> str | Invalid | Ambiguous:
    typed = word.lower()
    if typed in keywords:
        return typed
    fits = [k for k in keywords if k.startswith(typed)]
    if not fits:
        return Invalid(0)
    return fits[0] if len(fits) == 1 else Ambiguous()


def _argument(command: Command, line: str, rest: list[tuple[str, int]]) -> ParseResult:
    """Check what follows the keywords against the command's argument kind."""
    if not rest:
        if command.arg in (Arg.NONE, Arg.OPTIONAL_WORD):
            return Match(command, "", len(line))
        return Incomplete()
    first, column = rest[0]
    if command.arg is Arg.TEXT:
        return Match(command, line[column:].rstrip(), column)
    bad = _bad_word_column(command.arg, rest)
    return Match(command, first, column) if bad is None else Invalid(bad)


def _bad_word_column(arg: Arg, rest: list[tuple[str, int]]) -> int | None:
    """Where a one-word argument (or the lack of one) goes wrong, ``None`` when it is fine."""
    if arg is Arg.NONE:
        return rest[0][1]
    if len(rest) > 1:
        return rest[1][1]
    word, column = rest[0]
    if arg is Arg.NUMBER and not (word.isdigit() and int(word) <= 512):
        return column
    return None
