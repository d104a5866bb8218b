"""``collector token create`` run in the test's own process, for rigs that need tokens but
are not about that command.

It calls the command's own function (the same code, the same store, the same output), only
without a Python start per token: each `netwarden collector token create` subprocess costs
about a CPU-second of start-up and imports, and a playbook rig needs six. The command as a
person types it is proven by the fleet and collector tests.
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

from tests.lab.fleet_lab import LabCollector


def _created(collector: LabCollector, **options: Any) -> dict[str, Any]:
    from netwarden.collector.token_commands import TokenOutput, create

    out = io.StringIO()
    with redirect_stdout(out), redirect_stderr(io.StringIO()):
        create(data_dir=collector.data_dir, output=TokenOutput.json, **options)
    return dict(json.loads(out.getvalue()))


def join_token(collector: LabCollector, agent: str, inventory: str) -> str:
    """A one-time join token for ``agent`` (its site from the inventory), with the CA hash."""
    return str(_created(collector, agent=agent, inventory=[Path(inventory)])["token"])


def user_token(collector: LabCollector, user: str, role: str) -> str:
    """A user token for ``user`` with ``role``."""
    return str(_created(collector, user=user, role=role)["token"])
