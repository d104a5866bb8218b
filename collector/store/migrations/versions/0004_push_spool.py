"""The push spool's depth in each agent's heartbeat (issue 19): two nullable columns.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add ``agents.spool_depth`` and ``agents.spool_oldest_age`` (null: the agent pulls)."""
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("spool_depth", sa.BigInteger, nullable=True))
        batch.add_column(sa.Column("spool_oldest_age", sa.Double, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("spool_oldest_age")
        batch.drop_column("spool_depth")
