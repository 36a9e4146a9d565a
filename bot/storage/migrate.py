"""The schema is brought to the newest migration whenever a database is opened.

A database made before migrations existed (our tables, no alembic_version) has the baseline schema:
it is stamped with the baseline, then upgraded. A database at a revision this code does not know was
upgraded by a newer version, and is refused untouched rather than used with a schema we do not know.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect

from bot.storage.models import Base

if TYPE_CHECKING:  # Alembic loads only when a database is not at HEAD (half a second of imports)
    from alembic.config import Config
    from alembic.runtime.environment import NameFilterParentNames, NameFilterType
    from alembic.script import ScriptDirectory

SCRIPTS = "bot.storage:migrations"
HEAD = "0006"  # the newest migration (a test checks it is Alembic's head): a database there is opened as it is
BASELINE = "0001"  # the schema that create_all made before migrations
VERSION_TABLE = "alembic_version"
NOT_OURS = frozenset({"apscheduler_jobs"})  # APScheduler creates and changes its own table
_PG_LOCK = 0x776B73686F70  # any constant: the advisory lock that serializes migrations on PostgreSQL


class UnknownRevision(RuntimeError):
    """The database was migrated by a newer version of the bot."""


def include_name(name: str | None, type_: NameFilterType, parent_names: NameFilterParentNames) -> bool:
    """Tables that are not ours stay out of comparisons between the models and a database."""
    return not (type_ == "table" and name in NOT_OURS)


@cache
def scripts() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config())


def head() -> str | None:
    return scripts().get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return ", ".join(sorted(_revisions(connection))) or None


def upgrade(engine: Engine) -> None:
    """Bring the database to head. Two processes opening a new database at once: one migrates, the other waits."""
    with engine.connect() as connection:
        if _revisions(connection) == {HEAD} or _at_head(connection, engine):
            return
        connection.rollback()  # the check's read transaction; the lock below starts a write one
        with _migration_lock(connection):
            if _at_head(connection, engine):  # the other process migrated while this one waited
                return
            from alembic import command

            config = _config()
            config.attributes["connection"] = connection
            if _made_before_migrations(connection):
                command.stamp(config, BASELINE)
            command.upgrade(config, "head")


def _at_head(connection: Connection, engine: Engine) -> bool:
    current = _revisions(connection)
    known = {script.revision for script in scripts().walk_revisions()}
    if unknown := [revision for revision in current if revision not in known]:
        raise UnknownRevision(
            f"The database {engine.url.render_as_string(hide_password=True)} is at schema revision "
            f"{', '.join(sorted(unknown))}, which this version of workshop-bot does not know (its newest is {head()}): "
            "a newer version has upgraded it. Run that version, or restore a backup made before the upgrade.")
    return current == set(scripts().get_heads())


def _revisions(connection: Connection) -> set[str]:
    """The revisions alembic_version holds (read directly: Alembic's own reader logs at every open)."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return set()
    return set(connection.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").scalars())


def _made_before_migrations(connection: Connection) -> bool:
    inspector = inspect(connection)
    return not inspector.has_table(VERSION_TABLE) and bool(set(inspector.get_table_names()) & set(Base.metadata.tables))


@contextmanager
def _migration_lock(connection: Connection) -> Iterator[None]:
    """One transaction that holds the lock from the check to the commit; on SQLite, the write lock.

    SQLite alters a table by copying it, dropping the old one and renaming the copy; its documented
    procedure turns foreign keys off meanwhile (a drop would otherwise cascade or fail) and checks them
    before the commit.
    """
    if connection.dialect.name != "sqlite":
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK})")
            yield
        return
    foreign_keys = connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # a no-op inside a transaction: set before it
    connection.commit()
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # waits for the other writer (busy_timeout)
        yield
        if violations := connection.exec_driver_sql("PRAGMA foreign_key_check").all():
            raise RuntimeError(f"A migration left rows whose foreign keys point nowhere: {violations[:5]}")
        connection.commit()
    finally:
        connection.rollback()
        connection.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        connection.commit()


def _config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", SCRIPTS)
    return config
