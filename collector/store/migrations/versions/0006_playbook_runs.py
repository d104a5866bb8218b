"""Playbook runs and their steps; jobs get ``expires_at`` and their own ``lease``.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

_RUN = sa.String(32)


def upgrade() -> None:
    """Create the tables of playbook_schema.py and add the jobs' new columns."""
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("expires_at", sa.Double, nullable=True))
        batch.add_column(sa.Column("lease", sa.Double, nullable=True))
    op.create_table(
        "playbook_runs",
        sa.Column("id", _RUN, nullable=False),
        sa.Column("day", sa.String(8), nullable=False),
        sa.Column("day_seq", sa.Integer, nullable=False),
        sa.Column("playbook_id", sa.String(63), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("definition", sa.Text, nullable=False),
        sa.Column("incident_id", sa.String(32), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("trigger", sa.Text, nullable=False),
        sa.Column("started_by", sa.String(255), nullable=False),
        sa.Column("context", sa.Text, nullable=False),
        sa.Column("lock_key", sa.String(255), nullable=True),
        sa.Column("throttle_key", sa.String(1024), nullable=True),
        sa.Column("step", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("started_at", sa.Double, nullable=True),
        sa.Column("updated_at", sa.Double, nullable=False),
        sa.Column("ended_at", sa.Double, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("conclusions", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_playbook_runs"),
        sa.UniqueConstraint("day", "day_seq", name="uq_playbook_runs_day_day_seq"),
    )
    op.create_index("ix_playbook_runs_status", "playbook_runs", ["status"])
    op.create_index("ix_playbook_runs_incident_id", "playbook_runs", ["incident_id"])
    op.create_index(
        "ix_playbook_runs_playbook_id_throttle_key_created_at",
        "playbook_runs",
        ["playbook_id", "throttle_key", "created_at"],
    )
    op.create_table(
        "playbook_steps",
        sa.Column("run_id", _RUN, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("step_id", sa.String(63), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("action", sa.String(63), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("agent_id", sa.String(63), nullable=True),
        sa.Column("args", sa.Text, nullable=True),
        sa.Column("jobs", sa.Text, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("not_before", sa.Double, nullable=True),
        sa.Column("started_at", sa.Double, nullable=True),
        sa.Column("ended_at", sa.Double, nullable=True),
        sa.Column("deadline", sa.Double, nullable=True),
        sa.Column("timeout", sa.Double, nullable=True),
        sa.Column("output", sa.Text, nullable=True),
        sa.Column("text", sa.Text, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("evidence", sa.Integer, nullable=True),
        sa.Column("late", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("run_id", "seq", name="pk_playbook_steps"),
        sa.ForeignKeyConstraint(
            ["run_id"], ["playbook_runs.id"], name="fk_playbook_steps_run_id_playbook_runs"
        ),
    )
    op.create_index("ix_playbook_steps_status", "playbook_steps", ["status"])


def downgrade() -> None:
    op.drop_table("playbook_steps")
    op.drop_table("playbook_runs")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("lease")
        batch.drop_column("expires_at")
