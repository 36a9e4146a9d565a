"""A throwaway PostgreSQL for the storage tests: one server per test session, a fresh database per test.

The server is pgserver's (in the dev group: a wheel that ships PostgreSQL, for Python 3.11 and 3.12), or,
without it, the system's initdb and pg_ctl. Its data folder is a temporary one (see `_data_folder`) and it
listens on a Unix socket only. When it cannot start, the tests that need it fail and say why;
WORKSHOP_BOT_TEST_POSTGRES=off skips them, visibly.
"""

from __future__ import annotations

import importlib.util
import itertools
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

SWITCH = "WORKSHOP_BOT_TEST_POSTGRES"
DEV_INSTALL = "`make install-dev`, or `uv sync`"
_OWN_FOLDER = "workshop-bot-test-postgres-"
# Each test database runs in a zone other than UTC, so a datetime that does not come back in UTC shows.
SESSION_ZONE = "America/Los_Angeles"


class Postgres:
    """A running server: its admin URL, databases made and dropped on it, and how to stop it."""

    def __init__(self, admin: URL, stop) -> None:
        self.admin, self._stop, self._names = admin, stop, itertools.count(1)
        self._engine = create_engine(admin, isolation_level="AUTOCOMMIT")

    def create_database(self) -> str:
        name = f"test_{next(self._names)}"
        with self._engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
            connection.execute(text(f"ALTER DATABASE \"{name}\" SET timezone TO '{SESSION_ZONE}'"))
        return self.admin.set(database=name).render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        with self._engine.connect() as connection:  # FORCE: engines a test left open are disconnected
            connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))

    def stop(self) -> None:
        self._engine.dispose()
        self._stop()


class _Said(logging.Handler):
    """pgserver logs what pg_ctl printed, and raises without it."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record.getMessage())


def _with_pgserver(folder: Path) -> Postgres:
    with warnings.catch_warnings():  # its lock file falls back to /tmp/runtime-UID without XDG_RUNTIME_DIR: fine
        warnings.simplefilter("ignore")
        import pgserver

    said, log = _Said(), logging.getLogger("pgserver")
    log.addHandler(said)
    try:
        server = pgserver.get_server(folder / "data", cleanup_mode="stop")
    except Exception as error:
        raise RuntimeError("\n".join([str(error), *said.records])) from error
    finally:
        log.removeHandler(said)
    admin = make_url(server.get_uri()).set(drivername="postgresql+psycopg")
    return Postgres(admin, server.cleanup)


def _with_system_binaries(folder: Path) -> Postgres:
    """initdb and pg_ctl from PATH (PostgreSQL refuses to run as root: there, pgserver is the way)."""
    pg_ctl, initdb = shutil.which("pg_ctl"), shutil.which("initdb")
    if not (pg_ctl and initdb):
        raise RuntimeError(f"neither pgserver ({DEV_INSTALL}) nor initdb and pg_ctl on PATH")
    if os.geteuid() == 0:
        raise RuntimeError(f"initdb and pg_ctl refuse to run as root: install pgserver ({DEV_INSTALL})")
    data, sockets = folder / "data", folder / "sockets"
    sockets.mkdir()
    _run(initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "--encoding=UTF8")
    _run(pg_ctl, "-D", str(data), "-l", str(folder / "log"), "-w", "-o", f"-k {sockets} -h ''", "start")
    admin = URL.create("postgresql+psycopg", username="postgres", database="postgres", query={"host": str(sockets)})
    return Postgres(admin, lambda: _run(pg_ctl, "-D", str(data), "-w", "-m", "fast", "stop"))


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)


def start(folder: Path) -> Postgres:
    if importlib.util.find_spec("pgserver") is None:
        return _with_system_binaries(folder)
    return _with_pgserver(folder)


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory) -> Iterator[Postgres]:
    if os.environ.get(SWITCH, "").lower() == "off":
        pytest.skip(f"{SWITCH}=off: the PostgreSQL half of the storage tests is not run")
    system_binaries = shutil.which("initdb") and os.geteuid() != 0  # PostgreSQL refuses to run as root
    if importlib.util.find_spec("pgserver") is None and not system_binaries and sys.version_info >= (3, 13):
        pytest.skip("pgserver has no wheel for this Python, and initdb is not on PATH or this is root: the "
                    "PostgreSQL half of the storage tests runs on Python 3.11 and 3.12")
    folder = _data_folder(tmp_path_factory)
    try:
        server = start(folder)
    except Exception as error:
        detail = error.stderr if isinstance(error, subprocess.CalledProcessError) else ""
        pytest.fail(f"could not start a PostgreSQL server for the storage tests: {error} {detail}\n"
                    f"Install the dev group ({DEV_INSTALL}, which brings pgserver), "
                    f"or set {SWITCH}=off to skip the PostgreSQL runs.", pytrace=False)
    yield server
    server.stop()
    if folder.name.startswith(_OWN_FOLDER):
        shutil.rmtree(folder, ignore_errors=True)


def _data_folder(tmp_path_factory) -> Path:
    """Under pytest's temporary folder; as root, beside it: pgserver then runs PostgreSQL as another user, and
    every pytest that starts closes /tmp/pytest-of-root to that user again (mode 0700), after which the server
    can no longer see its own data and shuts down."""
    if os.geteuid() != 0:
        return tmp_path_factory.mktemp("postgres")
    return Path(tempfile.mkdtemp(prefix=_OWN_FOLDER))


@pytest.fixture
def postgres_url(postgres_server: Postgres) -> Iterator[str]:
    """A new, empty database on the session's server (dropped after the test)."""
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)
