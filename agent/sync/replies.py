"""What became of one request to the collector (:class:`Outcome`) and the answer the loops see
(:class:`Reply`). Apart from the HTTP client (client.py) so that the agent's status and metrics
import no httpx: a standalone agent never talks to a collector.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class Outcome(enum.StrEnum):
    """What became of one request, as the loops need to know it."""

    ok = "ok"  # 2xx, or 304 for a conditional GET
    unreachable = "unreachable"  # no connection (refused, no route, TLS failure, reset)
    timeout = "timeout"  # connected (or tried) but no answer in time
    revoked = "revoked"  # 401/403: the collector refuses this agent's credential
    client_error = "client-error"  # another 4xx: the request itself is wrong
    server_error = "server-error"  # 5xx or an answer that is not the contract's


UNANSWERED = (Outcome.unreachable, Outcome.timeout)  # the WAN or the collector was away


@dataclass(frozen=True)
class Reply:
    """One answer of the collector, or why there was none. ``error`` is one readable line."""

    outcome: Outcome
    status: int | None = None
    data: Any = None  # the decoded JSON body of a 200 (None for 304 and empty bodies)
    etag: str | None = None  # the ETag header, unquoted
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.ok
