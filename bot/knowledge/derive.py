"""The facts an edition's pages state, each with the line and page that state it.

Deadlines with their extension history, the notification date, the workshop day, venue and room,
the contact address and the programme (rows of time and event) are what people ask most. They are
read from the lines the reader sees: "Submission deadline: August 29, 2025 (extended from August 22,
2025)", the masthead "December 16, New Orleans Convention Center, Room 211-213", a schedule row
"9:05 AM: Special Speaker: William Dally, NVIDIA". Where two pages disagree, that is reported.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import groupby, pairwise
from dataclasses import dataclass, field
from datetime import date, time
from typing import TYPE_CHECKING, Generic, TypeVar

from bot.knowledge.dates import dates_in, names_a_day, times_in, zone_in
from bot.knowledge.labels import PREVIOUS, deadline_kind, label_before
from bot.knowledge.naming import year_in_id
from bot.knowledge.site import YEAR
from bot.knowledge.statement import Statement

if TYPE_CHECKING:
    from bot.knowledge.pages import Page
    from bot.knowledge.rules import Rule

HEADER = "Header"
DATES_SECTION = re.compile(r"\b(dates?|deadlines?|timeline|schedule of|calendar)\b", re.IGNORECASE)
CANONICAL = {"submission": "Paper submission", "notification": "Acceptance notification",
             "camera-ready": "Camera-ready version"}
DEADLINE_CUE = re.compile(r"\b(deadline|due|no later than|by|until|before|closes?)\b", re.IGNORECASE)
GENERAL_ZONE = re.compile(r"\ball (?:the )?(?:deadlines|dates|times)\b", re.IGNORECASE)
HELD = re.compile(r"\b(held|take place|takes place|will be on|is on|happens?)\b", re.IGNORECASE)
PLACE_LABEL = re.compile(r"^(?:venue|location|place|where|room)\s*[:\-–]\s*(?P<value>.+)$", re.IGNORECASE)
ROOM = re.compile(r"(?i:\b(?:room|rm\.|hall|ballroom|auditorium|salon|suite|theat(?:er|re)|level|floor)\b)"
                  r"|^[A-Z]?\d{2,}|^[A-Z][a-z]+ \d{2,}[A-Z]?(?:\s*[-–]\s*\d+[A-Z]?)?$")
MASTHEAD = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|\broom\b", re.IGNORECASE)
NOT_A_PLACE = re.compile(r"\b(workshop|conference|symposium|co-located)\b|^(mon|tue|wed|thu|fri|sat|sun)[a-z]*$",
                         re.IGNORECASE)
# "…at NeurIPS 2023, in New Orleans, and held on December 15th": the place a sentence holds the workshop in.
IN_PLACE = re.compile(r"\bin\s+(?P<place>[A-Z][\w.'’-]+(?:(?:\s+|,\s*)(?:[A-Z][\w.'’-]+|of|de|del))*)")
MONTH_ONLY = re.compile(r"^(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?$", re.IGNORECASE)
SUBMISSION_SITE = re.compile(r"\b(?:openreview|easychair|hotcrp|softconf|cmt3?|microsoft cmt|precisionconference|"
                             r"sciencesconf|conftool|linklings|submittable)(?:\.[\w.]+(?:/\S*)?)?\b"
                             r"|https?://\S*(?:openreview|easychair|hotcrp|softconf|cmt3|precisionconference)\S*",
                             re.IGNORECASE)
SUBMITTING = re.compile(r"\bsubmi(?:t|ssions?|tted|tting)\b", re.IGNORECASE)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
CONTACT_CONTEXT = re.compile(r"contact|questions?|reach|e-?mail us|write to", re.IGNORECASE)
ZONE_PHRASE = re.compile(r"\b(?:local|time|zone|[A-Z][A-Za-z]+)\b")
PROGRAMME_ZONE = re.compile(r"\btimes?\s+(?:are|is|listed|shown|given)\s+(?:in\s+)?(?P<zone>[^.;!)—]+)", re.IGNORECASE)
# A row is a time and what happens then, in words: "9:05 AM: Keynote". A clock alone ("8:00 AM", a
# calendar's time axis, "8:30 AM–9:00 AM") is no row, nor is a number that begins a room ("310 Soda").
_CLOCK = r"(?>(?:2[0-3]|[01]?\d)(?::[0-5]\d)?)(?!\d)\s*(?:[ap]\.?\s?m\b\.?)?"
ROW_TIME = re.compile(
    rf"^(?:- )?(?P<start>{_CLOCK}|noon|tbd|tba)(?:\s*(?:[-–—]|to)\s*(?P<end>{_CLOCK}))?"
    r"\s*(?:[:|–—-]\s*)?(?P<text>(?=.*?(?<![\w.])(?![ap]\.?\s?m\b)[^\W\d_])\S.*)$",  # a word, not only "AM"
    re.IGNORECASE,
)
MASTHEAD_LOWER_WORDS = 3  # "(Singapore, April 27, 2025)", "Co-located with ICLR, April 27"
MASTHEAD_LINES = 8  # a page's first lines, where a masthead stands
MAX_PLACE_WORDS = 4  # "Milan", "Republic of Korea", "Rio de Janeiro"
PLACE_PARTICLES = {"of", "de", "del", "la", "le", "du", "da", "am", "upon"}
MIN_ROWS = 3  # fewer timed lines than this on a page are not a programme
# A time or time range alone on its line ("09:00 - 09:30", "9:05 AM:"): the slot is the line after it.
ALONE_TIME = re.compile(rf"^(?:- )?(?:{_CLOCK}|noon)(?:\s*(?:[-–—]|to)\s*{_CLOCK})?\s*[:|–—-]?$", re.IGNORECASE)
# A line or heading that names a day of a programme over several days: "Tuesday, Jan 3 (Morning)", "Day 2".
PART_OF_DAY = re.compile(r"\s*[(\[]?\b(?:morning|afternoon|evening)\b[)\]]?\s*$", re.IGNORECASE)
SESSION_KINDS = [
    ("keynote", re.compile(r"keynote", re.IGNORECASE)),
    ("panel", re.compile(r"panel", re.IGNORECASE)),
    ("poster", re.compile(r"poster", re.IGNORECASE)),
    ("lunch", re.compile(r"lunch", re.IGNORECASE)),
    ("break", re.compile(r"break|coffee|tea\b", re.IGNORECASE)),
    ("opening", re.compile(r"opening|welcome|introduct", re.IGNORECASE)),
    ("closing", re.compile(r"closing|concluding|wrap", re.IGNORECASE)),
    ("award", re.compile(r"award|prize|best (?:paper|poster|student)", re.IGNORECASE)),
    ("contributed", re.compile(r"contributed|spotlight|oral|lightning", re.IGNORECASE)),
    ("talk", re.compile(r"invited|talk|speaker|lecture|presentation", re.IGNORECASE)),
]
ROLE = re.compile(r"\b(?:keynote(?: speaker)?|(?:invited |special |guest )?speaker|invited talk|lecture|presenter|"
                  r"moderator|chair)(?: \d+)?\s*:\s*(?P<who>[^,(;]+)", re.IGNORECASE)
PANELISTS = re.compile(r"\bpanelists?\s*:\s*(?P<who>.+)$", re.IGNORECASE)  # "Panelists: A (X), B (Y)"
PANEL = re.compile(r"\bpanel[^(:]*\((?P<who>[^)]+)\)", re.IGNORECASE)  # "Panel Discussion (A, B and C)"
INITIALS = r"(?:[A-Z]\.\s?)+[A-Z][a-zà-ÿ'’-]+"  # "H.T. Kung", "H. T. Kung"
PARTICLE = r"van|von|de|der|da|di|del|le|la"
NAME = re.compile(rf"\b(?:{INITIALS}|[A-Z][a-zà-ÿ'’-]+(?:\s+(?:[A-Z]\.|[A-Z][a-zà-ÿ'’-]+|{PARTICLE})){{1,3}})\b")
AFFILIATED = re.compile(NAME.pattern + r"(?=\s*\()")
ASIDE = re.compile(r"\([^)]*\)|\"[^\"]*\"|“[^”]*”")  # affiliations and quoted titles are not names


@dataclass
class DerivedDeadline:
    id: str
    title: str
    due: date
    at: time | None  # a time of day the page gives ("11:59 PM", "midnight")
    zone: str | None  # AoE, an IANA zone or UTC±hh:mm; None when the pages say none
    previous: list[date]
    stated: Statement
    url: str | None = None  # where to submit, when known


@dataclass
class ProgrammeItem:
    start: time
    end: time | None
    text: str  # the row after its time: "Keynote: Azalia Mirhoseini (Stanford), Self-improving AI…"
    kind: str
    speakers: list[str]
    stated: Statement
    undecided: bool = False  # "TBD": on the programme without a time yet (ordered after the row before)
    day: str | None = None  # of a programme over several days, the day as the page names it: "Wednesday, Jan 4"
    on: date | None = None  # that day's date, when it names one
    order: int = 0  # the day's place among the programme's days, as the pages list them

    @property
    def row(self) -> str:
        return self.stated.line.lstrip("- ")


def in_day_order(rows: list[ProgrammeItem]) -> list[ProgrammeItem]:
    """Rows as the programme runs: day by day, each day by its clock."""
    return sorted(rows, key=lambda row: (row.order, row.start))


V = TypeVar("V")


@dataclass
class Stated(Generic[V]):
    value: V
    stated: Statement


@dataclass
class EditionFacts:
    """What one edition's pages state; every field may be missing."""

    edition: str
    date: Stated[date] | None = None
    venue: Stated[str] | None = None
    room: Stated[str] | None = None
    contact: Stated[str] | None = None
    deadlines: list[DerivedDeadline] = field(default_factory=list)
    programme: list[ProgrammeItem] = field(default_factory=list)
    programme_zone: Stated[str] | None = None
    submit_at: Stated[str] | None = None  # the line that says where papers are submitted
    conflicts: list[str] = field(default_factory=list)
    rules: dict[str, list[Rule]] = field(default_factory=dict)  # the call for papers' rules, read by meaning


