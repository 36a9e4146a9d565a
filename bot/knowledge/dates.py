"""Dates, clock times and time zones as workshop pages write them.

"August 29, 2025", "Aug. 29th", "29 August 2025", "2025-08-29", "2025/08/29", "Friday, December 16"; "9:05 AM",
"9:00AM", "14:30", "2 pm", "noon"; "AoE", "midnight (Anywhere in the World)", "PDT", "UTC-7".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time

LEAP_YEAR = 2000  # a year in which every day a label can name exists (Feb 29)
MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10,
    "nov": 11, "dec": 12,
}
MONTH = r"(?P<month>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|" \
        r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?(?:\s*[-–/]\s*[0-3]?\d(?:st|nd|rd|th)?)?"
YEAR_PART = r"(?:,?\s+(?P<year>(?:19|20)\d\d)\b)?"
MONTH_FIRST = re.compile(rf"\b{MONTH}\s+{DAY}\b{YEAR_PART}", re.IGNORECASE)
DAY_FIRST = re.compile(
    r"\b(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?" + MONTH.replace("(?P<month>", "(?P<month>") + YEAR_PART,
    re.IGNORECASE)
ISO = re.compile(r"\b(?P<year>(?:19|20)\d\d)(?P<sep>[-/.])(?P<month>[01]?\d)(?P=sep)(?P<day>[0-3]?\d)\b(?![./-]\d)")
# A label naming one day of a programme over several days: "Tuesday, Jan 3 (Morning)", "Day 2", "Dec 13".
DAY_LABEL = re.compile(r"^(?:- )?(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\b|day\s*\d+\b)", re.IGNORECASE)
MAX_DAY_LABEL = 40


def names_a_day(label: str) -> bool:
    """Whether a heading, line or column heading is a day's label, not a sentence about one."""
    label = label.strip().lstrip("- ")
    if len(label) > MAX_DAY_LABEL:
        return False
    return bool(DAY_LABEL.match(label)) or any(m.start <= 1 for m in dates_in(label, LEAP_YEAR)[:1])


CLOCK = re.compile(
    r"(?<![\d:])(?P<hour>[01]?\d|2[0-3])(?::(?P<minute>[0-5]\d))?\s*(?P<half>[ap])\.?\s?m\b\.?"
    r"|(?<![\d:])(?P<hour24>[01]?\d|2[0-3]):(?P<minute24>[0-5]\d)(?!\d|:\d)"
    r"|\b(?P<word>noon|midday|midnight)\b",
    re.IGNORECASE,
)
AOE = re.compile(r"\bAoE\b|anywhere on earth|anywhere in the world|\b(?:UTC|GMT)\s*[-−–]\s*12\b", re.IGNORECASE)
# Abbreviations and names people write after a time, and the zone they mean.
ZONES = {
    "pt": "America/Los_Angeles", "pst": "America/Los_Angeles", "pdt": "America/Los_Angeles",
    "pacific time": "America/Los_Angeles", "et": "America/New_York", "est": "America/New_York",
    "edt": "America/New_York", "eastern time": "America/New_York", "ct": "America/Chicago",
    "cst": "America/Chicago", "cdt": "America/Chicago", "central time": "America/Chicago",
    "mt": "America/Denver", "mst": "America/Denver", "mdt": "America/Denver", "utc": "UTC", "gmt": "UTC",
    "cet": "Europe/Paris", "cest": "Europe/Paris", "bst": "Europe/London", "jst": "Asia/Tokyo",
    "kst": "Asia/Seoul", "sgt": "Asia/Singapore", "singapore time": "Asia/Singapore",
    "aest": "Australia/Sydney", "aedt": "Australia/Sydney", "ist": "Asia/Kolkata", "hkt": "Asia/Hong_Kong",
}
ZONE_WORD = re.compile(r"\b(" + "|".join(sorted(map(re.escape, ZONES), key=len, reverse=True)) + r")\b",
                       re.IGNORECASE)
OFFSET = re.compile(r"\b(?:UTC|GMT)\s*(?P<sign>[+−–-])\s*(?P<hours>\d{1,2})(?::?(?P<minutes>\d\d))?\b")


@dataclass(frozen=True)
class DateMention:
    value: date
    start: int
    end: int
    has_year: bool


@dataclass(frozen=True)
class TimeMention:
    value: time
    start: int
    end: int


def _date(year: int | None, month: str, day: str, default_year: int | None) -> date | None:
    number = MONTHS.get(month[:3].lower()) if not month.isdigit() else int(month)
    chosen = year or default_year
    if number is None or chosen is None:
        return None
    try:
        return date(chosen, number, int(day))
    except ValueError:
        return None


def dates_in(text: str, default_year: int | None = None) -> list[DateMention]:
    """Every date in `text`, in order; a date without a year takes `default_year` (None: skipped)."""
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    for pattern in (ISO, MONTH_FIRST, DAY_FIRST):
        for m in pattern.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            year = int(m.group("year")) if m.group("year") else None
            value = _date(year, m.group("month"), m.group("day"), default_year)
            if value is not None:
                found.append(DateMention(value, m.start(), m.end(), year is not None))
                taken.append((m.start(), m.end()))
    return sorted(found, key=lambda d: d.start)


def times_in(text: str) -> list[TimeMention]:
    """Every clock time in `text`, in order ("9:05 AM", "14:30", "noon", "midnight" = 23:59)."""
    found = []
    for m in CLOCK.finditer(text):
        if m.group("word"):
            value = time(12, 0) if m.group("word").lower() in {"noon", "midday"} else time(23, 59)
        elif m.group("hour24"):
            value = time(int(m.group("hour24")), int(m.group("minute24")))
        else:
            hour = int(m.group("hour"))
            if hour > 12:
                continue
            hour = hour % 12 + (12 if m.group("half").lower() == "p" else 0)
            value = time(hour, int(m.group("minute") or 0))
        found.append(TimeMention(value, m.start(), m.end()))
    return found


def zone_in(text: str) -> str | None:
    """`AoE`, an IANA zone, or a fixed `UTC±hh:mm` offset named in `text`; None when it names none."""
    if AOE.search(text):
        return "AoE"
    if match := OFFSET.search(text):
        sign = "-" if match.group("sign") in "−–-" else "+"
        return f"UTC{sign}{int(match.group('hours')):02d}:{match.group('minutes') or '00'}"
    if match := ZONE_WORD.search(text):
        word = match.group(1)
        if len(word) > 3 or word.isupper():  # "ET" and "PT" only as abbreviations, not "et"
            return ZONES[word.lower()]
    return None
