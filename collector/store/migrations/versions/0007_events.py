"""The events agents received (issue 20): device_events (event_schema.py).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "device_events",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False,
                  autoincrement=True),
        sa.Column("agent_id", sa.String(63), nullable=False),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("at", sa.Double, nullable=False),
        sa.Column("received_at", sa.Double, nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("device", sa.String(255), nullable=True),
        sa.Column("site", sa.String(255), nullable=True),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=True),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_device_events"),
        sa.UniqueConstraint("agent_id", "id", name="uq_device_events_agent_id_id"),
    )  # fmt: skip
    op.create_index("ix_device_events_at", "device_events", ["at"])
    op.create_index("ix_device_events_device_at", "device_events", ["device", "at"])


def downgrade() -> None:
    op.drop_table("device_events")