@dataclass(frozen=True)
class PageText:
    """A section of a page as lines: what facts are read from (a parsed page, or indexed passages)."""

    source: str
    title: str
    url: str
    section: str
    lines: tuple[str, ...]
    cards: bool = False  # a list of the sibling sections below it (speakers), not text of its own


def texts_of(pages: list[Page]) -> list[PageText]:
    result = []
    for page in pages:
        if page.header:
            result.append(PageText(page.source, page.title, page.url, HEADER, tuple(page.header)))
        for section in page.sections:
            result.append(PageText(page.source, page.title, page.url, section.title, tuple(section.lines)))
    return result


def _statement(text: PageText, line: str) -> Statement:
    return Statement(text.source, text.title, text.url, text.section, line)


def _current_and_previous(line: str, year: int | None) -> tuple[list, list[date]]:
    previous_spans = [(m.start(), m.end()) for m in PREVIOUS.finditer(line)]
    current, previous = [], []
    for mention in dates_in(line, year):
        if any(s <= mention.start < e for s, e in previous_spans):
            previous.append(mention.value)
        else:
            current.append(mention)
    return current, previous


class _Reader:
    def __init__(self, edition: str, texts: list[PageText], year: int | None) -> None:
        self.edition = edition
        self.year = year if year is not None else year_in_id(edition)
        self.texts = texts
        self.facts = EditionFacts(edition)
        self.days: dict[str, int] = {}  # the programme's days, in the order the pages name them

    def read(self) -> EditionFacts:
        self.texts = [t for t in self.texts if not t.cards]
        self._workshop_day_and_place()
        self._deadlines()
        self._contact()
        self._submission_site()
        self._programme()
        return self.facts

    def _general_zone(self, text: PageText) -> str | None:
        """A zone stated for every deadline of the page ("All deadlines are 11:59 PM AoE")."""
        for candidate in self.texts:
            if candidate.source != text.source:
                continue
            for line in (candidate.section, *candidate.lines):
                if GENERAL_ZONE.search(line) and (zone := zone_in(line)):
                    return zone
        return None

    def _deadlines(self) -> None:
        chosen: dict[str, tuple[int, DerivedDeadline]] = {}
        for text in self.texts:
            if text.section == HEADER:
                continue
            in_dates = bool(DATES_SECTION.search(text.section))
            for raw in text.lines:
                line = raw.lstrip("- ").strip()
                current, previous = _current_and_previous(line, self.year)
                if not current or len(line) > 300:
                    continue
                label = label_before(line, current[0].start)
                if not label and current[0].end < len(line):  # "August 29: paper deadline"
                    label = line[current[0].end:].strip(" -:–—,")[:80]
                    if len(current) > 1:  # a dated news item: "March 2: the deadline is extended to March 6"
                        current = current[1:]
                        label = PREVIOUS.sub("", line[:current[0].start]).split(":", 1)[-1].strip(" -:–—,")[:80]
                        label = re.sub(r"\b(extended|moved|postponed|changed)?\s*(to|until|on|by)\s*$", "", label,
                                       flags=re.IGNORECASE).strip(" -:–—,")
                kind, ident = deadline_kind(label)
                if kind is None and not (in_dates and label and len(label) <= 40):
                    continue
                if len(label) > 40 and not DEADLINE_CUE.search(line[:current[0].start][-50:]):
                    continue  # prose that mentions a date ("…was held on December 8th"), not a deadline
                if kind == "workshop":  # a dated "Workshop:" line says it more plainly than a masthead
                    self._set_day(current[0].value, _statement(text, raw), replace=True)
                    continue
                times = times_in(line)
                title = label if label and len(label) <= 40 else CANONICAL.get(kind or "", label[:40])
                deadline = DerivedDeadline(
                    id=ident, title=title, due=current[0].value, at=times[0].value if times else None,
                    zone=zone_in(line) or self._general_zone(text), previous=previous, stated=_statement(text, raw))
                rank = 2 * in_dates + (len(label) <= 60)
                known = chosen.get(deadline.id)
                if known and known[1].due != deadline.due:
                    self.facts.conflicts.append(
                        f"{deadline.stated.source}: '{deadline.title}' is {deadline.due:%B %d, %Y} but "
                        f"{known[1].stated.source} says {known[1].due:%B %d, %Y}")
                if known is None or rank > known[0]:
                    chosen[deadline.id] = (rank, deadline)
        self.facts.deadlines = sorted((d for _, d in chosen.values()), key=lambda d: d.due)

    def _set_day(self, day: date, statement: Statement, *, replace: bool) -> None:
        known = self.facts.date
        if known is not None and known.value != day:
            self.facts.conflicts.append(
                f"{statement.source}: the workshop is on {day:%B %d, %Y} but {known.stated.source} says "
                f"{known.value:%B %d, %Y}")
        if known is None or replace:
            self.facts.date = Stated(day, statement)

    def _mastheads(self) -> list[tuple[PageText, str]]:
        """Header lines, and a page's first short lines that carry a date (`(Singapore, April 27, 2025)`)."""
        found: list[tuple[PageText, str]] = []
        home_first = sorted(self.texts, key=lambda t: not re.search(r"(^|/)index\.\w+$", t.source))
        for text in home_first:
            if text.section == HEADER:
                found.extend((text, line) for line in text.lines if MASTHEAD.search(line) or dates_in(line, self.year))
        for text in self.texts:
            if text.section != HEADER and text is self._first_section(text.source):
                found.extend((text, line) for line in text.lines[:2] if self._masthead_like(line))
        return found

    def _masthead_like(self, line: str) -> bool:
        """A short line giving a date and a place ("(Singapore, April 27, 2025)"), not a labelled
        date ("Submission deadline: August 29")."""
        if len(line) > 120 or ":" in line or not dates_in(line, self.year):
            return False
        if sum(word.islower() for word in re.findall(r"[^\W\d_]+", line)) > MASTHEAD_LOWER_WORDS:
            return False  # a sentence ("The workshop takes place on …"), not a masthead
        return any(p.strip(" ()")[:1].isupper() and not dates_in(p, self.year) and not times_in(p)
                   and not YEAR.search(p) and not MONTH_ONLY.match(p.strip(" ()")) and not NOT_A_PLACE.search(p)
                   for p in _parts(line.strip("() ")))

    def _first_section(self, source: str) -> PageText | None:
        return next((t for t in self.texts if t.source == source and t.section != HEADER), None)

    def _workshop_day_and_place(self) -> None:
        for text, line in self._mastheads():
            days = [d for d in dates_in(line, self.year)
                    if not d.has_year or self.year is None or d.value.year == self.year]
            if days:
                self._set_day(days[0].value, _statement(text, line), replace=False)
            if self.facts.venue is None:
                self._place_parts(text, line)
        for text in self.texts:
            for item in (*text.section.split(" › ")[-1].split(" — "), *text.lines):
                if match := PLACE_LABEL.match(item.lstrip("- ").strip()):
                    value = match.group("value").strip()
                    if item.lower().startswith("room"):
                        self.facts.room = self.facts.room or Stated(value, _statement(text, item))
                    else:  # "Location: Garnet 218-219, Singapore EXPO" says the room and the venue
                        self.facts.venue = self.facts.room = None
                        self._place_parts(text, item, value)
        if self.facts.venue is None:
            self._place_above_date()
        held = [(text, line) for text in self.texts for line in text.lines
                if "workshop" in line.lower() and HELD.search(line) and dates_in(line, self.year)]
        if self.facts.date is None and held:
            text, line = held[0]
            self._set_day(dates_in(line, self.year)[0].value, _statement(text, line), replace=False)
        if self.facts.venue is None:
            self._place_held(held)

    def _place_above_date(self) -> None:
        """A masthead at a page's top that gives the place next to the day: "… Symposium, Milan, Italy,
        June 3rd, 2025" or "October 13, 2025, Seoul, Republic of Korea", on one line or a line each."""
        for text in self.texts:
            if text.section == HEADER or text is not self._first_section(text.source):
                continue
            top = ", ".join(line.strip() for line in text.lines[:MASTHEAD_LINES])
            for segment in re.split(r";\s+", top):
                parts = [p.strip() for p in _parts(segment)]
                dated = next((i for i, p in enumerate(parts) if dates_in(p, self.year) and not times_in(p)), None)
                if dated is None:
                    continue
                place: list[str] = []
                for part in reversed(parts[:dated]):
                    if not self._place_like(part):
                        break
                    place.insert(0, part)
                after = dated + 1 + (dated + 1 < len(parts) and bool(YEAR.fullmatch(parts[dated + 1])))
                for part in parts[after:] if not place else []:  # "October 13, 2025, Seoul, Korea"
                    if not self._place_like(part):
                        break
                    place.append(part)
                if place:
                    self.facts.venue = Stated(", ".join(place), _statement(text, text.lines[0]))
                    day = dates_in(", ".join(parts[dated:dated + 2]), self.year)[0].value
                    if self.facts.date is None and (self.year is None or day.year == self.year):
                        self._set_day(day, _statement(text, text.lines[0]), replace=False)  # the masthead's day
                    return

    def _place_like(self, part: str) -> bool:
        """A part of a masthead that can name a place: a few capitalized words, no date, no event."""
        words = part.split()
        return (0 < len(words) <= MAX_PLACE_WORDS and words[0][0].isupper()
                and all(w[0].isupper() or w in PLACE_PARTICLES for w in words)
                and not dates_in(part, self.year) and not YEAR.search(part) and not MONTH_ONLY.match(part)
                and not NOT_A_PLACE.search(part) and not any(c.isdigit() for c in part))

    def _place_held(self, held: list[tuple[PageText, str]]) -> None:
        """The place a sentence that says when the workshop is held also names ("…, in New Orleans")."""
        for text, line in held:
            for match in IN_PLACE.finditer(line):
                parts = [p.strip() for p in match.group("place").rstrip(".").split(",")]
                if all(self._place_like(p) and not ROOM.search(p) for p in parts):
                    self.facts.venue = Stated(", ".join(parts), _statement(text, line))
                    return

    def _place_parts(self, text: PageText, line: str, value: str | None = None) -> None:
        """Venue and room from a masthead: its parts that are neither dates, times nor the event's name."""
        venue, room = [], None
        for raw in _parts((value or line).strip().removeprefix("(").removesuffix(")")):
            part = raw.strip()
            if not part or dates_in(part, self.year) or times_in(part) or YEAR.search(part) or not part[0].isupper():
                continue
            if NOT_A_PLACE.search(part) or MONTH_ONLY.match(part):
                continue
            if ROOM.search(part):
                room = room or part
            else:
                venue.append(part)
        statement = _statement(text, line)
        if venue:
            self.facts.venue = Stated(", ".join(venue), statement)
        if room and self.facts.room is None:
            self.facts.room = Stated(room, statement)

    def _contact(self) -> None:
        scored: Counter[str] = Counter()
        where: dict[str, Statement] = {}
        for text in self.texts:
            context = bool(CONTACT_CONTEXT.search(text.section))
            for line in text.lines:
                for email in EMAIL.findall(line):
                    scored[email] += 1 + 5 * (context or bool(CONTACT_CONTEXT.search(line)))
                    where.setdefault(email, _statement(text, line))
        if scored:
            email = scored.most_common(1)[0][0]
            self.facts.contact = Stated(email, where[email])

    def _submission_site(self) -> None:
        """Where papers go: a line naming a submission system or labelled as the submission site
        ("Submission: EasyChair (select the USRW track)", "Submit via OpenReview: https://…")."""
        for text in self.texts:
            for line in text.lines:
                if (site := SUBMISSION_SITE.search(line)) and SUBMITTING.search(f"{text.section} {line}"):
                    self.facts.submit_at = Stated(site.group(0), _statement(text, line))
                    return

    def _programme(self) -> None:
        rows: dict[tuple[str | None, time, str], ProgrammeItem] = {}
        titles: dict[str, ProgrammeItem] = {}
        zones: dict[str, Stated[str]] = {}
        for text in self.texts:
            for line in (text.section, *text.lines):
                if text.source not in zones and (m := PROGRAMME_ZONE.search(line)) and _names_zone(m.group("zone")):
                    zones[text.source] = Stated(_balanced(m.group("zone").strip()), _statement(text, line))
        for _, sections in groupby(self.texts, key=lambda text: text.source):
            items = self._rows(list(sections))
            if len(items) < MIN_ROWS:
                continue
            for _, same_day in groupby(items, key=lambda item: item.order):
                _in_order(list(same_day))
            for item in items:
                same = titles.get(item.text.lower())
                if same is not None and same.start != item.start and same.stated.source != item.stated.source:
                    self.facts.conflicts.append(
                        f"{item.stated.source}: '{item.text[:60]}' is at {item.start:%H:%M} but "
                        f"{same.stated.source} has it at {same.start:%H:%M}")
                titles.setdefault(item.text.lower(), item)
                rows.setdefault((item.day, item.start, item.text.lower()), item)
        self.facts.programme = list(rows.values())
        if len({row.day for row in self.facts.programme}) == 1:  # one day: the workshop's, said once
            for row in self.facts.programme:
                row.day, row.on, row.order = None, None, 0
        if self.facts.programme:
            self.facts.programme_zone = zones.get(self.facts.programme[0].stated.source)

    def _rows(self, sections: list[PageText]) -> list[ProgrammeItem]:
        """The timed rows of a page, each with the day it comes under when the programme names days (a
        heading "Day 2", a line "Wednesday, Jan 4 (Morning)" above its rows). A time alone on its line
        is the row of the line after it, even when that is the next section's heading: a slot written
        as a paragraph (a bold time, a break, the talk) or as a card (the time, the talk as its title)."""
        items: list[ProgrammeItem] = []
        day: tuple[str, date | None] | None = None
        waiting: str | None = None  # a time alone on its line, waiting for its slot
        for text in sections:
            path = text.section.split(" › ")
            named = next((d for part in reversed(path) if (d := self._day(part)) is not None), None)
            day = named or day
            lines = list(text.lines)
            if waiting is not None and named is None:
                lines.insert(0, path[-1])
            for written in lines:
                alone = ALONE_TIME.match(written.strip())
                line = f"{waiting} {written}" if waiting is not None and not alone else written
                waiting = None
                if item := self._row(text, line):
                    if day is not None:
                        item.day, item.on = day
                        item.order = self.days.setdefault(day[0], len(self.days))
                    items.append(item)
                elif (label := self._day(line)) is not None:
                    day = label
                elif alone:
                    waiting = line.strip()
        return items

    def _day(self, line: str) -> tuple[str, date | None] | None:
        """A day a line names, without its part of the day: ("Tuesday, Jan 3", 2023-01-03)."""
        if not names_a_day(line):
            return None
        dated = dates_in(line, self.year)
        return PART_OF_DAY.sub("", line.strip().lstrip("- ")).strip(" ,:–—-"), dated[0].value if dated else None

    def _row(self, text: PageText, line: str) -> ProgrammeItem | None:
        match = ROW_TIME.match(line.strip())
        if not match:
            return None
        end = _clock(match.group("end")) if match.group("end") else None
        undecided = match.group("start").lower() in {"tbd", "tba"}  # on the programme, its time to be announced
        start = (time(0, 0), False) if undecided else _clock(match.group("start"), end)
        body = match.group("text").strip()
        if start is None or (dates_in(body, self.year) and ":" not in body):
            return None
        kind = next((k for k, pattern in SESSION_KINDS if pattern.search(body)), "session")
        return ProgrammeItem(start[0], end[0] if end else None, body, kind, _speakers(body), _statement(text, line),
                             undecided)


