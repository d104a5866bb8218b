"""The incident record: incidents, their sites, alerts, timeline, evidence; maintenance windows.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

_INCIDENT = sa.String(32)


def _incident_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["incident_id"], ["incidents.id"], name=f"fk_{table}_incident_id_incidents"
    )


def upgrade() -> None:
    """Create the tables of incident_schema.py (constraint names as schema.NAMING makes them)."""
    op.create_table(
        "incidents",
        sa.Column("id", _INCIDENT, nullable=False),
        sa.Column("day", sa.String(8), nullable=False),
        sa.Column("day_seq", sa.Integer, nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("site", sa.String(63), nullable=True),
        sa.Column("opened_at", sa.Double, nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("updated_at", sa.Double, nullable=False),
        sa.Column("acknowledged_at", sa.Double, nullable=True),
        sa.Column("acknowledged_by", sa.String(255), nullable=True),
        sa.Column("resolved_at", sa.Double, nullable=True),
        sa.Column("resolved_by", sa.String(255), nullable=True),
        sa.Column("resolution", sa.Text, nullable=True),
        sa.Column("closed_at", sa.Double, nullable=True),
        sa.Column("closed_by", sa.String(255), nullable=True),
        sa.Column("closing_summary", sa.Text, nullable=True),
        sa.Column("affected", sa.Text, nullable=False),
        sa.Column("serious", sa.Boolean, nullable=False),
        sa.Column("serious_confirmed", sa.Boolean, nullable=True),
        sa.Column("serious_confirmed_by", sa.String(255), nullable=True),
        sa.Column("confidential", sa.Boolean, nullable=False),
        sa.Column("support_requested", sa.Boolean, nullable=False),
        sa.Column("in_maintenance", sa.Boolean, nullable=False),
        sa.Column("truncated_alerts", sa.Integer, nullable=False),
        sa.Column("reopened", sa.Integer, nullable=False),
        sa.Column("timeline_seq", sa.Integer, nullable=False),
        sa.Column("evidence_seq", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_incidents"),
        sa.UniqueConstraint("day", "day_seq", name="uq_incidents_day_day_seq"),
    )
    op.create_index("ix_incidents_key_status", "incidents", ["key", "status"])
    op.create_index("ix_incidents_status_closed_at", "incidents", ["status", "closed_at"])
    op.create_table(
        "incident_sites",
        sa.Column("incident_id", _INCIDENT, nullable=False),
        sa.Column("site", sa.String(63), nullable=False),
        sa.PrimaryKeyConstraint("incident_id", "site", name="pk_incident_sites"),
        _incident_fk("incident_sites"),
    )
    op.create_index("ix_incident_sites_site", "incident_sites", ["site"])
    op.create_table(
        "incident_alerts",
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("starts_ns", sa.BigInteger, nullable=False, autoincrement=False),
        sa.Column("incident_id", _INCIDENT, nullable=False),
        sa.Column("alertname", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("ends_ns", sa.BigInteger, nullable=True),
        sa.Column("labels", sa.Text, nullable=False),
        sa.Column("annotations", sa.Text, nullable=False),
        sa.Column("generator_url", sa.Text, nullable=True),
        sa.Column("received_at", sa.Double, nullable=False),
        sa.Column("resolved_received_at", sa.Double, nullable=True),
        sa.PrimaryKeyConstraint("fingerprint", "starts_ns", name="pk_incident_alerts"),
        _incident_fk("incident_alerts"),
    )
    op.create_index("ix_incident_alerts_incident_id", "incident_alerts", ["incident_id"])
    op.create_table(
        "incident_timeline",
        sa.Column("incident_id", _INCIDENT, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("at", sa.Double, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("incident_id", "seq", name="pk_incident_timeline"),
        _incident_fk("incident_timeline"),
    )
    op.create_table(
        "incident_evidence",
        sa.Column("incident_id", _INCIDENT, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("at", sa.Double, nullable=False),
        sa.Column("source", sa.String(255), nullable=False),
        sa.Column("step", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("incident_id", "seq", name="pk_incident_evidence"),
        _incident_fk("incident_evidence"),
    )
    op.create_index("ix_incident_evidence_sha256", "incident_evidence", ["sha256"])
    op.create_table(
        "maintenance_windows",
        sa.Column("id", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("site", sa.String(63), nullable=True),
        sa.Column("link", sa.String(63), nullable=True),
        sa.Column("device", sa.String(63), nullable=True),
        sa.Column("starts_at", sa.Double, nullable=False),
        sa.Column("ends_at", sa.Double, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", sa.Double, nullable=False),
        sa.Column("silences", sa.Text, nullable=False),
        sa.Column("cancelled", sa.Boolean, nullable=False),
        sa.Column("removed_at", sa.Double, nullable=True),
        sa.Column("removed_by", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_maintenance_windows"),
    )
    op.create_index("ix_maintenance_windows_ends_at", "maintenance_windows", ["ends_at"])


def downgrade() -> None:
    """Drop the incident tables, children first."""
    for table in (
        "maintenance_windows",
        "incident_evidence",
        "incident_timeline",
        "incident_alerts",
        "incident_sites",
        "incidents",
    ):
        op.drop_table(table)
