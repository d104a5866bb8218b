"""``netwarden inventory discover``: its options. The work is in ``discover_cli.py``, imported
when the command runs (the sweep needs the agent's SNMP client and probers, and scapy).

Exit codes: 0 it ran (also when nothing answered), 1 the sweep could not run or the inventory
is invalid, 2 usage (unknown site or credential, CIDR larger than a /16, --write onto a file
discover did not write). Progress goes to stderr, the result to stdout.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer


class DiscoverOutput(enum.StrEnum):
    yaml = "yaml"
    json = "json"


def discover_command(
    site: Annotated[str, typer.Option("--site", help="The site the devices belong to.")],
    cidr: Annotated[str, typer.Option("--cidr", help="The network to sweep (at most a /16).")],
    credential: Annotated[
        list[str] | None,
        typer.Option(
            "--credential",
            help="SNMP credential to try, in order (repeatable); default: every SNMP one.",
        ),
    ] = None,
    inventory: Annotated[
        list[Path] | None,
        typer.Option("--inventory", "-i", help="Inventory file or directory (repeatable)."),
    ] = None,
    write: Annotated[
        Path | None,
        typer.Option("--write", help="Write the new devices and links to FILE (never without)."),
    ] = None,
    output: Annotated[
        DiscoverOutput, typer.Option("--output", "-o", help="yaml (fragment + diff) or json.")
    ] = DiscoverOutput.yaml,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds to wait per probe (ICMP, SNMP, TCP, ARP).")
    ] = 1.0,
    no_arp: Annotated[bool, typer.Option("--no-arp", help="Skip the ARP sweep.")] = False,
) -> None:
    """Sweep a LAN, propose inventory devices (YAML fragment + diff); writes only with --write."""
    from netwarden.discovery.discover_cli import run_discover

    run_discover(
        site=site,
        cidr=cidr,
        credential=credential or [],
        inventory=inventory or [],
        write=write,
        output=output,
        timeout=timeout,
        no_arp=no_arp,
    )