def _names_zone(phrase: str) -> bool:
    """Whether the words after "times are (in)" name a time zone ("Pacific Time", "local time", "CET",
    "Vancouver time"), not what some sentence goes on about ("recomputation time given a fixed memory budget")."""
    return zone_in(phrase) is not None or bool(ZONE_PHRASE.search(phrase))


def _balanced(text: str) -> str:
    """"Singapore Time)" → "Singapore Time"; "Seattle (PDT, UTC-7" → "Seattle (PDT, UTC-7)"."""
    text = text.strip()
    while text.endswith(")") and text.count(")") > text.count("("):
        text = text[:-1].strip()
    return text + ")" * (text.count("(") - text.count(")"))


def _parts(line: str) -> list[str]:
    """A masthead split at its separators (commas, dots, bars), never inside parentheses."""
    parts, depth, current = [], 0, ""
    for char in line:
        depth += (char == "(") - (char == ")")
        if depth == 0 and char in ",·|•":
            parts.append(current)
            current = ""
        else:
            current += char
    return [p for piece in [*parts, current] for p in re.split(r"\s+[–—]\s+", piece)]


def _clock(text: str, end: tuple[time, bool] | None = None) -> tuple[time, bool] | None:
    """A row's time and whether it said AM/PM; "2:00" before "2:30 PM" is 2:00 PM, a bare "11" an hour."""
    text = text.strip()
    found = times_in(text)
    if found:
        value = found[0].value
        explicit = bool(re.search(r"[ap]\.?\s?m", text, re.IGNORECASE)) or text.lower() == "noon"
    elif re.fullmatch(r"(?:[01]?\d|2[0-3])", text):
        value, explicit = time(int(text)), False
    else:
        return None
    if not explicit and end is not None and end[1]:  # the range's end says AM or PM for both
        afternoon = time((value.hour % 12) + 12, value.minute)
        morning = time(value.hour % 12, value.minute)
        value = afternoon if end[0].hour >= 12 and afternoon <= end[0] else morning
    return value, explicit


