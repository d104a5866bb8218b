"""Errors of the collector's store, in netwarden's one exception tree."""

from netwarden.errors import NetwardenError


class StoreError(NetwardenError):
    """The store could not do what was asked: database unreachable, bad URL, bad dump, ..."""


class TokenError(StoreError):
    """A join or user token is unknown, already used, expired or revoked (one admin line)."""


class UnknownAgentError(StoreError):
    """The agent id names no agent the store knows (the API answers 404)."""


class StoreInputError(StoreError):
    """A value the store cannot hold (too long, out of range, unknown kind): the caller's input.

    The API validates bodies first; this keeps SQLite (which ignores column lengths) and
    PostgreSQL (which refuses them) behaving the same when something slips through.
    """
