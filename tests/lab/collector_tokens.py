"""``netwarden collector token create`` for rigs that need tokens but are not about that
command: run in the test's own process (``tests/cli_in_process.py``: the CLI's own ``main``,
the same parsing, store and output), without an interpreter start and every import per token
(about a CPU-second each; a playbook rig needs six). The collector's own tests run it as a
subprocess.
"""

from __future__ import annotations

import json

from tests.cli_in_process import run_in_process
from tests.lab.fleet_lab import LabCollector, ok


def _created(collector: LabCollector, *args: str) -> str:
    done = run_in_process(
        "collector", "token", "create", *args, "--data-dir", str(collector.data_dir), "-o", "json"
    )
    return str(json.loads(ok(done))["token"])


def join_token(collector: LabCollector, agent: str, inventory: str) -> str:
    """A one-time join token for ``agent`` (its site from the inventory), with the CA hash."""
    return _created(collector, "--agent", agent, "-i", inventory)


def user_token(collector: LabCollector, user: str, role: str) -> str:
    """A user token for ``user`` with ``role``."""
    return _created(collector, "--user", user, "--role", role)
