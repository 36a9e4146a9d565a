"""Logging, set up once by the command line: LOG_LEVEL, and LOG_FORMAT text (one readable line) or json
(one object a line, for a log collector). Every line carries its time in UTC (ISO 8601), its level and
its logger; uvicorn's loggers have no handlers of their own and come through here too."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

from bot.config import Settings

HANDLER = "workshop-bot"  # ours among the root logger's handlers: replaced, never doubled
TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FIELDS = ("asctime", "levelname", "name", "message")
JSON_NAMES = {"asctime": "timestamp", "levelname": "level", "name": "logger"}
UVICORN = ("uvicorn", "uvicorn.error", "uvicorn.access")


def utc_time(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TextFormatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return utc_time(record)


class JsonLines(JsonFormatter):
    """timestamp, level, logger, message, and whatever `extra=` a call passes."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return utc_time(record)


class Stderr(logging.StreamHandler):
    """To whatever sys.stderr is when a line is written (a test runner swaps it, then closes its own)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _: TextIO) -> None:
        pass


def formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonLines(list(JSON_FIELDS), rename_fields=JSON_NAMES)
    return TextFormatter(TEXT)


def configure_logging(settings: Settings) -> None:
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.get_name() == HANDLER]:
        root.removeHandler(handler)
    handler = Stderr()
    handler.set_name(HANDLER)
    handler.setFormatter(formatter(settings.log_format))
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    for name in UVICORN:  # a uvicorn started with its own logging config earlier in this process left handlers
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
