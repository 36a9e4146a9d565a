"""The structured facts of one edition (`event.yaml`): validated, time-zone exact, errors with lines.

A broken file must only ever break its own edition, so `load_event` raises nothing but EventFileError,
and what it returns is safe to compute with: every moment lies within plausible years and every
reminder offset is bounded, so no planner arithmetic can overflow.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta, tzinfo
from datetime import date as Date
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from yaml.constructor import ConstructorError

from bot.text.addresses import web_url_error
from bot.config import EVENT_MAX_BYTES
from bot.events.rules import rule_ids

if TYPE_CHECKING:  # both loaders construct alike: the pure-Python one stands for either
    SafeLoader = yaml.SafeLoader
else:
    SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: several times faster
AOE = ZoneInfo("Etc/GMT+12")  # Anywhere on Earth is UTC-12; the POSIX name inverts the sign.
DEFAULT_REMIND = ["14d", "7d", "3d", "1d", "6h"]
DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
YEARS = (1900, 2999)  # any moment an event.yaml names; ±1 year around them is still a valid datetime
MAX_OFFSET = timedelta(hours=14)  # UTC+14 (Kiribati) and UTC-12 (AoE) are the farthest clocks
MAX_REMIND = timedelta(days=366)  # the earliest reminder before its deadline
MAX_DEADLINES, MAX_REMINDERS, MAX_SESSIONS = 100, 20, 1000  # a workshop's worth, many times over
MAX_DEPTH = 20  # nesting levels; event.yaml needs 4, and libyaml's composer recurses in C
BRACKETS = re.compile(r"[\[\]{}]")  # flow collections, counted before any parser runs
MAX_RULE_CHARS = 1000  # a rule in words: a sentence or two
MAX_PROBLEMS = 10  # errors listed per file; the rest are counted


class EventFileError(ValueError):
    """A broken event.yaml; the message names the file, the field and the line."""


class FieldProblems(ValueError):
    """Problems found across fields (a time against the event's zone), each with the field it is in."""

    def __init__(self, problems: Sequence[tuple[tuple[str | int, ...], str]]) -> None:
        super().__init__("; ".join(message for _, message in problems))
        self.problems = list(problems)


def _short(text: object) -> str:
    """A value quoted in an error, cut short: the error must fit in a log line and a terminal."""
    text = str(text)
    return text if len(text) <= 40 else f"{text[:40]}…"


def zone(name: str) -> tzinfo:
    """`AoE` or an IANA zone name."""
    if name.strip().lower() in {"aoe", "anywhere on earth", "anywhere in the world"}:
        return AOE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as err:  # OSError: a name too long for a file
        raise ValueError(f"unknown time zone '{_short(name)}' (use AoE or an IANA name like Europe/Paris)") from err


def parse_duration(text: str) -> timedelta:
    match = DURATION.match(str(text))
    if not match:
        raise ValueError(f"'{_short(text)}' is not a duration like 14d, 6h, 30m or 45s")
    try:
        return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})
    except (OverflowError, ValueError) as err:  # more days than a timedelta holds, or digits than an int
        raise ValueError(f"'{_short(text)}' is too long a duration") from err


def _plausible(value: Date | datetime) -> Date | datetime:
    if not YEARS[0] <= value.year <= YEARS[1]:
        raise ValueError(f"{value.isoformat()} is not between the years {YEARS[0]} and {YEARS[1]}")
    offset = value.utcoffset() if isinstance(value, datetime) else None
    if offset is not None and abs(offset) > MAX_OFFSET:
        raise ValueError(f"{value.isoformat()}: no place on Earth is more than 14 hours from UTC")
    return value


def local_time_problem(value: Date | datetime, tz: tzinfo) -> str | None:
    """Why a time written without an offset names no one instant in `tz`: it falls in the hour the clocks
    skip (spring forward) or in the one they repeat (fall back). None when it is a date, has its offset,
    or is a plain local time."""
    if not isinstance(value, datetime) or value.tzinfo is not None:
        return None
    first, second = value.replace(tzinfo=tz, fold=0), value.replace(tzinfo=tz, fold=1)
    if first.utcoffset() == second.utcoffset():
        return None
    written = value.strftime("%Y-%m-%d %H:%M")
    shown = first.astimezone(UTC).astimezone(tz)
    if shown.replace(tzinfo=None) != value:
        return (f"{written} does not exist in {tz}: the clocks skip that hour; write the time the clocks show "
                f"then, with its offset ({shown.isoformat(timespec='minutes')})")
    return (f"{written} happens twice in {tz}: the clocks go back over that hour; give its offset "
            f"({first.isoformat(timespec='minutes')} or {second.isoformat(timespec='minutes')})")


