"""The playbook runs' tables (on ``schema.metadata``; migration 0006_playbook_runs builds them).

A run is one playbook started for an alert, an incident or a device; it keeps the playbook's
definition and the template context as they were when it started (JSON), so that it finishes
as it began even if the files or the inventory change, and across restarts. Each attempt of a
step is a row of ``playbook_steps``; the jobs it sent are in the ``jobs`` table, named by id
in the row's ``jobs`` JSON. A run's incident is not a foreign key: pruning an incident prunes
its runs with it (``incident_actions.prune``).
"""

import sqlalchemy as sa

from netwarden.collector.store.incident_schema import INCIDENT_ID
from netwarden.collector.store.schema import HASH, ID, metadata

RUN_ID = 32  # RUN-YYYYMMDD-NNN(N...)

playbook_runs = sa.Table(
    "playbook_runs",
    metadata,
    sa.Column("id", sa.String(RUN_ID), primary_key=True),
    sa.Column("day", sa.String(8), nullable=False),  # the Vietnam date in the id
    sa.Column("day_seq", sa.Integer, nullable=False),
    sa.Column("playbook_id", sa.String(ID), nullable=False),
    sa.Column("title", sa.String(255), nullable=False),
    sa.Column("sha256", sa.String(HASH), nullable=False),  # of the definition
    sa.Column("definition", sa.Text, nullable=False),  # the playbook, JSON
    sa.Column("incident_id", sa.String(INCIDENT_ID), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("trigger", sa.Text, nullable=False),
    sa.Column("started_by", sa.String(255), nullable=False),
    sa.Column("context", sa.Text, nullable=False),  # the template context at the start, JSON
    sa.Column("lock_key", sa.String(255), nullable=True),
    sa.Column("throttle_key", sa.String(1024), nullable=True),
    sa.Column("step", sa.Integer, nullable=False),  # the current step (len(steps): past the end)
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("started_at", sa.Double, nullable=True),
    sa.Column("updated_at", sa.Double, nullable=False),
    sa.Column("ended_at", sa.Double, nullable=True),
    sa.Column("reason", sa.Text, nullable=True),  # why it failed or was cancelled
    sa.Column("conclusions", sa.Text, nullable=False),  # JSON list of lines
    sa.UniqueConstraint("day", "day_seq"),
    sa.Index(None, "status"),
    sa.Index(None, "incident_id"),
    sa.Index(None, "playbook_id", "throttle_key", "created_at"),
)

playbook_steps = sa.Table(
    "playbook_steps",
    metadata,
    sa.Column("run_id", sa.String(RUN_ID), sa.ForeignKey("playbook_runs.id"), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("step_id", sa.String(ID), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("action", sa.String(ID), nullable=False),
    sa.Column("status", sa.String(24), nullable=False),
    sa.Column("agent_id", sa.String(ID), nullable=True),
    sa.Column("args", sa.Text, nullable=True),  # rendered, JSON
    sa.Column("jobs", sa.Text, nullable=False),  # JSON [{"job", "agent", "item"}]
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("not_before", sa.Double, nullable=True),  # a retry waits until then
    sa.Column("started_at", sa.Double, nullable=True),
    sa.Column("ended_at", sa.Double, nullable=True),
    sa.Column("deadline", sa.Double, nullable=True),
    sa.Column("timeout", sa.Double, nullable=True),
    sa.Column("output", sa.Text, nullable=True),  # JSON
    sa.Column("text", sa.Text, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("evidence", sa.Integer, nullable=True),  # the incident's evidence id
    sa.Column("late", sa.Boolean, nullable=False),  # a result came after the step had ended
    sa.Index(None, "status"),
)

PLAYBOOK_TABLES: tuple[sa.Table, ...] = (playbook_runs, playbook_steps)
"""In dump order: runs before their steps."""
