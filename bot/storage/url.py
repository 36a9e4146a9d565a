"""DATABASE_URL as people write it, made into the URL SQLAlchemy opens, or refused with what to do."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from bot.storage.conflicts import DIALECTS

# psycopg 3 is the driver the postgres extra installs; a bare postgresql:// would mean psycopg2 to SQLAlchemy.
_DRIVERS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}
_INSTALL = {"postgresql": "pip install 'workshop-bot[postgres]' (psycopg 3, for postgresql:// URLs)"}


class DatabaseUrlError(RuntimeError):
    """DATABASE_URL names no database this install can open."""


def engine_url(url: str) -> URL:
    """The URL with its driver made explicit: postgresql:// (and Heroku-style postgres://) use psycopg 3."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUrlError(f"DATABASE_URL is not a database URL: {_shown(url)!r}. Expected e.g. "
                               "postgresql://user:password@host/dbname or sqlite:////path/to/bot.db") from None
    if parsed.drivername in _DRIVERS:
        parsed = parsed.set(drivername=_DRIVERS[parsed.drivername])
    try:
        dialect = parsed.get_dialect()
    except NoSuchModuleError:
        raise DatabaseUrlError(f"DATABASE_URL names a database SQLAlchemy does not know: {parsed.drivername}:// "
                               "(use postgresql:// or sqlite:///)") from None
    if parsed.get_backend_name() not in DIALECTS:
        raise DatabaseUrlError(f"DATABASE_URL is a {parsed.get_backend_name()} database: workshop-bot stores its data "
                               "in PostgreSQL (postgresql://…) or SQLite (sqlite:///…)")
    try:
        dialect.import_dbapi()
    except ImportError as missing:
        backend = parsed.get_backend_name()
        raise DatabaseUrlError(f"DATABASE_URL is a {backend} database, and its driver is not installed ({missing}): "
                               f"{_INSTALL.get(backend, f'install {parsed.get_driver_name()}')}") from None
    return parsed


def _shown(url: str) -> str:
    """The URL without what could be a password (it did not parse, so it is cut at its last '@')."""
    return url.rpartition("@")[2] if "@" in url else url
