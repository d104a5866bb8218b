"""The report drafts: what a person set for the national reports, and every draft made.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

_INCIDENT = sa.String(32)


def _incident_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["incident_id"], ["incidents.id"], name=f"fk_{table}_incident_id_incidents"
    )


def upgrade() -> None:
    """Create the tables of report_schema.py (constraint names as schema.NAMING makes them)."""
    op.create_table(
        "incident_report_fields",
        sa.Column("incident_id", _INCIDENT, nullable=False),
        sa.Column("incident_type", sa.String(32), nullable=True),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("handled_with", sa.String(16), nullable=True),
        sa.Column("updated_at", sa.Double, nullable=False),
        sa.Column("updated_by", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("incident_id", name="pk_incident_report_fields"),
        _incident_fk("incident_report_fields"),
    )
    op.create_table(
        "incident_reports",
        sa.Column("incident_id", _INCIDENT, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False, autoincrement=False),
        sa.Column("form", sa.String(16), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("template", sa.String(32), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("made_at", sa.Double, nullable=False),
        sa.Column("made_by", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("incident_id", "seq", name="pk_incident_reports"),
        _incident_fk("incident_reports"),
    )


def downgrade() -> None:
    """Drop the report tables."""
    op.drop_table("incident_reports")
    op.drop_table("incident_report_fields")
