"""The command answers at once: ``--version`` and every ``--help`` import no subsystem's heavy
dependencies (checked by the modules a real process ends up with, not by a time, which a
loaded machine would make flaky). bench/cli_start.py measures the times themselves."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import typer.main

from netwarden.cli import GROUPS, app, load_group

# What a --help must never load: each costs tens of milliseconds or more to import.
HEAVY = (
    "alembic", "asyncio", "cryptography", "httpx", "netmiko", "ntc_templates", "paramiko",
    "prometheus_client", "pydantic", "pysnmp", "rich", "scapy", "sqlalchemy", "starlette",
    "textfsm", "uvicorn", "yaml",
)  # fmt: skip

# Run each argv through the real entry point in ONE process, then list its modules: whatever
# any of the --help pages imported is still there, so the check covers all of them at once.
_PROBE = """
import json, sys
from netwarden.cli import main
for argv in json.loads(sys.argv[1]):
    sys.argv = ["netwarden", *argv]
    try:
        main()
    except SystemExit as done:
        assert done.code in (0, None), (argv, done.code)
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def _modules_after(argvs: list[list[str]]) -> list[str]:
    done = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(argvs)], capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stderr.splitlines()[-1])
    return loaded


def _heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if m.split(".")[0] in HEAVY]


def _help_argvs() -> list[list[str]]:
    """``--help`` of the root, every group and every command, as Click lists them."""
    root = typer.main.get_command(app)
    found: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        found.append([*path, "--help"])
        if isinstance(command, typer.main.TyperGroup):
            ctx = command.make_context("netwarden", [], resilient_parsing=True)
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name), [*path, name])

    walk(root, [])
    return found


def test_version_loads_no_subsystem() -> None:
    modules = _modules_after([["--version"]])
    assert _heavy(modules) == []
    ours = {m for m in modules if m.startswith("netwarden")}
    assert ours == {"netwarden", "netwarden.cli", "netwarden.command_group", "netwarden.errors"}


def test_every_help_page_loads_nothing_heavy() -> None:
    argvs = _help_argvs()
    assert len(argvs) > 30  # the walk found every group and command
    assert ["config", "backup", "--help"] in argvs and ["poll", "--help"] in argvs
    assert _heavy(_modules_after(argvs)) == []


def test_the_root_help_loads_no_group() -> None:
    modules = _modules_after([["--help"]])
    assert not [m for m in modules if m.endswith(("_commands", "_command"))]


def test_the_root_listing_says_what_each_group_says_of_itself() -> None:
    for name, lazy in GROUPS.items():
        command = load_group(name)
        assert command.name == name
        own = command.help if name != "poll" else command.help.split("\n")[0]
        assert lazy.help == own, name


def test_a_command_on_a_store_at_head_loads_no_migration_tool(tmp_path: Path) -> None:
    # Alembic and Mako cost `collector token create` a fifth of its start-up; a store that is
    # already at head needs neither (the first open migrates it, here in the test's process).
    from netwarden.collector.store import open_store

    open_store(f"sqlite:///{tmp_path / 'collector.db'}").close()
    argv = [
        "collector",
        "token",
        "create",
        "--user",
        "ana",
        "--role",
        "viewer",
        "--data-dir",
        str(tmp_path),
    ]
    loaded = _modules_after([argv])
    assert [m for m in loaded if m.split(".")[0] in ("alembic", "mako")] == []
    assert "sqlalchemy" in loaded  # the command did open the store
