"""Every device's configuration history, as agents send each new revision.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create config_revisions (constraint names as schema.NAMING makes them)."""
    op.create_table(
        "config_revisions",
        sa.Column("device", sa.String(63), nullable=False),
        sa.Column("revision", sa.String(64), nullable=False),
        sa.Column("agent_id", sa.String(63), nullable=False),
        sa.Column("site", sa.String(63), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("previous_revision", sa.String(64), nullable=True),
        sa.Column("time", sa.String(40), nullable=False),
        sa.Column("fetched_at", sa.Double, nullable=False),
        sa.Column("received_at", sa.Double, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("config", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("device", "revision", name="pk_config_revisions"),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name="fk_config_revisions_agent_id_agents"
        ),
    )
    op.create_index(
        "ix_config_revisions_device_fetched_at", "config_revisions", ["device", "fetched_at"]
    )


def downgrade() -> None:
    op.drop_table("config_revisions")
