"""``netwarden alerting ...``: render the alert rules from the thresholds, and generate the
Alertmanager configuration from the inventory and ``alerting.yaml``.

Only typer is imported here: the models, the inventory loader and YAML are imported inside
the commands, so that ``netwarden --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from netwarden.command_group import command_group

app = command_group("Alert rules and the Alertmanager configuration (docs/alerting.md).")

DEFAULT_THRESHOLDS = Path("prometheus/thresholds.yml")
DEFAULT_RULES_DIR = Path("prometheus/rules")
DEFAULT_TEST_RULES_DIR = Path("prometheus/tests/rules")
DEFAULT_CONFIG = Path("/etc/netwarden/alerting.yaml")


@app.command("rules")
def rules_command(
    thresholds: Annotated[
        list[Path] | None,
        typer.Option(
            "--thresholds",
            "-t",
            help="Thresholds file; give it again to override single values of the first "
            f"(default: {DEFAULT_THRESHOLDS}).",
            show_default=False,
        ),
    ] = None,
    rules_dir: Annotated[
        Path, typer.Option("--rules-dir", help="Where Prometheus' rule files go.")
    ] = DEFAULT_RULES_DIR,
    test_rules_dir: Annotated[
        Path,
        typer.Option("--test-rules-dir", help="Where the rules for the promtool tests go."),
    ] = DEFAULT_TEST_RULES_DIR,
    check: Annotated[
        bool,
        typer.Option("--check", help="Write nothing; exit 1 if a file differs from the rendering."),
    ] = False,
) -> None:
    """Render prometheus/rules/*.yml (and their copies for the tests) from the thresholds."""
    from netwarden.alerting.rule_files import check_files, write_files

    paths = thresholds or [DEFAULT_THRESHOLDS]
    if check:
        stale = check_files(paths, rules_dir, test_rules_dir)
        for line in stale:
            typer.echo(line, err=True)
        if stale:
            raise typer.Exit(1)
        typer.echo("ok: the rule files are the rendering of the thresholds")
        return
    for path in write_files(paths, rules_dir, test_rules_dir):
        typer.echo(f"wrote {path}")


@app.command("generate")
def generate_command(
    inventory: Annotated[
        list[Path],
        typer.Option("--inventory", "-i", help="Inventory files or directories (merged into one)."),
    ],
    config: Annotated[
        Path, typer.Option("--config", "-c", help="The alerting configuration (alerting.yaml).")
    ] = DEFAULT_CONFIG,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the configuration to this file (mode 0600) instead of printing it; "
            "needed when a secret must be written into it (a Telegram bot token).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Generate the Alertmanager 0.25 configuration: routes, receivers, inhibit rules."""
    from netwarden.alerting.generate import generate_text
    from netwarden.alerting.private_file import write_private

    text = generate_text(inventory, config, secrets_allowed=output is not None)
    if output is None:
        typer.echo(text, nl=False)
        return
    write_private(output, text)
    typer.echo(f"wrote {output} (mode 0600)", err=True)
