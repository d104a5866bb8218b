"""Bounds of stored values, checked in code so SQLite and PostgreSQL refuse the same things."""

from netwarden.collector.store.errors import StoreInputError
from netwarden.collector.store.rows import Heartbeat

INT32 = 2**31 - 1
INT64 = 2**63 - 1


def text(value: str | None, limit: int, what: str, *, empty: bool = False) -> None:
    """Refuse a string longer than ``limit`` (or empty, unless ``empty``) or holding a NUL."""
    if value is None:
        return
    if len(value) > limit or (not value and not empty) or "\x00" in value:
        raise StoreInputError(
            f"{what} must be 1-{limit} characters without NUL, got {value[:80]!r}"
        )


def count(value: int, limit: int, what: str) -> None:
    """Refuse a counter outside 0..limit."""
    if not 0 <= value <= limit:
        raise StoreInputError(f"{what} must be 0-{limit}, got {value}")


def heartbeat(hb: Heartbeat) -> None:
    """Refuse a heartbeat whose fields do not fit the ``agents`` columns."""
    text(hb.version, 64, "version")
    text(hb.assignment_etag, 128, "assignment_etag")
    text(hb.advertise, 255, "advertise")
    count(hb.devices_assigned, INT32, "devices_assigned")
    count(hb.devices_healthy, INT32, "devices_healthy")
    for name in ("polls_ok", "polls_failed", "queue_depth", "queue_dropped"):
        count(getattr(hb, name), INT64, name)
    if hb.spool_depth is not None:
        count(hb.spool_depth, INT64, "spool_depth")
