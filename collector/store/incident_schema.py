"""The incident record's tables (on ``schema.metadata``; migration 0002_incidents builds them).

Ids other than the incident's are small numbers given out under the incident lock
(``incident_lock.take``), never database sequences, so a dump restores them verbatim on
SQLite and PostgreSQL alike. An alert is identified by (fingerprint, startsAt), with startsAt
as integer nanoseconds: exactly what Alertmanager sends, no float rounding.
"""

import sqlalchemy as sa

from netwarden.collector.store.schema import HASH, ID, metadata

INCIDENT_ID = 32  # INC-YYYYMMDD-NNN(N...)
KEY = 255

incidents = sa.Table(
    "incidents",
    metadata,
    sa.Column("id", sa.String(INCIDENT_ID), primary_key=True),
    sa.Column("day", sa.String(8), nullable=False),  # the Vietnam date in the id
    sa.Column("day_seq", sa.Integer, nullable=False),
    sa.Column("key", sa.String(KEY), nullable=False),
    sa.Column("title", sa.String(255), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("site", sa.String(ID), nullable=True),  # the primary affected site
    sa.Column("opened_at", sa.Double, nullable=False),  # discovery: the earliest startsAt
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
    sa.Column("affected", sa.Text, nullable=False),  # JSON, see incidents/affected.py
    sa.Column("serious", sa.Boolean, nullable=False),
    sa.Column("serious_confirmed", sa.Boolean, nullable=True),  # None: nobody said yet
    sa.Column("serious_confirmed_by", sa.String(255), nullable=True),
    sa.Column("confidential", sa.Boolean, nullable=False),
    sa.Column("support_requested", sa.Boolean, nullable=False),
    sa.Column("in_maintenance", sa.Boolean, nullable=False),
    sa.Column("truncated_alerts", sa.Integer, nullable=False),
    sa.Column("reopened", sa.Integer, nullable=False),
    sa.Column("timeline_seq", sa.Integer, nullable=False),
    sa.Column("evidence_seq", sa.Integer, nullable=False),
    sa.UniqueConstraint("day", "day_seq"),
    sa.Index(None, "key", "status"),
    sa.Index(None, "status", "closed_at"),
)

# The sites an incident affects, for `incident list --site` (the JSON above holds the rest).
incident_sites = sa.Table(
    "incident_sites",
    metadata,
    sa.Column(
        "incident_id", sa.String(INCIDENT_ID), sa.ForeignKey("incidents.id"), primary_key=True
    ),
    sa.Column("site", sa.String(ID), primary_key=True),
    sa.Index(None, "site"),
)

incident_alerts = sa.Table(
    "incident_alerts",
    metadata,
    sa.Column("fingerprint", sa.String(64), primary_key=True),
    sa.Column("starts_ns", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("incident_id", sa.String(INCIDENT_ID), sa.ForeignKey("incidents.id"), nullable=False),
    sa.Column("alertname", sa.String(255), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("ends_ns", sa.BigInteger, nullable=True),
    sa.Column("labels", sa.Text, nullable=False),
    sa.Column("annotations", sa.Text, nullable=False),
    sa.Column("generator_url", sa.Text, nullable=True),
    sa.Column("received_at", sa.Double, nullable=False),
    sa.Column("resolved_received_at", sa.Double, nullable=True),
    sa.Index(None, "incident_id"),
)

incident_timeline = sa.Table(
    "incident_timeline",
    metadata,
    sa.Column(
        "incident_id", sa.String(INCIDENT_ID), sa.ForeignKey("incidents.id"), primary_key=True
    ),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", sa.Double, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("actor", sa.String(255), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
)

incident_evidence = sa.Table(
    "incident_evidence",
    metadata,
    sa.Column(
        "incident_id", sa.String(INCIDENT_ID), sa.ForeignKey("incidents.id"), primary_key=True
    ),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("sha256", sa.String(HASH), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("at", sa.Double, nullable=False),
    sa.Column("source", sa.String(255), nullable=False),  # user:NAME or agent:ID
    sa.Column("step", sa.String(255), nullable=True),  # the agent's playbook step
    sa.Index(None, "sha256"),
)

maintenance_windows = sa.Table(
    "maintenance_windows",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("site", sa.String(ID), nullable=True),
    sa.Column("link", sa.String(ID), nullable=True),
    sa.Column("device", sa.String(ID), nullable=True),
    sa.Column("starts_at", sa.Double, nullable=False),
    sa.Column("ends_at", sa.Double, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("created_by", sa.String(255), nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("silences", sa.Text, nullable=False),  # JSON list of Alertmanager silence ids
    sa.Column("cancelled", sa.Boolean, nullable=False),  # removed before it began
    sa.Column("removed_at", sa.Double, nullable=True),
    sa.Column("removed_by", sa.String(255), nullable=True),
    sa.Index(None, "ends_at"),
)

from netwarden.collector.store.report_schema import REPORT_TABLES  # noqa: E402

INCIDENT_TABLES: tuple[sa.Table, ...] = (
    incidents,
    incident_sites,
    incident_alerts,
    incident_timeline,
    incident_evidence,
    maintenance_windows,
    *REPORT_TABLES,
)
"""In dump order: incidents before the rows that reference them."""
