"""Secrets for join tokens, agent credentials and user tokens: made here, stored as SHA-256.

A token's random part comes from ``secrets.token_urlsafe`` (no '.'), so a token splits at its
last dot even when the agent or user id in the middle holds dots (inventory ids may).
"""

import hashlib
import hmac
import secrets

SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh random secret, URL-safe, without dots."""
    return secrets.token_urlsafe(SECRET_BYTES)


def digest(value: str) -> str:
    """SHA-256 of ``value`` in hex: what the store keeps instead of the secret."""
    return hashlib.sha256(value.encode()).hexdigest()


def matches(value: str, stored_hash: str | None) -> bool:
    """Constant-time check of ``value`` against a stored hash."""
    if stored_hash is None:
        return False
    return hmac.compare_digest(digest(value), stored_hash)


def owner(token: str, prefix: str) -> str | None:
    """The id inside ``<prefix>.<id>.<secret>``, or None if the token has not that shape."""
    head, dot, secret = token.rpartition(".")
    if not dot or not secret or not head.startswith(prefix + "."):
        return None
    ident = head[len(prefix) + 1 :]
    return ident or None