Moment = Annotated[Date | datetime, AfterValidator(_plausible)]
Instant = Annotated[datetime, AfterValidator(_plausible)]


def resolve_moment(value: Date | datetime, tz: tzinfo) -> datetime:
    """A date means the end of that day in `tz`; a datetime must carry its offset."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=tz)
        return value
    return datetime.combine(value, time(23, 59, 59), tzinfo=tz)


def _web(value: str | None) -> str | None:
    if value is not None and (problem := web_url_error(value)):
        raise ValueError(problem)
    return value


WebUrl = Annotated[str, AfterValidator(_web)]


class Deadline(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str
    due: Moment
    extended_from: list[Moment] = []
    url: WebUrl | None = None
    remind: list[str] = Field(default_factory=lambda: list(DEFAULT_REMIND), max_length=MAX_REMINDERS)
    email: bool = False

    @field_validator("remind")
    @classmethod
    def _durations(cls, value: list[str]) -> list[str]:
        for item in value:
            if parse_duration(item) > MAX_REMIND:
                raise ValueError(f"'{_short(item)}' is more than {MAX_REMIND.days}d before the deadline")
        return value


class Session(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    speakers: list[str] = []
    start: Instant
    end: Instant | None = None
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
    url: WebUrl | None = None  # where this edition's pages are published (links in answers)
    date: Annotated[Date, AfterValidator(_plausible)] | None = None  # the workshop day
    slack: SlackChannels | None = None
    deadlines: list[Deadline] = Field([], max_length=MAX_DEADLINES)
    program: list[Session] = Field([], max_length=MAX_SESSIONS)
    rules: dict[str, Annotated[str, Field(min_length=1, max_length=MAX_RULE_CHARS)]] = {}  # the CFP's, in words

    @field_validator("rules")
    @classmethod
    def _known_rules(cls, value: dict[str, str]) -> dict[str, str]:
        if unknown := sorted(set(value) - set(rule_ids())):
            raise ValueError(f"not a rule: {', '.join(map(repr, unknown))} (rules: {', '.join(rule_ids())})")
        return {name: text.strip() for name, text in value.items()}

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        zone(value)
        return value

    @field_validator("deadlines")
    @classmethod
    def _unique_ids(cls, value: list[Deadline]) -> list[Deadline]:
        """An id names one deadline: its reminders and its history are keyed by it."""
        ids = [d.id for d in value]
        if twice := sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"deadline id {', '.join(map(repr, twice))} used more than once")
        return value

    @model_validator(mode="after")
    def _one_clock(self) -> Event:
        """A time without an offset is in the event's zone, and must name one instant there; a session
        time is then given its zone, so all sessions compare and sort, and none ends before it starts."""
        problems = [(("deadlines", i, name), problem) for i, deadline in enumerate(self.deadlines)
                    for name, value in [("due", deadline.due), *(("extended_from", v) for v in deadline.extended_from)]
                    if (problem := local_time_problem(value, self.tz))]
        problems += [(("program", i, name), problem) for i, session in enumerate(self.program)
                     for name, value in (("start", session.start), ("end", session.end))
                     if value is not None and (problem := local_time_problem(value, self.tz))]
        if problems:
            raise FieldProblems(problems)
        for i, session in enumerate(self.program):
            session.start = resolve_moment(session.start, self.tz)
            session.end = resolve_moment(session.end, self.tz) if session.end is not None else None
            if session.end is not None and session.end <= session.start:
                raise FieldProblems([(("program", i, "end"), f"{session.end.isoformat(timespec='minutes')} is not "
                                      f"after the start, {session.start.isoformat(timespec='minutes')}")])
        return self

    @property
    def tz(self) -> tzinfo:
        return zone(self.timezone)

    def due(self, deadline: Deadline) -> datetime:
        return resolve_moment(deadline.due, self.tz)

    def previous_dues(self, deadline: Deadline) -> list[datetime]:
        return [resolve_moment(value, self.tz) for value in deadline.extended_from]


class _Impossible(str):
    """A date-shaped scalar no calendar has (`2025-02-30`), with the reason Python gave."""

    reason: str

    def __new__(cls, text: str, reason: str) -> _Impossible:
        value = super().__new__(cls, text)
        value.reason = reason
        return value


class _Loader(SafeLoader):
    """PyYAML's safe loader, minus what it lets through: a key given twice (the last silently won), and
    a scalar whose constructor raises a bare ValueError (`2025-02-30`, a 5,000-digit number)."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as err:
            raise ConstructorError(None, None, str(err), node.start_mark) from err

    def construct_timestamp_or_text(self, node: yaml.ScalarNode) -> Date | datetime | str:
        try:
            return self.construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as err:  # stays text, so the model names its field (or keeps a title)
            return _Impossible(self.construct_scalar(node), str(err))

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *defaults` may be overridden: that is what it is for
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:
                continue  # an unhashable key: the constructor reports it
            if first is not None:
                raise ConstructorError(None, None, f"'{key}' is given twice (first on line {first})",
                                       key_node.start_mark)
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_timestamp_or_text)


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


def _within_depth(text: str) -> None:
    """Refuse deep nesting before any YAML library sees it: our limit, whichever library is underneath.

    Brackets are counted on the raw characters first, because a scanner reads up to 1,024 characters
    ahead before it yields a token and libyaml refuses deep flow nesting there, in its own words.
    Block nesting (indentation, `- - -`) is counted on the event stream, which yields it line by line.
    """
    depth = 0
    for bracket in BRACKETS.finditer(text):
        depth += 1 if bracket.group() in "[{" else -1
        if depth > MAX_DEPTH:
            index = bracket.start()
            line = text.count("\n", 0, index)
            mark = yaml.Mark("event.yaml", index, line, index - text.rfind("\n", 0, index) - 1, None, 0)
            raise ConstructorError(None, None, f"nested more than {MAX_DEPTH} levels deep", mark)
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise ConstructorError(None, None, f"nested more than {MAX_DEPTH} levels deep",
                                       event.start_mark)  # type: ignore[arg-type]  # stubs omit libyaml's Mark
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def load_event(path: Path, max_bytes: int = EVENT_MAX_BYTES) -> Event:
    """Parse and validate `path`; raise EventFileError naming the file, field and line, and nothing else."""
    try:
        with path.open("rb") as file:
            raw = file.read(max_bytes + 1)  # bounded even for a file that grows or never ends
        if len(raw) > max_bytes:
            raise EventFileError(f"{path}: larger than {max_bytes:,} bytes (EVENT_MAX_BYTES): "
                                 "an event.yaml holds one edition's facts, not data")
        text = raw.decode("utf-8")
        _within_depth(text)
        data = yaml.load(text, Loader=_Loader)
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
        node = yaml.compose(text, Loader=_Loader)  # line numbers, only when there is something to point at
        problems: dict[str, str] = {}
        for loc, message in _located(err):
            field = ".".join(str(part) for part in loc) or "(top)"
            line = _line_of(node, loc)
            where = f", line {line}" if line else ""
            problems.setdefault(field, f"{path}{where}: field '{field}': {message}")  # a date|datetime: once
        shown = list(problems.values())[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            shown.append(f"{path}: … and {len(problems) - MAX_PROBLEMS} more problems")
        raise EventFileError("\n".join(shown)) from err


def _located(err: ValidationError) -> list[tuple[tuple[str | int, ...], str]]:
    """Each problem with its field and in plain words: our own message, not the validation library's
    wording around it ("Value error, …")."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    for e in err.errors():
        loc = e["loc"][:-1] if len(e["loc"]) > 1 and e["loc"][-1] in {"date", "datetime"} else e["loc"]
        cause = (e.get("ctx") or {}).get("error")
        if isinstance(cause, FieldProblems):
            found.extend((loc + where, message) for where, message in cause.problems)
        elif reason := getattr(e["input"], "reason", None):
            found.append((loc, f"'{_short(e['input'])}' is not a real date or time: {reason}"))
        else:
            found.append((loc, str(cause) if isinstance(cause, ValueError) else e["msg"]))
    return found


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
