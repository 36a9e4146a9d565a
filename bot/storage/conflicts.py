"""INSERT … ON CONFLICT in the database's own dialect: one statement, so of two writers racing for the same
key exactly one inserts and the other does nothing (or updates), without an error and on any isolation."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

from bot.storage.models import Base

DIALECTS = frozenset({"postgresql", "sqlite"})  # the databases the bot's writes are made for


def insert(dialect: str, table: Table | type[Base]) -> postgresql.Insert | sqlite.Insert:
    """An INSERT of `table` (a model: ORM-enabled, its RETURNING gives objects) that has on_conflict_do_nothing
    and on_conflict_do_update."""
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
