"""Unique-prefix keyword matching and where the parser says the input went wrong."""

from __future__ import annotations

import pytest

from netwarden.lab.ios_cli.grammar import (
    Ambiguous,
    Arg,
    Command,
    Incomplete,
    Invalid,
    Match,
    parse,
)

SHOW_INT = Command(("show", "interfaces"), "show_interfaces", Arg.OPTIONAL_WORD)
SHOW_IP = Command(("show", "ip", "interface", "brief"), "brief")
TERM_LEN = Command(("terminal", "length"), "ignore", Arg.NUMBER)
DESCRIPTION = Command(("description",), "description", Arg.TEXT)
INTERFACE = Command(("interface",), "interface", Arg.WORD)
EXIT = Command(("exit",), "close")
ENABLE = Command(("enable",), "enable")
GRAMMAR = (SHOW_INT, SHOW_IP, TERM_LEN, DESCRIPTION, INTERFACE, EXIT, ENABLE)


@pytest.mark.parametrize(
    ("line", "command", "arg"),
    [
        ("sh int", SHOW_INT, ""),
        ("SH INT wan0", SHOW_INT, "wan0"),
        ("show interfaces", SHOW_INT, ""),
        ("sh ip int br", SHOW_IP, ""),
        ("  s   ip  i b  ", SHOW_IP, ""),
        ("term len 0", TERM_LEN, "0"),
        ("int wan0", INTERFACE, "wan0"),
        ("desc  Cổng WAN  to  VNPT ", DESCRIPTION, "Cổng WAN  to  VNPT"),
        ("ex", EXIT, ""),
        ("en", ENABLE, ""),
    ],
)
def test_abbreviations_match(line: str, command: Command, arg: str) -> None:
    result = parse(line, GRAMMAR)

    assert isinstance(result, Match)
    assert (result.command, result.arg) == (command, arg)


def test_argument_column_points_at_the_argument() -> None:
    assert parse("sh int  wan0", GRAMMAR) == Match(SHOW_INT, "wan0", 8)


def test_empty_line_is_nothing() -> None:
    assert parse("   ", GRAMMAR) is None


@pytest.mark.parametrize(
    ("line", "column"),
    [
        ("bogus", 0),
        ("show bogus", 5),
        ("sh ip int bx", 10),
        ("exit now", 5),
        ("sh int wan0 lan0", 12),
        ("term len 513", 9),
        ("term len x", 9),
    ],
)
def test_invalid_input_reports_the_column(line: str, column: int) -> None:
    assert parse(line, GRAMMAR) == Invalid(column)


@pytest.mark.parametrize("line", ["e", "sh i", "s i"])
def test_ambiguous_prefix(line: str) -> None:
    assert parse(line, GRAMMAR) == Ambiguous()


@pytest.mark.parametrize("line", ["show", "sh ip int", "term len", "interface", "description"])
def test_incomplete_command(line: str) -> None:
    assert parse(line, GRAMMAR) == Incomplete()


def test_exact_keyword_wins_over_longer_ones() -> None:
    grammar = (Command(("no",), "no"), Command(("normal",), "normal"))

    assert parse("no", grammar) == Match(grammar[0], "", 2)
