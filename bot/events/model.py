"""The structured facts of one edition (`event.yaml`): validated, time-zone exact, errors with lines."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta, tzinfo
from datetime import date as Date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: several times faster
AOE = ZoneInfo("Etc/GMT+12")  # Anywhere on Earth is UTC-12; the POSIX name inverts the sign.
DEFAULT_REMIND = ["14d", "7d", "3d", "1d", "6h"]
DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class EventFileError(ValueError):
    """A broken event.yaml; the message names the file, the field and the line."""


def zone(name: str) -> tzinfo:
    """`AoE` or an IANA zone name."""
    if name.strip().lower() in {"aoe", "anywhere on earth", "anywhere in the world"}:
        return AOE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError(f"unknown time zone '{name}' (use AoE or an IANA name like Europe/Paris)") from err


def parse_duration(text: str) -> timedelta:
    match = DURATION.match(str(text))
    if not match:
        raise ValueError(f"'{text}' is not a duration like 14d, 6h, 30m or 45s")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


def resolve_moment(value: Date | datetime, tz: tzinfo) -> datetime:
    """A date means the end of that day in `tz`; a datetime must carry its offset."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=tz)
        return value
    return datetime.combine(value, time(23, 59, 59), tzinfo=tz)


class Deadline(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str
    due: Date | datetime
    extended_from: list[Date | datetime] = []
    url: str | None = None
    remind: list[str] = Field(default_factory=lambda: list(DEFAULT_REMIND))
    email: bool = False

    @field_validator("remind")
    @classmethod
    def _durations(cls, value: list[str]) -> list[str]:
        for item in value:
            parse_duration(item)
        return value


class Session(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    speakers: list[str] = []
    start: datetime
    end: datetime | None = None
    room: str | None = None


class SlackChannels(BaseModel):
    model_config = ConfigDict(extra="forbid")

    announcements: str | None = None
    workshop: str | None = None


class Event(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    timezone: str = "AoE"
    contact: str | None = None
    venue: str | None = None
    url: str | None = None  # where this edition's pages are published (links in answers)
    date: Date | None = None  # the workshop day
    slack: SlackChannels | None = None
    deadlines: list[Deadline] = []
    program: list[Session] = []

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone(value)
        return value

    @property
    def tz(self) -> tzinfo:
        return zone(self.timezone)

    def due(self, deadline: Deadline) -> datetime:
        return resolve_moment(deadline.due, self.tz)

    def previous_dues(self, deadline: Deadline) -> list[datetime]:
        return [resolve_moment(value, self.tz) for value in deadline.extended_from]


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the YAML node at pydantic location `loc` (as deep as the path exists)."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            break
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def load_event(path: Path) -> Event:
    """Parse and validate `path`; raise EventFileError naming the file, field and line."""
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.load(text, Loader=SafeLoader)
    except OSError as err:
        raise EventFileError(f"{path}: cannot be read: {err.strerror}") from err
    except UnicodeDecodeError as err:
        raise EventFileError(f"{path}: not UTF-8 text (byte {err.start})") from err
    except yaml.YAMLError as err:
        # Where the broken construct starts (an unclosed bracket) is where to look, not where parsing gave up.
        mark = getattr(err, "context_mark", None) or getattr(err, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise EventFileError(f"{path}{where}: not valid YAML: {getattr(err, 'problem', err)}") from err
    if not isinstance(data, dict):
        raise EventFileError(f"{path}, line 1: must be a mapping with at least `name:`")
    try:
        return Event.model_validate(data)
    except ValidationError as err:
        node = yaml.compose(text, Loader=SafeLoader)  # line numbers, only when there is something to point at
        problems = []
        for e in err.errors():
            loc = tuple(part for part in e["loc"] if not (isinstance(part, str) and part in {"date", "datetime"}))
            field = ".".join(str(part) for part in loc) or "(top)"
            line = _line_of(node, loc)
            where = f", line {line}" if line else ""
            problems.append(f"{path}{where}: field '{field}': {e['msg']}")
        raise EventFileError("\n".join(problems)) from err


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
