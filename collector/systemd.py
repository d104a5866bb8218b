"""The systemd unit of the collector, rendered for ``collector install-service``.

The collector needs no capability at all (it listens above 1024 and only answers HTTP), so the
unit gives it none, runs it as an unprivileged system user and makes the whole file system
read-only except its data directory.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

UNIT_PATH = Path("/etc/systemd/system/netwarden-collector.service")


def exec_start(args: Sequence[str]) -> str:
    """The ``ExecStart=`` command: this Python running ``netwarden`` with ``args``."""
    return shlex.join([sys.executable, "-m", "netwarden", *args])


def render_unit(
    *,
    user: str,
    data_dir: Path,
    serve_args: Sequence[str],
    bind_low_port: bool = False,
) -> str:
    """The unit file text; ``bind_low_port`` grants CAP_NET_BIND_SERVICE for a port < 1024."""
    caps = "CAP_NET_BIND_SERVICE" if bind_low_port else ""
    return f"""[Unit]
Description=netwarden collector (fleet enrolment, assignments, service discovery)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User={user}
Group={user}
ExecStart={exec_start(serve_args)}
ExecReload=/bin/kill -HUP $MAINPID
KillSignal=SIGTERM
TimeoutStopSec=30
Restart=on-failure
RestartSec=5
WorkingDirectory={data_dir}
UMask=0077
# Every agent holds two or three connections, each a file descriptor (--max-connections).
LimitNOFILE=65536
NoNewPrivileges=yes
CapabilityBoundingSet={caps}
AmbientCapabilities={caps}
ProtectSystem=strict
ProtectHome=read-only
ReadWritePaths={data_dir}
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX

[Install]
WantedBy=multi-user.target
"""
