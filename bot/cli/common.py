"""What every command shares: the app and its options, settings and the runtime, one-line errors on stderr
(exit 2 on bad input), times given on the command line, and the lock on the embedded index."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.text import Text

from bot.config import Settings, invalid_settings
from bot.ops.logs import configure_logging

if TYPE_CHECKING:  # the runtime pulls in SQLAlchemy and more: `--help` and `--version` stay instant
    from bot.index.watch import IndexLock
    from bot.runtime import Runtime

HELP = "`workshop-bot`: ingest the pages, ask questions, run the bot. Exit 0 on success, 2 on bad input."
log = logging.getLogger(__name__)
# Plain help, as terminals and copy-paste like it: no boxes, no `<bool>` type tags on flags.
app = typer.Typer(add_completion=False, no_args_is_help=True, help=HELP, rich_markup_mode=None)
err = Console(stderr=True, markup=False, soft_wrap=True)  # messages quote files and values: `[/x]` is text,
# not markup, and a path is never broken across lines (the terminal wraps what is too long)
BAD_INPUT = 2
Opened = TypeVar("Opened")


def show_version(shown: bool) -> None:
    if shown:
        from importlib.metadata import version

        print(f"workshop-bot {version('workshop-bot')}")
        raise typer.Exit()


@app.callback()
def options(version: Annotated[bool, typer.Option("--version", callback=show_version, is_eager=True,
                                                  help="print the version and exit")] = False) -> None:
    """Slack and email bot for an academic workshop."""


DataDir = Annotated[Path | None, typer.Option("--data-dir", metavar="DIR", help="data folder (default: BOT_DATA_DIR)")]



def open_runtime(data_dir: Path | None = None) -> Runtime:
    from bot.runtime import Runtime

    return Runtime(read_settings(data_dir))


def read_settings(data_dir: Path | None) -> Settings:
    try:
        settings = Settings()
    except ValidationError as error:  # a bad variable in the environment or .env: one line naming it
        raise fail(invalid_settings(error)) from None
    if data_dir is not None:
        settings = settings.model_copy(update={"bot_data_dir": data_dir})
    configure_logging(settings)
    return settings


def notice(kind: str, message: str) -> None:
    """`error: …` or `warning: …` on stderr, the label coloured, the message as it is."""
    label = (f"{kind}:", "red" if kind == "error" else "yellow")
    err.print(Text.assemble(label, " ", message), highlight=False, soft_wrap=True)


def no_edition(settings: Settings) -> str:
    folder = settings.knowledge_dir
    why = "no such folder" if not folder.is_dir() else "no pages in it"
    return f"no edition to read: KNOWLEDGE_DIR={str(folder)!r} ({why}; one folder per edition, or a site's checkout)"


def where_sent(settings: Settings, medium: str) -> str:
    """Where a message marked sent went: without credentials, the console or the mail folder, said so."""
    if medium == "slack":
        return "posted to Slack" if settings.slack_bot_token else "shown above, not posted (SLACK_BOT_TOKEN is not set)"
    if medium == "email":
        return ("sent by SMTP" if settings.smtp_host else
                f"written to {settings.bot_data_dir / 'outbox' / 'mail'}, not mailed (SMTP_HOST is not set)")
    return "sent"


def write_file(path: Path, data: bytes) -> None:
    """`--out`: the file written, or one line saying why it cannot be (a missing folder, no permission)."""
    try:
        path.write_bytes(data)
    except OSError as error:
        raise fail(f"--out {str(path)!r}: cannot be written: {error.strerror}"
                   + ("" if path.parent.is_dir() else f" (no folder {str(path.parent)!r})")) from None


def fail(message: str, code: int = BAD_INPUT) -> typer.Exit:
    notice("error", message)
    return typer.Exit(code)


def opened(open_index: Callable[[], Opened]) -> Opened:
    """The index opened by `open_index`; a clear error when another embedding model built it."""
    from bot.index.embeddings import IndexMismatchError

    try:
        return open_index()
    except IndexMismatchError as error:
        raise fail(str(error)) from error


def log_line(kind: str, message: str) -> None:
    """What `serve` has to say once it runs: a service's stderr is its log, in LOG_FORMAT."""
    log.log(logging.ERROR if kind == "error" else logging.WARNING, message)


def own_index(settings: Settings) -> IndexLock | None:
    """The lock on the embedded index, or None when a running bot holds it (a Chroma server needs none)."""
    from bot.index.watch import IndexLock

    if settings.uses_chroma_server():
        return IndexLock(settings)  # never acquired: a server takes writers from several processes
    lock = IndexLock(settings)
    return lock if lock.acquire() else None


def parse_now(value: str | None, option: str = "--now") -> datetime | None:
    """An ISO-8601 time (UTC without an offset), which must also exist in UTC: later code compares it."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        moment.astimezone(UTC)
    except ValueError as error:
        raise fail(f"{option} '{value}' is not an ISO-8601 date or time (e.g. 2025-08-25T12:00:00Z)") from error
    except OverflowError as error:
        raise fail(f"{option} '{value}' is out of range: it is not a time in the years 1 to 9999 UTC") from error
    return moment
