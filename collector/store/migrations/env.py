"""Alembic environment: runs on the connection ``migrate.upgrade`` hands over."""

from alembic import context
from sqlalchemy.engine import Connection

from netwarden.collector.store.schema import metadata


def run() -> None:
    """Run the migrations on the connection from ``config.attributes`` (online mode only)."""
    conn = context.config.attributes.get("connection")
    if not isinstance(conn, Connection):
        raise RuntimeError("netwarden runs its migrations online, through collector.store.migrate")
    # The caller's transaction wraps the whole upgrade; SQLite needs batch mode for ALTERs.
    context.configure(
        connection=conn,
        target_metadata=metadata,
        render_as_batch=conn.dialect.name == "sqlite",
        transactional_ddl=True,
    )
    context.run_migrations()


run()
