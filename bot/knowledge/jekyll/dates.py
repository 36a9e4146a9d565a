"""Dates as Jekyll reads them from front matter, file names and filter arguments.

Plain Python: a site's documents are dated and ordered before any Liquid is rendered.
"""

from __future__ import annotations

from datetime import date, datetime, time

from dateutil import parser as date_parser

from bot.knowledge.jekyll.values import as_text

NOT_A_DATE = (ValueError, OverflowError, OSError)  # what `to_datetime` raises for a value that is no date


def to_datetime(value: object) -> datetime | None:
    """A date, a timestamp, `now` or `today`, or text in any common format, as a datetime; None for nothing."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time.min)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value)
    return datetime.now() if value in ("now", "today") else date_parser.parse(as_text(value))


def datetime_or_none(value: object) -> datetime | None:
    """A date as a datetime; None for what is not a date."""
    try:
        return to_datetime(value)
    except NOT_A_DATE:
        return None


def filename_date(day: str) -> datetime | None:
    """A post's date from its file name (`2025-01-31`); None for a day that does not exist."""
    try:
        return datetime.strptime(day, "%Y-%m-%d")
    except ValueError:
        return None
