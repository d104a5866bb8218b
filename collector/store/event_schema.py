"""The events agents received (traps, syslog): one row per event, kept for the retention."""

import sqlalchemy as sa

from netwarden.collector.store.schema import ID, metadata

device_events: sa.Table = sa.Table(
    "device_events",
    metadata,
    # Arrival order: the long poll's cursor (``after``), never reused.
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
              autoincrement=True),
    sa.Column("agent_id", sa.String(ID), nullable=False),
    sa.Column("id", sa.String(64), nullable=False),  # the agent's uuid: delivery is idempotent
    sa.Column("at", sa.Double, nullable=False),  # when the agent received it
    sa.Column("received_at", sa.Double, nullable=False),
    sa.Column("source", sa.String(8), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("device", sa.String(255), nullable=True),  # None: a sender no device has
    sa.Column("site", sa.String(255), nullable=True),
    sa.Column("address", sa.String(64), nullable=False),
    sa.Column("severity", sa.String(16), nullable=True),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.UniqueConstraint("agent_id", "id"),
    sa.Index(None, "at"),
    sa.Index(None, "device", "at"),
)  # fmt: skip
