"""``netwarden fleet ...``: the collector's view of the agents, for people at a terminal.

Talks to the collector API with the user token in ``NETWARDEN_TOKEN``. The collector's URL is
``--collector`` or ``NETWARDEN_COLLECTOR``; its CA is ``--ca-file`` (or ``NETWARDEN_CA_FILE``,
e.g. the ``tls/ca.pem`` of the collector's data directory). Plain ``http://`` needs
``--insecure``, as for agents.
"""

from __future__ import annotations

import os
import ssl
import sys
import time
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import httpx
import typer

from netwarden.errors import NetwardenError, UsageError
from netwarden.output import OutputFormat, emit_json, render_table

app = typer.Typer(
    help="See and manage the agent fleet through the collector.", no_args_is_help=True
)

Collector = Annotated[
    str | None,
    typer.Option(
        "--collector", envvar="NETWARDEN_COLLECTOR", help="Collector URL.", show_default=False
    ),
]
CaFile = Annotated[
    Path | None,
    typer.Option("--ca-file", envvar="NETWARDEN_CA_FILE", help="PEM of the collector CA."),
]
Insecure = Annotated[
    bool, typer.Option("--insecure", help="Allow http://, or skip TLS verification.")
]


class CollectorApi:
    """One collector, one token; every failure becomes one readable line. Used once: ``call``
    closes the connection (other commands that talk to the collector use it too)."""

    def __init__(
        self,
        url: str | None,
        ca_file: Path | None,
        insecure: bool,
        transport: httpx.BaseTransport | None = None,  # tests answer in the collector's place
    ) -> None:
        if not url:
            raise UsageError("no collector: pass --collector URL or set NETWARDEN_COLLECTOR")
        token = os.environ.get("NETWARDEN_TOKEN", "").strip()
        if not token:
            raise UsageError(
                "NETWARDEN_TOKEN is not set (a user token from "
                "`netwarden collector token create --user NAME --role ROLE`)"
            )
        if url.startswith("http://") and not insecure:
            raise UsageError(f"{url} is plain HTTP: pass --insecure to use it")
        if ca_file is not None and not ca_file.is_file():
            raise UsageError(f"--ca-file {ca_file}: no such file")
        verify: bool | ssl.SSLContext = True
        if ca_file is not None:
            try:
                verify = ssl.create_default_context(cafile=str(ca_file))
            except (ssl.SSLError, OSError) as exc:
                raise UsageError(f"--ca-file {ca_file}: not a PEM certificate ({exc})") from None
        elif insecure:
            verify = False
        self.url = url.rstrip("/")
        self.client = httpx.Client(
            base_url=self.url,
            verify=verify,
            timeout=15.0,
            headers={"Authorization": f"Bearer {token}"},
            transport=transport,
        )

    def call(self, method: str, path: str, role: str, params: dict[str, str] | None = None) -> Any:
        try:
            answer = self.client.request(method, path, params=params)
        except httpx.ConnectError as exc:
            hint = " (is --ca-file the collector's CA?)" if "CERTIFICATE" in str(exc) else ""
            raise NetwardenError(f"cannot reach the collector at {self.url}: {exc}{hint}") from exc
        except httpx.HTTPError as exc:
            raise NetwardenError(f"collector {self.url}: {exc}") from exc
        finally:
            self.client.close()
        if answer.status_code in (401, 403):
            raise NetwardenError(
                f"the collector refused the token ({_error(answer)}): this "
                f"needs a token with the {role} role"
            )
        if answer.status_code >= 400:
            raise NetwardenError(f"collector answered {answer.status_code}: {_error(answer)}")
        try:
            return answer.json()
        except ValueError:
            raise NetwardenError(f"{self.url}{path}: the answer is not JSON") from None


def _error(answer: httpx.Response) -> str:
    try:
        return str(answer.json()["error"])
    except (ValueError, KeyError, TypeError):
        return answer.text[:200] or answer.reason_phrase


def _ago(last_seen: float | None, now: float) -> str:
    if last_seen is None:
        return "never"
    return f"{_span(max(0.0, now - last_seen))} ago"


def _row(agent: dict[str, Any], now: float) -> list[object]:
    state = str(agent["state"])
    devices = f"{agent['devices_healthy']}/{agent['devices_assigned']}"
    offset = agent["clock_offset"]
    return [
        agent["id"],
        agent["site"],
        state.upper() if state == "stale" else state,
        _ago(agent["last_seen"], now),
        agent["version"] or "-",
        devices if agent["devices_assigned"] is not None else "-",
        agent["queue_depth"] if agent["queue_depth"] is not None else "-",
        _spool(agent.get("spool_depth"), agent.get("spool_oldest_age")),
        f"{offset:+.2f}s" if offset is not None else "-",
    ]


def _spool(depth: int | None, oldest_age: float | None) -> str:
    """A push agent's spool: samples waiting and how far back they go; "-" for pull agents."""
    if depth is None:
        return "-"
    if not depth or oldest_age is None:
        return str(depth)
    return f"{depth} ({_span(oldest_age)})"


def _span(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f}s"
    return f"{seconds / 60:.0f}m" if seconds < 7200 else f"{seconds / 3600:.1f}h"


def fleet_table(agents: list[dict[str, Any]], now: float, *, color: bool) -> str:
    """The fleet as a table; stale agents' STATE is upper case, and the line red on a TTY."""
    headers = [
        "AGENT",
        "SITE",
        "STATE",
        "LAST SEEN",
        "VERSION",
        "DEVICES OK",
        "QUEUE",
        "PUSH SPOOL",
        "CLOCK OFFSET",
    ]
    lines = render_table(headers, [_row(a, now) for a in agents]).split("\n")
    if color:
        for n, agent in enumerate(agents, start=2):  # after the header and its rule
            if agent["state"] == "stale":
                lines[n] = typer.style(lines[n], fg=typer.colors.RED, bold=True)
    return "\n".join(lines)


@app.command("status")
def status(
    collector: Collector = None,
    output: Annotated[OutputFormat, typer.Option("--output", "-o")] = OutputFormat.table,
    ca_file: CaFile = None,
    insecure: Insecure = False,
) -> None:
    """Each agent: site, state (up, STALE, never, revoked), last seen, version, devices, queue,
    push spool (samples waiting, and how old the oldest is)."""
    agents = CollectorApi(collector, ca_file, insecure).call("GET", "/api/v1/fleet", "viewer")[
        "agents"
    ]
    if output is OutputFormat.json:
        emit_json({"agents": agents})
        return
    if not agents:
        typer.echo("no agents enrolled yet")
        return
    typer.echo(fleet_table(agents, time.time(), color=sys.stdout.isatty()))


@app.command("revoke")
def revoke(
    agent: Annotated[str, typer.Argument(help="The agent id to revoke.")],
    collector: Collector = None,
    ca_file: CaFile = None,
    insecure: Insecure = False,
) -> None:
    """Revoke an agent's credential at once (it needs a new join token to come back)."""
    api = CollectorApi(collector, ca_file, insecure)
    api.call("POST", f"/api/v1/agents/{quote(agent, safe='')}/revoke", "admin")
    typer.echo(f"agent {agent} revoked")
