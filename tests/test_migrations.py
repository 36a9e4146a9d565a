"""Schema migrations: a database from before them is upgraded in place, and the models never drift from them."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from bot.storage import migrate
from bot.storage.db import Database
from bot.storage.models import Base

MADE_BY_0_1 = Path(__file__).parent / "fixtures" / "db" / "made-by-0.1.sql"  # create_all's schema, a row per table


def load(path: Path, dump: Path) -> str:
    with closing(sqlite3.connect(path)) as connection:
        connection.executescript(dump.read_text())
    return f"sqlite:///{path}"


def dump(path: Path) -> list[str]:
    """The whole file as SQL, schema and rows."""
    with closing(sqlite3.connect(path)) as connection:
        return list(connection.iterdump())


def schema(path: Path) -> list[tuple[str, str]]:
    """Our tables and indexes as SQLite keeps them (APScheduler's and Alembic's left out)."""
    with closing(sqlite3.connect(path)) as connection:
        return sorted(connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE tbl_name NOT IN ('apscheduler_jobs', 'alembic_version')"))


def rows(path: Path, columns: dict[str, list[str]]) -> dict[str, list[tuple]]:
    """Each table's rows, in the given columns (a later migration may add columns)."""
    with closing(sqlite3.connect(path)) as connection:
        return {table: connection.execute(f"SELECT {', '.join(names)} FROM {table} ORDER BY 1").fetchall()
                for table, names in columns.items()}


def columns(path: Path) -> dict[str, list[str]]:
    with closing(sqlite3.connect(path)) as connection:
        tables = [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {table: [f'"{column[1]}"' for column in connection.execute(f"PRAGMA table_info({table})")]
                for table in tables}


def differences(engine: Engine) -> list:
    """What autogenerate would write into a new migration: empty when the models and the database agree."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": migrate.include_name})
        return compare_metadata(context, Base.metadata)


def test_a_database_made_by_0_1_is_upgraded_in_place_and_keeps_every_row(tmp_path):
    path = tmp_path / "bot.db"
    url = load(path, MADE_BY_0_1)
    before, kept = dump(path), columns(path)
    before_rows = rows(path, kept)
    assert all(before_rows.values()) and "apscheduler_jobs" in kept and "alembic_version" not in kept

    db = Database(url)

    assert migrate.current_revision(db.engine) == migrate.head()
    assert rows(path, kept) == before_rows
    assert db.question(1).text == "When is the paper deadline?"
    assert [line for line in dump(path) if "apscheduler_jobs" in line] == [
        line for line in before if "apscheduler_jobs" in line]
    assert differences(db.engine) == []

    fresh = tmp_path / "fresh.db"
    Database(f"sqlite:///{fresh}")
    assert schema(path) == schema(fresh)  # same tables, indexes and constraint names as a new database


def test_the_models_and_the_migrations_agree(tmp_path):
    """Fails when a model changes without a migration: write one (see bot/storage/migrations/alembic.ini)."""
    db = Database(f"sqlite:///{tmp_path / 'bot.db'}")
    assert migrate.current_revision(db.engine) == migrate.head()
    assert differences(db.engine) == []


def test_head_is_the_newest_migration():
    """A database at HEAD is opened without Alembic: HEAD must move with every new migration."""
    assert migrate.head() == migrate.HEAD


def test_opening_a_database_at_head_changes_nothing(tmp_path):
    path = tmp_path / "bot.db"
    Database(f"sqlite:///{path}").engine.dispose()
    before = dump(path)
    db = Database(f"sqlite:///{path}")
    assert migrate.current_revision(db.engine) == migrate.head()
    assert dump(path) == before


def test_a_database_upgraded_by_a_newer_version_is_refused_untouched(tmp_path):
    path = tmp_path / "bot.db"
    Database(f"sqlite:///{path}").engine.dispose()
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("UPDATE alembic_version SET version_num = '0999_from_the_future'")
    before = dump(path)

    with pytest.raises(migrate.UnknownRevision) as refused:
        Database(f"sqlite:///{path}")

    assert str(path) in str(refused.value) and "0999_from_the_future" in str(refused.value)
    assert dump(path) == before


def test_two_first_opens_of_a_new_database_at_once_both_succeed(tmp_path):
    """The bot and a CLI command starting together: each has its own engine, so threads race like processes."""
    for attempt in range(5):  # the race is narrow: give it several chances
        path = tmp_path / f"bot-{attempt}.db"
        start, errors = threading.Barrier(2), []

        def open_it(path=path, start=start, errors=errors) -> None:
            start.wait()
            try:
                Database(f"sqlite:///{path}").engine.dispose()
            except Exception as error:  # reported below, with the attempt
                errors.append(error)

        openers = [threading.Thread(target=open_it) for _ in range(2)]
        for opener in openers:
            opener.start()
        for opener in openers:
            opener.join(timeout=60)
        assert not errors and not any(opener.is_alive() for opener in openers), f"attempt {attempt}: {errors}"
        with closing(sqlite3.connect(path)) as connection:
            assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [(migrate.head(),)]
