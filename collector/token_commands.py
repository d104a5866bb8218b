"""``collector token create``: join tokens for agents and tokens for users, on the store directly.

Run on the collector host (like ``vault operator``): it opens the store itself, so it works
before the service has ever started and without any user token.

The agent's site comes from the inventory (``--inventory``, which also checks the agent exists)
or from ``--site``. A join token carries the CA fingerprint (``nwj.<secret>.<sha256>``) when
the data directory holds the collector's TLS material; a collector run with ``--insecure``
gets ``nwj.<secret>`` by passing ``--insecure`` here too.
"""

from __future__ import annotations

import enum
import json
import re
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from netwarden.collector.command_options import (
    DEFAULT_DATA_DIR,
    DataDir,
    DbUrl,
    db_url,
    local_actor,
)
from netwarden.collector.command_options import seconds as parse_seconds
from netwarden.command_group import command_group
from netwarden.errors import UsageError
from netwarden.inventory.ids import ID_PATTERN
from netwarden.join_token import format_join_token

app = command_group("Create join tokens (agents) and user tokens.")


class TokenOutput(enum.StrEnum):
    text = "text"
    json = "json"


def _agent_site(agent: str, site: str | None, inventory: list[Path]) -> str:
    if not inventory:
        if site is None:
            raise UsageError("--agent needs --inventory (to find the agent's site) or --site")
        return site
    from netwarden.inventory import load_inventory

    listed = next((a for a in load_inventory(inventory).agents if a.id == agent), None)
    if listed is None:
        raise UsageError(f"agent {agent!r} is not in the inventory")
    if site is not None and site != listed.site:
        raise UsageError(f"--site {site} disagrees with the inventory: {agent} is at {listed.site}")
    return listed.site


def _ca_sha256(data_dir: Path, insecure: bool) -> str | None:
    if insecure:
        return None
    from netwarden.collector.tls import existing_ca_sha256  # cryptography: on use only

    fingerprint = existing_ca_sha256(data_dir)
    if fingerprint is None:
        raise UsageError(
            f"no collector CA in {data_dir / 'tls'}: start `netwarden collector serve` once "
            "(it creates the CA), or pass --insecure for a plain-HTTP lab collector"
        )
    return fingerprint


@app.command("create")
def create(
    *,
    agent: Annotated[str | None, typer.Option("--agent", help="Agent id: a join token.")] = None,
    user: Annotated[str | None, typer.Option("--user", help="User name: a user token.")] = None,
    role: Annotated[
        str | None,
        typer.Option("--role", help="admin, responder, viewer or webhook (posts alerts only)."),
    ] = None,
    ttl: Annotated[str, typer.Option("--ttl", help="How long a join token is valid.")] = "24h",
    inventory: Annotated[
        list[Path] | None,
        typer.Option("--inventory", "-i", help="Inventory (finds and checks the agent's site)."),
    ] = None,
    site: Annotated[str | None, typer.Option("--site", help="The agent's site.")] = None,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="Token for a plain-HTTP collector (no CA hash).")
    ] = False,
    db: DbUrl = None,
    data_dir: DataDir = DEFAULT_DATA_DIR,
    output: Annotated[TokenOutput, typer.Option("--output", "-o")] = TokenOutput.text,
) -> None:
    """Print a new one-time join token (--agent) or user token (--user --role)."""
    from netwarden.collector.store import ROLES, open_store  # SQLAlchemy: only when used

    if (agent is None) == (user is None):
        raise UsageError("give either --agent ID or --user NAME --role ROLE")
    name = agent if agent is not None else user
    assert name is not None
    if not re.match(ID_PATTERN, name):
        raise UsageError(f"{name!r} is not an id (a letter, then letters, digits, . _ -)")
    if agent is not None:
        ttl_s = parse_seconds(ttl, "--ttl")
        where = _agent_site(agent, site, inventory or [])
        ca_sha256 = _ca_sha256(data_dir, insecure)  # checked before a token is stored
        _join_token(agent, where, ttl_s, ca_sha256, url=db_url(db, data_dir), output=output)
    else:
        if role not in ROLES:
            raise UsageError("--user needs --role admin, responder, viewer or webhook")
        store = open_store(db_url(db, data_dir))
        try:
            token = store.create_user_token(name, role, local_actor(), time.time())
        finally:
            store.close()
        _emit(output, token, {"token": token, "user": name, "role": role})


def _join_token(
    agent: str, where: str, ttl: float, ca_sha256: str | None, *, url: str, output: TokenOutput
) -> None:
    from netwarden.collector.store import open_store

    now = time.time()
    store = open_store(url)
    try:
        secret = store.create_join_token(agent, where, ttl, local_actor(), now)
    finally:
        store.close()
    token = format_join_token(secret, ca_sha256)
    _emit(output, token, {"token": token, "agent": agent, "site": where, "expires_at": now + ttl})
    if output is TokenOutput.text:
        expires = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now + ttl))
        sys.stderr.write(f"one-time join token for {agent} (site {where}), valid until {expires}\n")


def _emit(output: TokenOutput, token: str, details: dict[str, object]) -> None:
    if output is TokenOutput.json:
        sys.stdout.write(json.dumps(details) + "\n")
    else:
        sys.stdout.write(token + "\n")
