"""What ``netwarden inventory discover`` does once its options are parsed: load the
inventory, sweep (:func:`~.run.discover`), check the fragment, write it, print the result.
The options themselves are declared in ``discover_command.py``, which imports this module
only when the command runs.

Exit codes: 0 it ran (also when nothing answered), 1 the sweep could not run or the inventory
is invalid, 2 usage (unknown site or credential, CIDR larger than a /16, --write onto a file
discover did not write). Progress goes to stderr, the result to stdout.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from netwarden.agent.probes.tcp import probe as probe_tcp
from netwarden.agent.snmp.client import UdpSnmpSession
from netwarden.discovery.arp import ScapyArp
from netwarden.discovery.diff import render_diff
from netwarden.discovery.discover_command import DiscoverOutput
from netwarden.discovery.fragment import MARKER, device_data, link_data
from netwarden.discovery.local import read_local_addresses
from netwarden.discovery.progress import ProgressReport
from netwarden.discovery.run import Discovery, Probes, Settings, discover
from netwarden.discovery.snmp_facts import resolve_credentials
from netwarden.discovery.sweep import SweepPinger, parse_cidr
from netwarden.discovery.validate import merged_check
from netwarden.errors import NetwardenError, UsageError
from netwarden.inventory.loader import expand, load_inventory
from netwarden.output import emit_json

MAX_TIMEOUT = 10.0


def _inventory_files(paths: list[Path], write: Path | None) -> tuple[list[Path], list[str]]:
    """The inventory's files, without the ``--write`` target: discover owns that file and
    rewrites it whole, so its devices must count as new again, not as known (else a re-run
    would write a file without them)."""
    if not paths:
        raise UsageError("give the inventory with --inventory/-i PATH (file or directory)")
    if write is None:
        return paths, []
    files, _ = expand(paths)
    own = write.resolve()
    kept = [file for file, _ in files if file.resolve() != own]
    if len(kept) == len(files):
        return paths, []
    return kept, [f"{write} is discover's own file: left out of the inventory and rewritten"]


def _check_write_target(write: Path) -> None:
    if not write.exists():
        return
    try:
        with write.open(encoding="utf-8") as handle:
            first = handle.readline()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"--write {write}: cannot read the existing file ({exc})") from None
    if not first.startswith(MARKER):
        raise UsageError(
            f"--write {write}: the file exists and was not written by discover; "
            "refusing to overwrite it (choose another name)"
        )


def _write(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)  # atomic: a reader never sees half a file


def _json(result: Discovery) -> dict[str, Any]:
    return {
        "devices": [device_data(p.device) for p in result.proposals],
        "links": [link_data(link) for link in result.links],
        "diff": [entry.as_dict() for entry in result.diff],
        "notes": result.notes,
    }


def _yaml(result: Discovery, site: str, cidr: str) -> str:
    answered = len(result.proposals)
    lines = [f"# --- diff against the inventory: site {site}, {cidr}: {answered} answered ---"]
    lines += ["# " + line for line in render_diff(result.diff)]
    if result.notes:
        lines.append("# --- notes ---")
        lines += ["# " + " ".join(note.split()) for note in result.notes]
    return result.fragment + "\n".join(lines) + "\n"


def _summary(result: Discovery) -> str:
    counts = {op: sum(1 for e in result.diff if e.op == op) for op in "+~=-"}
    return (
        f"discover: {len(result.proposals)} answered in {result.seconds:.1f} s: "
        f"{counts['+']} new, {counts['~']} changed, {counts['=']} known, "
        f"{counts['-']} known but silent\n"
    )


async def _discover(inventory: Any, settings: Settings, no_arp: bool) -> Discovery:
    pinger = SweepPinger()
    probes = Probes(pinger, UdpSnmpSession, probe_tcp, None if no_arp else ScapyArp())
    try:
        with ProgressReport() as progress:
            return await discover(inventory, settings, probes, progress)
    finally:
        await pinger.close()


def run_discover(
    *,
    site: str,
    cidr: str,
    credential: list[str],
    inventory: list[Path],
    write: Path | None,
    output: DiscoverOutput,
    timeout: float,
    no_arp: bool,
) -> None:
    """The command's work, with its options as parsed (see discover_command.py)."""
    network = parse_cidr(cidr)
    if not 0 < timeout <= MAX_TIMEOUT:
        raise UsageError(f"--timeout must be more than 0 and at most {MAX_TIMEOUT:g} s")
    files, notes = _inventory_files(inventory, write)
    if write is not None:
        _check_write_target(write)
    inv = load_inventory(files)
    creds, cred_notes = resolve_credentials(inv, credential)
    settings = Settings(site, network, tuple(creds), timeout, local=read_local_addresses())
    result = asyncio.run(_discover(inv, settings, no_arp))
    result.notes[:0] = notes + cred_notes
    # The proof the fragment is valid: the loader accepts it merged with the inventory.
    _, problems = merged_check(files, result.fragment)
    if problems:
        sys.stderr.write("".join(f"{line}\n" for line in problems))
        raise NetwardenError(
            "the proposed fragment does not validate with the inventory "
            "(please report this); nothing written"
        )
    if write is not None:
        _write(write, result.fragment)
        result.notes.append(f"wrote {write}")
    if output is DiscoverOutput.json:
        emit_json(_json(result))
    else:
        sys.stdout.write(_yaml(result, site, str(network)))
    sys.stderr.write(_summary(result))
