"""The collector's first schema: agents, join and user tokens, jobs, results, audit log.

Revision ID: 0001
Revises: none
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create every table (names of constraints as schema.NAMING makes them)."""
    op.create_table(
        "agents",
        sa.Column("id", sa.String(63), nullable=False),
        sa.Column("site", sa.String(63), nullable=False),
        sa.Column("enrolled_at", sa.Double, nullable=True),
        sa.Column("revoked", sa.Boolean, nullable=False),
        sa.Column("revoked_at", sa.Double, nullable=True),
        sa.Column("credential_hash", sa.String(64), nullable=True),
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
        sa.Column("jobs_version", sa.BigInteger, nullable=False),
        sa.Column("results_seq", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_agents"),
    )
    op.create_table(
        "join_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("agent_id", sa.String(63), nullable=False),
        sa.Column("site", sa.String(63), nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("expires_at", sa.Double, nullable=False),
        sa.Column("used_at", sa.Double, nullable=True),
        sa.Column("used_by", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name="pk_join_tokens"),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name="fk_join_tokens_agent_id_agents"),
    )
    op.create_table(
        "user_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("name", sa.String(63), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("revoked_at", sa.Double, nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name="pk_user_tokens"),
    )
    op.create_index("ix_user_tokens_name", "user_tokens", ["name"])
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("agent_id", sa.String(63), nullable=False),
        sa.Column("kind", sa.String(63), nullable=False),
        sa.Column("params", sa.Text, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("delivered_at", sa.Double, nullable=True),
        sa.Column("deliveries", sa.Integer, nullable=False),
        sa.Column("done_at", sa.Double, nullable=True),
        sa.Column("result_id", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_jobs"),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name="fk_jobs_agent_id_agents"),
    )
    op.create_index("ix_jobs_agent_id_state", "jobs", ["agent_id", "state"])
    op.create_table(
        "results",
        sa.Column("agent_id", sa.String(63), nullable=False),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("at", sa.Double, nullable=False),
        sa.Column("job_id", sa.String(36), nullable=True),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("received_at", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("agent_id", "id", name="pk_results"),
        sa.ForeignKeyConstraint(["agent_id"], ["agents.id"], name="fk_results_agent_id_agents"),
    )
    op.create_index("ix_results_agent_id_seq", "results", ["agent_id", "seq"], unique=True)
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False),
        sa.Column("at", sa.Double, nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("action", sa.String(63), nullable=False),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )


def downgrade() -> None:
    """Drop every table, children first."""
    for table in ("audit_log", "results", "jobs", "user_tokens", "join_tokens", "agents"):
        op.drop_table(table)