def _in_order(items: list[ProgrammeItem]) -> None:
    """A programme runs forward: a time earlier than the row before it is twelve hours later
    ("12:30AM" after "11:30AM" is a typo for 12:30 PM; "1:30" after "12:00" is 1:30 PM)."""
    for before, item in pairwise(items):
        if item.undecided:
            item.start = before.start
            continue
        later = time(item.start.hour + 12, item.start.minute) if item.start.hour < 12 else None
        if item.start < before.start and later is not None and later >= before.start:
            item.start = later
    for i, item in enumerate(items):
        if item.end is None and i + 1 < len(items) and items[i + 1].start > item.start:
            item.end = items[i + 1].start
        elif item.end is not None and item.end < item.start and item.end.hour < 12:
            item.end = time(item.end.hour + 12, item.end.minute)


def _speakers(body: str) -> list[str]:
    """Names after a role ("Keynote Speaker: Chris Lattner"), a panel's list of panelists, or a name
    before the talk's title ("Caroline Lemieux, Neural Inference of …")."""
    names = []
    for match in ROLE.finditer(body):
        names.extend(NAME.findall(match.group("who"))[:1])
    if panel := PANELISTS.search(body) or PANEL.search(body):
        names.extend(NAME.findall(ASIDE.sub("", panel.group("who")) if PANELISTS.search(body) else panel.group("who")))
    if not names and (lead := re.match(r"^([^,:(]+),", body)) and NAME.fullmatch(lead.group(1).strip()):
        names.append(lead.group(1).strip())
    names.extend(m.group(0) for m in AFFILIATED.finditer(body))  # "Rebecca Lindqvist (Arm)"
    return list(dict.fromkeys(names))


def derive(edition: str, texts: list[PageText], year: int | None = None) -> EditionFacts:
    """Every fact the edition's pages state, with where; disagreements between pages in `conflicts`.
    Dates without a year are in `year` (by default, the one the edition's id names)."""
    return _Reader(edition, texts, year).read()


def contradictions(edition: str, pages: list[Page]) -> list[str]:
    """What the organizers should fix: pages of one edition that state different facts."""
    return [f"edition '{edition}': {c}" for c in derive(edition, texts_of(pages)).conflicts]
