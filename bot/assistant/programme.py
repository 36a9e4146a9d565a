"""Programme questions answered from the programme's rows: the time, and whose talk it is.

"What time is Mirhoseni's keynote?" (names match despite typos), "When are the poster sessions?"
(every matching row), "Who speaks after lunch?", "What is on at 2 pm?", "When does the workshop start?".
A question about something the programme does not list ("When is the tutorial?") is not answered
from it. Times are the venue's local time, and the answer says so.
"""

from __future__ import annotations

import re
from collections.abc import Set
from datetime import datetime, time

from bot.assistant.explain import best_explained, matches
from bot.assistant.intent import Intent, asked_words
from bot.assistant.items import AUTHORSHIP
from bot.assistant.people import AFFILIATION
from bot.assistant.structured import Reply
from bot.index.retrieval import QueryTerms
from bot.index.text import tokens
from bot.knowledge.dates import zone_in
from bot.knowledge.derive import SESSION_KINDS, EditionFacts, ProgrammeItem, in_day_order
from bot.knowledge.facts import zone_of

# Words that say "this is about the programme" without naming any part of it.
SCHEDULE_WORDS = {
    "time", "when", "start", "begin", "end", "finish", "schedul", "program", "programm", "agenda", "happen",
    "talk", "speak", "speaker", "present", "give", "session", "slot", "held", "take", "place", "workshop", "day",
    "today", "now", "current", "right", "moment", "list", "event", "first", "last", "next", "after", "befor",
    "follow", "preced", "who", "what", "go", "on", "schedule", "timet", "plan", "morn", "afternoon", "even",
    "item", "thing", "entri", "wrap", "kick", "off", "conclud", "open", "close",
}
PROGRAMME_CUES = re.compile(
    r"\b(what time|when|start|begin|end|finish|schedule|program|programme|agenda|talks?|speak\w*|keynote|"
    r"poster|panel\w*|lunch|break|coffee|session|present\w*|opening|closing|remarks|award|on now|right now|"
    r"after|before)\b", re.IGNORECASE)
PROGRAMME_STEMS = {"talk", "keynot", "speak", "speaker", "poster", "panel", "lunch", "break", "coffe", "session",
                   "present", "schedul", "program", "programm", "agenda", "remark", "award", "oral", "spotlight"}
