"""The collector's durable state: SQLite (WAL) or PostgreSQL, the same Alembic migrations.

``open_store(url)`` migrates to head and returns a ``Store``; see ``store.Store`` for the
methods and ``rows`` for what they take and give.
"""

from netwarden.collector.store.errors import (
    StoreError,
    StoreInputError,
    TokenError,
    UnknownAgentError,
)
from netwarden.collector.store.jobs import JOB_LEASE
from netwarden.collector.store.rows import (
    ROLES,
    AgentRow,
    AuditEntry,
    Enrolment,
    Heartbeat,
    Job,
    ResultIn,
    ResultRow,
    Role,
    UserRow,
)
from netwarden.collector.store.store import Store, open_existing_store, open_store

__all__ = [
    "JOB_LEASE",
    "ROLES",
    "AgentRow",
    "AuditEntry",
    "Enrolment",
    "Heartbeat",
    "Job",
    "ResultIn",
    "ResultRow",
    "Role",
    "Store",
    "StoreError",
    "StoreInputError",
    "TokenError",
    "UnknownAgentError",
    "UserRow",
    "open_existing_store",
    "open_store",
]
