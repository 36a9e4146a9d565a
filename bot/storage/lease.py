"""Leases in the database: a named lease has one holder at a time, for as long as it renews.

Every step is one conditional statement, so two processes never both hold a lease: the row is added if
there is none (INSERT … ON CONFLICT DO NOTHING), else taken only if it is ours or has expired (an UPDATE
whose WHERE says so, its rowcount saying whether it did). Expiry is on the database's clock (PostgreSQL's
CURRENT_TIMESTAMP): replicas on several machines need not agree on the time. A SQLite file is shared only
by processes on one machine, whose clock is the one used.

A replica that froze inside one of these transactions would hold the row's lock: on PostgreSQL, which would
wait for it forever, the others give up waiting after a third of the lease (and try again), and the server
ends the frozen transaction once it has been idle that long. SQLite's busy timeout bounds the wait there.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Connection, Table, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from bot.storage.db import Database
from bot.storage.models import Lease, UTCDateTime

LEASES = cast(Table, Lease.__table__)


class LeaseRows:
    def __init__(self, db: Database) -> None:
        self.db = db

    def acquire(self, name: str, holder: str, seconds: float, *,
                gone: Callable[[str], bool] = lambda other: False) -> bool:
        """Take or renew `name` for `seconds`: whether `holder` holds it now. `gone(other)` tells whether
        the current holder is known to be dead (an earlier life of this process): its lease is taken at
        once, without waiting for it to expire."""
        with self.db.engine.begin() as c:
            _bounded(c, seconds)
            now = _now(c)
            values = {"name": name, "holder": holder, "expires_at": now + timedelta(seconds=seconds)}
            if _insert_if_absent(c, values):
                return True
            if _take(c, values, or_(LEASES.c.holder == holder, LEASES.c.expires_at < now)):
                return True
            other = c.execute(select(LEASES.c.holder).where(LEASES.c.name == name)).scalar()
            return other is not None and gone(other) and _take(c, values, LEASES.c.holder == other)

    def release(self, name: str, holder: str, seconds: float) -> bool:
        """Give the lease (of `seconds`) up, if `holder` holds it: another process takes it at its next attempt."""
        with self.db.engine.begin() as c:
            _bounded(c, seconds)
            return c.execute(delete(LEASES).where(LEASES.c.name == name, LEASES.c.holder == holder)).rowcount == 1

    def holder(self, name: str) -> tuple[str, datetime] | None:
        """Who holds `name` and until when (expired or not)."""
        with self.db.engine.connect() as c:
            row = c.execute(select(LEASES.c.holder, LEASES.c.expires_at).where(LEASES.c.name == name)).first()
            return (row.holder, row.expires_at) if row else None


def _bounded(c: Connection, seconds: float) -> None:
    if c.dialect.name == "postgresql":
        milliseconds = int(1000 * max(seconds, 1.0) / 3)
        c.exec_driver_sql(f"SET LOCAL lock_timeout = {milliseconds}")
        c.exec_driver_sql(f"SET LOCAL idle_in_transaction_session_timeout = {milliseconds}")


def _now(c: Connection) -> datetime:
    if c.dialect.name == "sqlite":
        return datetime.now(UTC)
    return c.execute(select(func.current_timestamp(type_=UTCDateTime()))).scalar_one().astimezone(UTC)


def _insert_if_absent(c: Connection, values: dict[str, Any]) -> bool:
    if c.dialect.name == "sqlite":
        return c.execute(sqlite.insert(LEASES).values(values)
                         .on_conflict_do_nothing(index_elements=["name"])).rowcount == 1
    if c.dialect.name == "postgresql":
        return c.execute(postgresql.insert(LEASES).values(values)
                         .on_conflict_do_nothing(index_elements=["name"])).rowcount == 1
    try:  # other databases: a plain INSERT in a savepoint, which a duplicate key rolls back alone
        with c.begin_nested():
            c.execute(insert(LEASES).values(values))
        return True
    except IntegrityError:
        return False


def _take(c: Connection, values: dict[str, Any], condition: ColumnElement[bool]) -> bool:
    return c.execute(update(LEASES).where(LEASES.c.name == values["name"], condition)
                     .values(holder=values["holder"], expires_at=values["expires_at"])).rowcount == 1
