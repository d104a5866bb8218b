"""The join token's wire form, ``nwj.<secret>[.<ca-sha256>]``: made by the collector
(``collector token create --agent``), parsed by the agent (``agent enroll``) and redeemed by
the collector's enrol route. One module owns it, so the three cannot drift apart.

``<ca-sha256>`` is the SHA-256 (hex) of the collector CA's DER form: the agent pins that CA
before it sends the secret. Without it (``nwj.<secret>``) the token is for a plain-HTTP lab
collector only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from netwarden.errors import UsageError

PREFIX = "nwj"
_HASH = re.compile(r"[0-9a-f]{64}")


def format_join_token(secret: str, ca_sha256: str | None) -> str:
    """The token an admin hands to an agent; ``ca_sha256`` None for a plain-HTTP collector."""
    return f"{PREFIX}.{secret}" if ca_sha256 is None else f"{PREFIX}.{secret}.{ca_sha256}"


@dataclass(frozen=True)
class JoinToken:
    """A parsed join token. ``text`` is sent as given; its value is never printed."""

    text: str
    ca_sha256: str | None

    def __repr__(self) -> str:
        return f"JoinToken(<secret>, ca_sha256={self.ca_sha256!r})"


def parse_token(text: str) -> JoinToken:
    """Split ``nwj.<secret>[.<ca-sha256>]``; error messages never repeat the token."""
    parts = text.strip().split(".")
    if len(parts) not in (2, 3) or parts[0] != PREFIX or not parts[1]:
        raise UsageError("the join token must look like nwj.<secret>[.<ca-sha256>]")
    if len(parts) == 2:
        return JoinToken(text.strip(), None)
    digest = parts[2].lower()
    if not _HASH.fullmatch(digest):
        raise UsageError("the join token's last part must be the collector CA's SHA-256 (hex)")
    return JoinToken(text.strip(), digest)


def join_secret(token: str) -> str:
    """The secret of a join token, as the collector redeems it (a bare secret passes: the
    agent checked the CA part before it sent the token)."""
    if token.startswith(f"{PREFIX}."):
        return token[len(PREFIX) + 1 :].split(".", 1)[0]
    return token
