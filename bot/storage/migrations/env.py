"""Runs migrations on the connection the bot hands over, or, for `alembic` commands, on DATABASE_URL."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Literal

from alembic import context
from sqlalchemy import Connection, create_engine

from bot.storage.migrate import include_name
from bot.storage.models import Base, UTCDateTime
from bot.storage.url import engine_url

if TYPE_CHECKING:
    from alembic.autogenerate.api import AutogenContext


def render_item(type_: str, obj: object, autogen_context: AutogenContext) -> str | Literal[False]:
    """A new migration writes the database type, so it never imports the models it outlives."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, include_name=include_name,
                      render_item=render_item,
                      render_as_batch=True)  # SQLite alters a table by copying it: batch mode does that
    with context.begin_transaction():
        context.run_migrations()


if "connection" in context.config.attributes:
    run(context.config.attributes["connection"])
elif url := os.environ.get("DATABASE_URL"):
    with create_engine(engine_url(url)).connect() as connection:
        run(connection)
else:
    raise SystemExit("Set DATABASE_URL to the database to compare the models with, e.g. sqlite:////tmp/dev.db")
