"""Looking after the installation: `templates check` and `db upgrade`."""

from __future__ import annotations

import typer

from bot.cli.common import BAD_INPUT, DataDir, app, err, fail, notice, open_runtime, read_settings


templates_app = typer.Typer(help="Message templates in prompts/.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(templates_app, name="templates")


@templates_app.command("check")
def templates_check_command() -> None:
    """Render every template with sample data; exit 2 on any error, before a reminder is due."""
    from bot.scheduler.messages import check_templates

    settings = open_runtime().settings
    problems = check_templates(settings)
    for problem in problems:
        notice("error", problem)
    if problems:
        raise typer.Exit(BAD_INPUT)
    err.print(f"all templates in {settings.prompts_dir} render", highlight=False)


db_app = typer.Typer(help="The bot's database (DATABASE_URL, or SQLite in BOT_DATA_DIR).", no_args_is_help=True,
                     rich_markup_mode=None)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade_command(data_dir: DataDir = None) -> None:
    """Bring the schema to the newest migration (the bot also does it when it starts); print the revisions."""
    from sqlalchemy.exc import OperationalError

    from bot.storage import migrate
    from bot.storage.db import database_url, open_engine
    from bot.storage.url import DatabaseUrlError

    try:
        engine = open_engine(database_url(read_settings(data_dir)), pool_size=1)
        where = engine.url.render_as_string(hide_password=True)
        before = migrate.current_revision(engine)
        migrate.upgrade(engine)
        after = migrate.current_revision(engine)
    except (DatabaseUrlError, migrate.UnknownRevision) as error:
        raise fail(str(error)) from None
    except OperationalError as error:
        raise fail(f"cannot reach the database of DATABASE_URL: {error.orig}") from None
    if before == after:
        err.print(f"{where}: at revision {after}, the newest: nothing to do", highlight=False)
    else:
        err.print(f"{where}: upgraded from revision {before or 'none (empty database)'} to {after}", highlight=False)