DEADLINE_WORDS = re.compile(r"\b(deadlines?|due|submi\w*|notification|camera)\b", re.IGNORECASE)
ZONE = re.compile(r"\btime ?zone\b|\bwhich zone\b|\bwhat zone\b", re.IGNORECASE)
NOW = re.compile(r"\b(right now|now|currently|at the moment|happening)\b", re.IGNORECASE)
START = re.compile(r"\b(start|begin|open|kick|first)\w*\b", re.IGNORECASE)
END = re.compile(r"\b(end|finish|close|over|wrap|conclud|last)\w*\b", re.IGNORECASE)
WHO = re.compile(r"\bwho\b", re.IGNORECASE)
WEEKDAY = re.compile(r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b", re.IGNORECASE)
ORDINAL = re.compile(r"\b(first|last|final|opening|closing)\b", re.IGNORECASE)  # "the last thing on the programme"
NOT_TALKS = {"break", "lunch", "poster"}
PARTS_OF_DAY = {"morning": (time(0), time(12)), "afternoon": (time(12), time(17, 30)),
                "evening": (time(17), time(23, 59, 59))}
WON = {"won", "win", "receiv", "got", "given", "award"}  # verbs of winning, as stems
GENERIC_KINDS = {"talk", "session"}  # every programme has talks: naming them asks for no kind in particular


def _rows_matching(terms: QueryTerms, rows: list[ProgrammeItem], topics: set[str],
                   own_name: Set[str] = frozenset()) -> list[ProgrammeItem] | None:
    """The rows that explain most of the question; None when it asks about something else. The
    workshop's own name explains no row: "ML for *Systems*" is not the "Intelligent *Systems*" keynote."""
    return best_explained(terms, SCHEDULE_WORDS | own_name, rows, lambda row: set(tokens(row.text)), topics)


def _anchors(anchor: str, terms: QueryTerms, rows: list[ProgrammeItem], topics: set[str],
             own_name: Set[str]) -> list[ProgrammeItem] | None:
    """The rows an "after / before X" names, in the part of the day it names ("the *morning* coffee
    break"); none when X names something else of the edition: "before the full paper *deadline*"."""
    anchor_terms = QueryTerms(tokens(anchor), terms.weights | {t: 1.0 for t in tokens(anchor)})
    found = _rows_matching(anchor_terms, rows, topics, own_name)
    for part, (start, end) in PARTS_OF_DAY.items():
        if found and re.search(rf"\b{part}", anchor, re.IGNORECASE):
            found = [row for row in found if start <= row.start < end]
    return found


def _at(rows: list[ProgrammeItem], moment: time) -> list[ProgrammeItem]:
    rows = [row for row in rows if not row.undecided]
    for i, row in enumerate(rows):
        end = row.end or (rows[i + 1].start if i + 1 < len(rows) else None)
        if row.start <= moment and (end is None or moment < end):
            return [row]
    return []


def _next_to(anchors: list[ProgrammeItem], rows: list[ProgrammeItem], relation: str,
             talks: bool) -> list[ProgrammeItem]:
    found: list[ProgrammeItem] = []
    for anchor in anchors:
        i = rows.index(anchor)
        others = rows[i + 1:] if relation == "after" else list(reversed(rows[:i]))
        for row in others:
            if not talks or row.kind not in NOT_TALKS:
                found.append(row)
                break
    return [row for i, row in enumerate(found) if all(row is not other for other in found[:i])]


def programme_reply(question: str, terms: QueryTerms, intent: Intent, facts: EditionFacts, now: datetime,
                    topics: set[str], own_name: Set[str] = frozenset()) -> Reply | None:
    """Rows of the programme that answer the question, or None when it is not about the programme."""
    rows = in_day_order(facts.programme)
    words = set(terms.tokens)
    if rows and facts.programme_zone and ZONE.search(question) and not DEADLINE_WORDS.search(question):
        return Reply("assistant/programme_zone.txt.j2", {"zone": facts.programme_zone.value},
                     [facts.programme_zone.stated])
    if not rows or not (PROGRAMME_CUES.search(question) or words & PROGRAMME_STEMS or intent.clock or intent.at):
        return None
    if not (intent.when or intent.clock or intent.at or intent.relation or intent.where or NOW.search(question)
            or ((intent.who or intent.listing or ORDINAL.search(question)) and words & PROGRAMME_STEMS)) \
            or AFFILIATION.search(question) or AUTHORSHIP.search(question):
        return None  # the programme gives times and names: "what is the talk about?" is for the pages
    if any(row.day for row in rows) and (named := WEEKDAY.findall(question)):
        rows = [row for row in rows if row.day and any(day[:3].lower() in row.day.lower() for day in named)]
        own_name = own_name | {t for day in named for t in tokens(day)}  # "Friday" explains no row: it chose them
        if not rows:
            return None  # a day the programme does not have
    chosen: list[ProgrammeItem] | None
    if intent.at is not None:
        moment = intent.at
        if moment < rows[0].start and moment.hour < 12 and time(moment.hour + 12, moment.minute) <= rows[-1].start:
            moment = time(moment.hour + 12, moment.minute)  # "at 2" during a day-time programme is 2 pm
        chosen = _at(rows, moment)
    elif NOW.search(question):
        chosen = _happening(rows, facts, now)
    elif intent.relation and intent.anchor:
        anchors = _anchors(intent.anchor, terms, rows, topics - {t for row in rows for t in tokens(row.text)},
                           own_name)
        chosen = _next_to(anchors, rows, intent.relation, talks=bool(WHO.search(question))) if anchors else None
    else:
        chosen = _rows_matching(terms, rows, topics - {t for row in rows for t in tokens(row.text)}, own_name)
        if chosen and not _of_asked_kind(question, chosen):
            return None  # "when were the poster sessions?" in a programme without any
        row_words = {t for row in (chosen or []) for t in tokens(row.text)}
        if any(row.kind == "award" and row.speakers for row in chosen or []):
            row_words |= WON  # a paper's own row marked "(Best Paper)" says which paper won it
        if chosen and any(t not in SCHEDULE_WORDS | PROGRAMME_STEMS and not matches(t, row_words)
                          for t in asked_words(question)):
            return None  # "which paper *won* the best paper award?": a ceremony row says only when it is given
        specific = {t for t in words if t not in SCHEDULE_WORDS | own_name and not t.isdigit()}
        if chosen == [] and not specific and {"workshop", "day", "program", "programm", "schedul", "agenda"} & words:
            timed = [row for row in rows if not row.undecided] or rows
            chosen = [timed[0]] if START.search(question) else [timed[-1]] if END.search(question) else rows
        elif chosen == []:
            return None
    if chosen and intent.who and intent.relation and not intent.when:
        chosen = [row for row in chosen if intent.satisfied_by(row.row, None)]  # who comes after each break
    if not chosen or not all(intent.satisfied_by(row.row, None) or intent.when for row in chosen):
        return None
    if intent.who and not (intent.when or intent.clock or intent.at or intent.relation) \
            and not any(row.speakers for row in chosen):
        return None  # "who wrote the AlphaVerus paper?": the row names no one
    zone = facts.programme_zone.value if facts.programme_zone else None
    several_days = any(row.day for row in rows)  # each row then says its day; the workshop's date is not theirs
    return Reply("assistant/programme.txt.j2", {"rows": chosen, "zone": zone, "by_day": several_days,
                                                 "day": facts.date.value if facts.date and not several_days else None},
                 [row.stated for row in chosen])


def _of_asked_kind(question: str, rows: list[ProgrammeItem]) -> bool:
    """Whether the rows are of the kind of session the question names, if it names one."""
    asked = [pattern for kind, pattern in SESSION_KINDS if kind not in GENERIC_KINDS and pattern.search(question)]
    return not asked or any(pattern.search(row.text) for pattern in asked for row in rows)


def _happening(rows: list[ProgrammeItem], facts: EditionFacts, now: datetime) -> list[ProgrammeItem] | None:
    """What is on at `now`, in the venue's time; nothing when the workshop is not on today."""
    zone = zone_in(str(facts.programme_zone.value)) if facts.programme_zone else None
    if zone is None:
        return None
    local = now.astimezone(zone_of(zone))
    if any(row.day for row in rows):  # a programme over several days: today's rows, if it names dates
        rows = [row for row in rows if row.on == local.date()]
    elif facts.date is None or local.date() != facts.date.value:
        return None
    return _at(rows, local.time().replace(tzinfo=None)) if rows else None
