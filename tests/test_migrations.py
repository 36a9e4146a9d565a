"""Schema migrations: a database from before them is upgraded in place, and the models never drift from them."""

from __future__ import annotations

import itertools
import sqlite3
import threading
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect
from typer.testing import CliRunner

from bot.cli import app
from bot.storage import migrate
from bot.storage.db import Database
from bot.storage.models import Base
from bot.storage.url import engine_url

DROPPED = {"processed_events"}  # 0006: a retried Slack event is dropped by its question's unique message
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
    for table in DROPPED:
        del kept[table], before_rows[table]
    assert rows(path, kept) == before_rows
    assert db.question(1).text == "When is the paper deadline?"
    assert [line for line in dump(path) if "apscheduler_jobs" in line] == [
        line for line in before if "apscheduler_jobs" in line]
    assert differences(db.engine) == []

    fresh = tmp_path / "fresh.db"
    Database(f"sqlite:///{fresh}")
    assert schema(path) == schema(fresh)  # same tables, indexes and constraint names as a new database


def test_the_models_and_the_migrations_agree(database_url):
    """Fails when a model changes without a migration: write one (see bot/storage/migrations/alembic.ini)."""
    db = Database(database_url)
    assert migrate.current_revision(db.engine) == migrate.head()
    assert differences(db.engine) == []


def test_every_migration_goes_down_and_up_again(database_url):
    """Each one's DDL runs on each engine (batch mode copies tables on SQLite, alters them on PostgreSQL)."""
    from alembic import command

    db = Database(database_url)
    with db.engine.connect() as connection:
        config = migrate._config()
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
        connection.commit()
        assert migrate.current_revision(db.engine) is None
        for script in reversed(list(migrate.scripts().walk_revisions())):
            command.upgrade(config, script.revision)
            connection.commit()
            assert migrate.current_revision(db.engine) == script.revision
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


def state(engine: Engine) -> tuple[list[str], list[tuple]]:
    """The tables, and the revision the database is at."""
    with engine.connect() as connection:
        return (sorted(inspect(connection).get_table_names()),
                connection.exec_driver_sql("SELECT version_num FROM alembic_version").all())


def test_a_database_upgraded_by_a_newer_version_is_refused_untouched(database_url):
    engine = Database(database_url).engine
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0999_from_the_future'")
    before = state(engine)

    with pytest.raises(migrate.UnknownRevision) as refused:
        Database(database_url)

    assert engine.url.database in str(refused.value) and "0999_from_the_future" in str(refused.value)
    assert state(engine) == before


@pytest.fixture
def new_database(database_url, tmp_path, request) -> Callable[[], str]:
    """More empty databases on the same engine as `database_url`."""
    if database_url.startswith("sqlite"):
        paths = (tmp_path / f"bot-{n}.db" for n in itertools.count())
        return lambda: f"sqlite:///{next(paths)}"
    return request.getfixturevalue("postgres_server").create_database


def test_two_first_opens_of_a_new_database_at_once_both_succeed(new_database):
    """The bot and a CLI command (or two replicas) starting together: each has its own engine, so threads race
    like processes. SQLite's write lock, or PostgreSQL's advisory lock, lets one migrate while the other waits."""
    for attempt in range(5):  # the race is narrow: give it several chances
        url = new_database()
        start, errors = threading.Barrier(2), []

        def open_it(url=url, start=start, errors=errors) -> None:
            start.wait()
            try:
                Database(url).engine.dispose()
            except Exception as error:  # reported below, with the attempt
                errors.append(error)

        openers = [threading.Thread(target=open_it) for _ in range(2)]
        for opener in openers:
            opener.start()
        for opener in openers:
            opener.join(timeout=60)
        assert not errors and not any(opener.is_alive() for opener in openers), f"attempt {attempt}: {errors}"
        engine = create_engine(engine_url(url))
        assert state(engine)[1] == [(migrate.head(),)]
        engine.dispose()


def test_db_upgrade_says_where_the_schema_was_and_is(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path / "data"))
    first = CliRunner().invoke(app, ["db", "upgrade"])
    assert first.exit_code == 0 and f"from revision none (empty database) to {migrate.head()}" in first.stderr
    again = CliRunner().invoke(app, ["db", "upgrade"])
    assert again.exit_code == 0 and f"at revision {migrate.head()}, the newest: nothing to do" in again.stderr


def test_db_upgrade_refuses_an_unusable_database_url(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "mysql+nosuchdriver://db/bot")
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 2 and "error: DATABASE_URL" in result.stderr
