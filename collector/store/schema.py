"""The collector's tables (SQLAlchemy Core). migrations/versions/ must build exactly these.

A test compares a migrated database with this metadata (alembic ``compare_metadata``) on
SQLite and PostgreSQL, so a change here without a migration fails the suite.

Times are Unix seconds as DOUBLE; JSON documents (job params, result payloads) are stored as
text so a dump carries them verbatim between databases.
"""

import sqlalchemy as sa

# Explicit constraint names: the hand-written migration uses the same names, and PostgreSQL
# and SQLite then agree on them.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING)

ID = 63  # inventory ids are at most 63 characters
HASH = 64  # SHA-256, hex

agents = sa.Table(
    "agents",
    metadata,
    sa.Column("id", sa.String(ID), primary_key=True),
    sa.Column("site", sa.String(ID), nullable=False),
    sa.Column("enrolled_at", sa.Double, nullable=True),
    sa.Column("revoked", sa.Boolean, nullable=False),
    sa.Column("revoked_at", sa.Double, nullable=True),
    sa.Column("credential_hash", sa.String(HASH), nullable=True),
    sa.Column("hostname", sa.String(255), nullable=True),
    sa.Column("version", sa.String(64), nullable=True),
    sa.Column("started_at", sa.Double, nullable=True),
    sa.Column("last_seen", sa.Double, nullable=True),
    sa.Column("clock_offset", sa.Double, nullable=True),
    sa.Column("devices_assigned", sa.Integer, nullable=True),
    sa.Column("devices_healthy", sa.Integer, nullable=True),
    sa.Column("polls_ok", sa.BigInteger, nullable=True),
    sa.Column("polls_failed", sa.BigInteger, nullable=True),
    sa.Column("queue_depth", sa.BigInteger, nullable=True),
    sa.Column("queue_dropped", sa.BigInteger, nullable=True),
    sa.Column("assignment_etag", sa.String(128), nullable=True),
    sa.Column("advertise", sa.String(255), nullable=True),
    sa.Column("spool_depth", sa.BigInteger, nullable=True),  # migration 0002
    sa.Column("spool_oldest_age", sa.Double, nullable=True),
    # Bumped by every new job: the API's long-poll waits for it to change.
    sa.Column("jobs_version", sa.BigInteger, nullable=False),
    # The last result sequence number given out; results are numbered per agent.
    sa.Column("results_seq", sa.BigInteger, nullable=False),
)

join_tokens = sa.Table(
    "join_tokens",
    metadata,
    sa.Column("token_hash", sa.String(HASH), primary_key=True),
    sa.Column("agent_id", sa.String(ID), sa.ForeignKey("agents.id"), nullable=False),
    sa.Column("site", sa.String(ID), nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("created_by", sa.String(255), nullable=False),
    sa.Column("expires_at", sa.Double, nullable=False),
    sa.Column("used_at", sa.Double, nullable=True),
    sa.Column("used_by", sa.String(255), nullable=True),
)

user_tokens = sa.Table(
    "user_tokens",
    metadata,
    sa.Column("token_hash", sa.String(HASH), primary_key=True),
    sa.Column("name", sa.String(ID), nullable=False, index=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("created_by", sa.String(255), nullable=False),
    sa.Column("revoked_at", sa.Double, nullable=True),
)

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("agent_id", sa.String(ID), sa.ForeignKey("agents.id"), nullable=False),
    sa.Column("kind", sa.String(ID), nullable=False),
    sa.Column("params", sa.Text, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("created_by", sa.String(255), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("delivered_at", sa.Double, nullable=True),
    sa.Column("deliveries", sa.Integer, nullable=False),
    sa.Column("done_at", sa.Double, nullable=True),
    sa.Column("result_id", sa.String(64), nullable=True),
    # The collector does not hand a job out after ``expires_at`` (nor does the agent start
    # it); ``lease`` is how long a delivered job waits for its result before it is handed out
    # again (None: the store's default). Playbook steps set both (0006_playbook_runs).
    sa.Column("expires_at", sa.Double, nullable=True),
    sa.Column("lease", sa.Double, nullable=True),
    sa.Index(None, "agent_id", "state"),
)

results = sa.Table(
    "results",
    metadata,
    sa.Column("agent_id", sa.String(ID), sa.ForeignKey("agents.id"), primary_key=True),
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("at", sa.Double, nullable=False),
    sa.Column("job_id", sa.String(36), nullable=True),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("received_at", sa.Double, nullable=False),
    sa.Index(None, "agent_id", "seq", unique=True),
)

# Every revision of every device's configuration agents sent (newest by fetched_at): a lost
# agent box loses no history. One row per (device, revision); `revision` is the commit in the
# sending agent's store, `config` the configuration as that store keeps it (redacted).
config_revisions = sa.Table(
    "config_revisions",
    metadata,
    sa.Column("device", sa.String(ID), primary_key=True),
    sa.Column("revision", sa.String(HASH), primary_key=True),
    sa.Column("agent_id", sa.String(ID), sa.ForeignKey("agents.id"), nullable=False),
    sa.Column("site", sa.String(ID), nullable=False),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("previous_revision", sa.String(HASH), nullable=True),
    sa.Column("time", sa.String(40), nullable=False),
    sa.Column("fetched_at", sa.Double, nullable=False),
    sa.Column("received_at", sa.Double, nullable=False),
    sa.Column("sha256", sa.String(HASH), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("config", sa.Text, nullable=False),
    sa.Index(None, "device", "fetched_at"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
    sa.Column("at", sa.Double, nullable=False),
    sa.Column("actor", sa.String(255), nullable=False),
    sa.Column("action", sa.String(ID), nullable=False),
    sa.Column("target", sa.String(255), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
)

# The incident record's tables live in their own module, on this metadata (it needs ID, HASH
# and metadata from here, hence the import at the end).
from netwarden.collector.store.event_schema import device_events  # noqa: E402
from netwarden.collector.store.incident_schema import INCIDENT_TABLES  # noqa: E402
from netwarden.collector.store.playbook_schema import PLAYBOOK_TABLES  # noqa: E402

# The order a dump writes and a restore loads: parents before the rows that reference them.
TABLES: tuple[sa.Table, ...] = (
    agents,
    join_tokens,
    user_tokens,
    jobs,
    results,
    config_revisions,
    audit_log,
    *INCIDENT_TABLES,
    *PLAYBOOK_TABLES,
    device_events,
)
