"""The report drafts' tables: what a person set for the reports, and every draft made.

Part of the incident record (``INCIDENT_TABLES``): pruned with their incident, carried by
backups. Migration 0003_incident_reports builds them.
"""

import sqlalchemy as sa

from netwarden.collector.store.schema import HASH, metadata

_INCIDENT = 32  # incident_schema.INCIDENT_ID (not imported: that module imports this one)

incident_report_fields = sa.Table(
    "incident_report_fields",
    metadata,
    sa.Column("incident_id", sa.String(_INCIDENT), sa.ForeignKey("incidents.id"), primary_key=True),
    sa.Column("incident_type", sa.String(32), nullable=True),  # a key of the template's types
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("handled_with", sa.String(16), nullable=True),  # alone, domestic, foreign, national
    sa.Column("updated_at", sa.Double, nullable=False),
    sa.Column("updated_by", sa.String(255), nullable=False),
)

incident_reports = sa.Table(
    "incident_reports",
    metadata,
    sa.Column("incident_id", sa.String(_INCIDENT), sa.ForeignKey("incidents.id"), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("form", sa.String(16), nullable=False),  # notice, initial, final
    sa.Column("format", sa.String(8), nullable=False),
    sa.Column("template", sa.String(32), nullable=False),
    sa.Column("sha256", sa.String(HASH), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("made_at", sa.Double, nullable=False),
    sa.Column("made_by", sa.String(255), nullable=False),
)

REPORT_TABLES: tuple[sa.Table, ...] = (incident_report_fields, incident_reports)
