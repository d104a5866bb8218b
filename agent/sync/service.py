"""``netwarden agent install-service``: the agent as a systemd service.

One template unit, ``netwarden-agent@.service``, serves every agent on a host: the instance
name is the state dir, path-escaped (``netwarden-agent@var-lib-netwarden-a.service`` runs
``--state-dir /var/lib/netwarden/a``; ``%f`` in the unit is that path). Per-agent options
(``--listen``, ``--advertise``) live in the state dir's ``agent.env``, so two agents on one
box differ only in their state dirs. The service runs as an unprivileged system user with
CAP_NET_RAW (raw ICMP sockets) and CAP_NET_BIND_SERVICE (the trap and syslog ports) only, and
may write nowhere but its state dir.
"""

from __future__ import annotations

import os
import pwd
import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from netwarden.errors import NetwardenError

TEMPLATE = "netwarden-agent@.service"
UNIT_DIR = Path("/etc/systemd/system")
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_.")

Run = Callable[[list[str]], None]


def escape_path(path: Path) -> str:
    """``systemd-escape --path``: the instance name that stands for ``path``."""
    parts = [p for p in str(path).split("/") if p]
    if not parts:
        return "-"
    out = []
    for char in "/".join(parts):
        if char == "/":
            out.append("-")
        elif char in _PLAIN and not (char == "." and not out):
            out.append(char)
        else:
            out.extend(f"\\x{byte:02x}" for byte in char.encode())
    return "".join(out)


def instance(state_dir: Path) -> str:
    """The unit that runs the agent of ``state_dir``."""
    return f"netwarden-agent@{escape_path(state_dir)}.service"


def render_unit(executable: str, user: str) -> str:
    """The template unit. ``executable`` is the absolute path of the ``netwarden`` command."""
    return f"""\
# Installed by `netwarden agent install-service`; see docs/deploy.md.
[Unit]
Description=netwarden agent (state dir %f)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User={user}
Group={user}
EnvironmentFile=-%f/agent.env
ExecStart={executable} agent run --state-dir %f $NETWARDEN_AGENT_ARGS
Restart=on-failure
RestartSec=5
# Raw ICMP sockets need CAP_NET_RAW, the trap and syslog ports (162, 514) CAP_NET_BIND_SERVICE;
# nothing else is granted, and nothing can be gained.
AmbientCapabilities=CAP_NET_RAW CAP_NET_BIND_SERVICE
CapabilityBoundingSet=CAP_NET_RAW CAP_NET_BIND_SERVICE
NoNewPrivileges=yes
# The whole file system is read-only except the agent's own state dir.
ProtectSystem=strict
ReadWritePaths=%f
ProtectHome=read-only
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
"""


def render_env(listen: str | None, advertise: str | None, state_dir: Path | None = None) -> str:
    """agent.env: the per-agent options of ``agent run`` (read by systemd, as root), and the
    config backup store inside the state dir (the only place the service may write)."""
    args = []
    if listen:
        args += ["--listen", listen]
    if advertise:
        args += ["--advertise", advertise]
    text = f"NETWARDEN_AGENT_ARGS={shlex.quote(shlex.join(args))}\n"
    if state_dir is not None:
        text += f"NETWARDEN_CONFIG_STORE={shlex.quote(str(state_dir / 'configs'))}\n"
    return text


@dataclass(frozen=True)
class InstallPlan:
    """What install-service writes and runs; ``--dry-run`` prints it instead."""

    state_dir: Path
    user: str
    unit_path: Path
    unit_text: str
    env_text: str

    @property
    def instance(self) -> str:
        return instance(self.state_dir)


def user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        why = (done.stderr or done.stdout).strip().splitlines()
        raise NetwardenError(f"{argv[0]} failed: {why[0] if why else done.returncode}")


def install(plan: InstallPlan, *, start: bool, run: Run = _run) -> list[str]:
    """Create the user (once), write the unit and agent.env, hand the state dir to the user;
    start the instance when systemd runs here. Returns what was done, one line each."""
    done = []
    if not user_exists(plan.user):
        run(
            [
                "useradd",
                "--system",
                "--user-group",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                plan.user,
            ]
        )
        done.append(f"created system user {plan.user}")
    plan.unit_path.parent.mkdir(parents=True, exist_ok=True)
    plan.unit_path.write_text(plan.unit_text, encoding="utf-8")
    done.append(f"wrote {plan.unit_path}")
    env_path = plan.state_dir / "agent.env"
    env_path.write_text(plan.env_text, encoding="utf-8")
    done.append(f"wrote {env_path}")
    account = pwd.getpwnam(plan.user)
    for path in [plan.state_dir, *plan.state_dir.rglob("*")]:
        os.chown(path, account.pw_uid, account.pw_gid, follow_symlinks=False)
    done.append(f"gave {plan.state_dir} to {plan.user}")
    commands = [["systemctl", "daemon-reload"], ["systemctl", "enable", "--now", plan.instance]]
    if start and Path("/run/systemd/system").is_dir():  # systemd is the init of this host
        for argv in commands:
            run(argv)
            done.append(" ".join(argv))
    else:
        done += [f"to start it: {shlex.join(argv)}" for argv in commands]
    return done
