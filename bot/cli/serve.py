"""`serve`: the bot itself, in Socket Mode, HTTP mode or on the terminal, until it is stopped."""

from __future__ import annotations

import logging
import os
import sys
from typing import NoReturn

from bot.cli.common import DataDir, app, err, fail, log_line, open_runtime, own_index
from bot.cli.index import crawl, ingest_paths


@app.command("serve")
def serve_command(data_dir: DataDir = None) -> None:
    """Run the bot: Socket Mode, HTTP mode, or (no Slack credentials) a console on this terminal."""
    from bot.serve import serve
    from bot.startup import Startup, StartupError

    runtime = open_runtime(data_dir)
    settings = runtime.settings
    owner = own_index(settings)  # held as long as the bot runs
    if owner is None:
        raise fail(f"another workshop-bot serve owns the index in {settings.bot_data_dir}: one bot per data "
                    "folder (several need a Chroma server, CHROMA_HOST)")
    if not settings.knowledge_dir.exists():
        raise fail(f"{settings.knowledge_dir.resolve()}: no such file or folder")

    def refresh(store) -> None:  # in the background: no progress bar across the console's prompt
        if settings.slack_mode == "console":  # news at the prompt
            sites = crawl([], settings, whole=True)
            report = ingest_paths(store, settings, [settings.knowledge_dir, *sites], progress=False)
            if report.changed:
                err.print(report.summary(), highlight=False)
        else:  # log lines
            sites = crawl([], settings, whole=True, say=log_line)
            log_line("warning", ingest_paths(store, settings, [settings.knowledge_dir, *sites], progress=False,
                                             say=log_line).summary())

    startup = Startup(runtime, refresh)
    try:
        serve(startup)
    except (StartupError, KeyboardInterrupt):  # a part failed to load: said below
        if startup.failure is None:
            raise
    finally:
        startup.stop()
    leave(fail(str(startup.failure)).exit_code if startup.failure is not None else 0)


def leave(code: int) -> NoReturn:
    """End `serve` once its parts are stopped, without the native libraries' teardown: a part still
    loading in the background may be inside ONNX Runtime or Chroma, and tearing them down under it
    crashed the process at exit (SIGSEGV, in about one stop in 15 on a loaded machine). What matters is
    stored by then: questions, answers and the outbox are in the database, the index in Chroma."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
