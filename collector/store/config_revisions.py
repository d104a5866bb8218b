"""Every device's configuration history: what agents sent, kept by device (not by agent).

A revision is stored once per (device, revision) however often it is posted, and a revision
whose configuration is the same as the device's newest is not stored at all: a replacement
agent's first backup of an unchanged device (its own store is new) is no change.
"""

import re

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from netwarden.collector.store import checks
from netwarden.collector.store.errors import StoreInputError
from netwarden.collector.store.rows import ConfigDeviceRow, ConfigRevisionIn, ConfigRevisionRow
from netwarden.collector.store.schema import config_revisions as revs

_REVISION = re.compile(r"^[0-9a-f]{4,64}$")  # a commit id, or a unique prefix of one
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_CONFIG = 16 * 1024 * 1024  # characters; a chassis prints some hundred kilobytes
_LISTED = [c for c in revs.columns if c.name != "config"]


def _check(rev: ConfigRevisionIn) -> None:
    for value, limit, what in (
        (rev.device, 63, "device"),
        (rev.site, 63, "site"),
        (rev.role, 32, "role"),
        (rev.time, 40, "time"),
    ):
        checks.text(value, limit, what)
    for commit in (rev.revision, rev.previous_revision):
        if commit is not None and not _REVISION.match(commit):
            raise StoreInputError(f"revision {commit[:80]!r} is not a commit id")
    if not _SHA256.match(rev.sha256):
        raise StoreInputError("sha256 must be 64 hexadecimal digits")
    checks.text(rev.config, MAX_CONFIG, "config", empty=True)


def _newest_sha256(conn: Connection, device: str) -> str | None:
    found = conn.execute(
        sa.select(revs.c.sha256)
        .where(revs.c.device == device)
        .order_by(revs.c.fetched_at.desc(), revs.c.received_at.desc())
        .limit(1)
    ).scalar()
    return None if found is None else str(found)


def add(conn: Connection, agent_id: str, rev: ConfigRevisionIn, received_at: float) -> bool:
    """Keep ``rev`` (sent by ``agent_id``); False when it is a repeat or holds no change."""
    _check(rev)
    known = conn.execute(
        sa.select(revs.c.revision).where(
            revs.c.device == rev.device, revs.c.revision == rev.revision
        )
    ).first()
    if known is not None or _newest_sha256(conn, rev.device) == rev.sha256:
        return False
    conn.execute(
        revs.insert().values(
            device=rev.device,
            revision=rev.revision,
            agent_id=agent_id,
            site=rev.site,
            role=rev.role,
            previous_revision=rev.previous_revision,
            time=rev.time,
            fetched_at=rev.fetched_at,
            received_at=received_at,
            sha256=rev.sha256,
            size=len(rev.config.encode()),
            config=rev.config,
        )
    )
    return True


def _row(m: RowMapping) -> ConfigRevisionRow:
    return ConfigRevisionRow(
        device=m["device"],
        revision=m["revision"],
        agent_id=m["agent_id"],
        site=m["site"],
        role=m["role"],
        previous_revision=m["previous_revision"],
        time=m["time"],
        fetched_at=m["fetched_at"],
        received_at=m["received_at"],
        sha256=m["sha256"],
        size=m["size"],
        config=m.get("config"),
    )


def history(conn: Connection, device: str, limit: int) -> list[ConfigRevisionRow]:
    """The device's revisions, newest first, without their configurations."""
    rows = conn.execute(
        sa.select(*_LISTED)
        .where(revs.c.device == device)
        .order_by(revs.c.fetched_at.desc(), revs.c.received_at.desc())
        .limit(max(0, limit))
    ).mappings()
    return [_row(m) for m in rows]


def get(conn: Connection, device: str, ref: str | None) -> ConfigRevisionRow | None:
    """One revision with its configuration: ``ref`` is a commit id or a unique prefix of one
    (None: the newest). None when there is no such revision; StoreInputError when ``ref`` is
    not a commit id or names several."""
    query = sa.select(revs).where(revs.c.device == device)
    if ref is not None:
        if not _REVISION.match(ref):
            raise StoreInputError(f"{ref[:80]!r} is not a revision (hexadecimal, at least 4)")
        query = query.where(revs.c.revision.startswith(ref, autoescape=True))
    found = (
        conn.execute(query.order_by(revs.c.fetched_at.desc(), revs.c.received_at.desc()).limit(2))
        .mappings()
        .all()
    )
    if ref is not None and len(found) > 1:
        raise StoreInputError(f"revision {ref!r} of {device} is ambiguous: give more digits")
    return _row(found[0]) if found else None


def before(conn: Connection, row: ConfigRevisionRow) -> ConfigRevisionRow | None:
    """The revision of the same device that came before ``row``, with its configuration."""
    earlier = sa.or_(
        revs.c.fetched_at < row.fetched_at,
        sa.and_(revs.c.fetched_at == row.fetched_at, revs.c.received_at < row.received_at),
    )
    found = (
        conn.execute(
            sa.select(revs)
            .where(revs.c.device == row.device, earlier)
            .order_by(revs.c.fetched_at.desc(), revs.c.received_at.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    return _row(found) if found is not None else None


def devices(conn: Connection) -> list[ConfigDeviceRow]:
    """Every device with revisions: their count and the newest, by device id."""
    counted = (
        sa.select(
            revs.c.device, sa.func.count().label("n"), sa.func.max(revs.c.fetched_at).label("last")
        )
        .group_by(revs.c.device)
        .subquery()
    )
    rows = conn.execute(
        sa.select(revs, counted.c.n)
        .join(
            counted, sa.and_(revs.c.device == counted.c.device, revs.c.fetched_at == counted.c.last)
        )
        .order_by(revs.c.device, revs.c.received_at.desc())
    ).mappings()
    found: dict[str, ConfigDeviceRow] = {}
    for m in rows:
        if m["device"] not in found:  # two revisions fetched at the same instant: the later one
            found[m["device"]] = ConfigDeviceRow(
                m["device"], m["site"], m["n"], m["revision"], m["time"], m["fetched_at"],
                m["agent_id"],
            )  # fmt: skip
    return list(found.values())
