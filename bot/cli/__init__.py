"""The command line, `workshop-bot`: one module per group of commands, each registering on the one app."""

from __future__ import annotations

import gc
import sys

from bot.cli import index, ask, serve, editions, mail, admin  # noqa: F401  (each registers its commands, in this order)
from bot.cli.common import BAD_INPUT, app, notice
from bot.config import SettingError

__all__ = ["app", "main"]


def main() -> None:
    from bot.ops.heap import return_large_blocks
    from bot.ops.private import restrict_umask

    return_large_blocks()  # a process's size follows what it holds, not what it once held
    restrict_umask()  # questions, the index, mail: nothing any command writes is readable by others
    try:
        app()
    except SettingError as error:  # a setting that only fails when used: one line, never a traceback
        notice("error", str(error))
        sys.exit(BAD_INPUT)
    finally:  # what is left is freed with the process: not walked by the collector first (half a second)
        gc.freeze()
