"""Questions answered from an edition's structured facts (event.yaml), not from passages.

Deadlines, the workshop day, the venue and the contact address are what people ask most, and the
answers must be exact: the date with its time zone and extension history, and whether it has passed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from bot.events.facts import DeadlineFact, facts
from bot.events.model import Deadline, Event
from bot.index.text import tokens

WHEN = re.compile(r"\b(deadlines?|due|when|dates?|extend\w*|extension|late|until|cut-?off|closes?|closed|timeline|"
                  r"still|yet|in time|passed|over|open)\b", re.IGNORECASE)
WHERE = re.compile(r"\b(where|venue|location|located|room|place|address of the venue)\b", re.IGNORECASE)
CONTACT = re.compile(r"\b(contact|e-?mail|reach|get in touch|write to|mailing address)\b", re.IGNORECASE)
ALL_DATES = re.compile(r"\b(important|key) dates\b|\bdeadlines\b|\btimeline\b|\ball (the )?dates\b", re.IGNORECASE)
DEADLINE_STEMS = {"deadlin", "due", "submiss", "submit", "extend", "extens", "late", "cutoff", "pass", "close"}
# Stems that only say "this is about a date" (or about the workshop at large): they pick no deadline.
GENERIC = DEADLINE_STEMS - {"submiss", "submit"} | {
    "date", "time", "cut", "off", "workshop", "neurip", "ml", "system", "mlforsi", "year", "next",
    "upcom", "alreadi", "day", "midnight", "aoe", "anywher", "earth", "world", "exact", "dead", "line",
    "import", "key", "timelin", "happen", "open", "final", "offici", "current", "new", "chang", "over",
    "yet", "organ", "organiz", "held", "take", "place", "locat", "venu", "room", "contact", "email",
    "reach", "touch", "write", "question", "address", "mail",
}
# Words people use for the usual deadlines, by the deadline id they point to.
SYNONYMS = {
    "submission": {"submiss", "submit", "paper", "abstract", "manuscript", "openreview"},
    "notification": {"notif", "notifi", "accept", "decis", "result", "hear", "back", "outcom"},
    "competition": {"competit", "challeng", "contest"},
}


@dataclass
class EventReply:
    """What to render (`template`) and the values a citing passage should contain (`needles`)."""

    template: str
    context: dict
    needles: list[str] = field(default_factory=list)
    deadlines: list[DeadlineFact] = field(default_factory=list)


def _keywords(deadline: Deadline) -> set[str]:
    return set(tokens(f"{deadline.id} {deadline.title}")) | SYNONYMS.get(deadline.id, set())


def date_pattern(moment: datetime) -> str:
    """How pages write this day: `August 29`, `Aug 29th`, `October 6th, 2023`."""
    return rf"{moment:%b}[a-z]*\.?\s+0?{moment.day}(?:st|nd|rd|th)?\b"


def relevant_deadlines(question: str, terms: list[str], event: Event) -> list[Deadline] | None:
    """The deadlines a question asks about, or None when it is not such a question.

    Every specific word must be explained by the chosen deadlines ("competition start" is not the
    competition's submission deadline), so a question about an unknown date falls through to the pages.
    """
    if not event.deadlines or not (WHEN.search(question) or (DEADLINE_STEMS - {"submit", "submiss"}) & set(terms)):
        return None
    specific = {t for t in terms if t not in GENERIC and not t.isdigit()}
    if "workshop" in terms and not (DEADLINE_STEMS & set(terms)) and not specific:
        return None  # "when is the workshop?": the workshop day, not a deadline
    if ALL_DATES.search(question) and not specific:
        return list(event.deadlines)
    if not specific:
        primary = [d for d in event.deadlines if d.remind] or event.deadlines
        return [min(primary, key=event.due)]
    matched = [d for d in event.deadlines if specific & _keywords(d)]
    explained = set().union(*(_keywords(d) for d in matched)) if matched else set()
    return matched if matched and specific <= explained else None


def answer_from_event(question: str, terms: list[str], event: Event, now: datetime) -> EventReply | None:
    """An answer from the edition's facts, or None when the question is about something else."""
    specific = {t for t in terms if t not in GENERIC and not t.isdigit()}
    if deadlines := relevant_deadlines(question, terms, event):
        found = facts(event, deadlines, now)
        return EventReply("assistant/deadline.txt.j2", {"deadlines": found},
                          [date_pattern(f.local) for f in found], found)
    if specific:
        return None  # "where is the poster session?" is not about the venue of the workshop
    if event.date and WHEN.search(question) and "workshop" in terms:
        return EventReply("assistant/workshop_day.txt.j2", {"day": event.date, "passed": event.date < now.date()},
                          [rf"{event.date:%B}\s+0?{event.date.day}\b"])
    if event.venue and WHERE.search(question):
        return EventReply("assistant/venue.txt.j2", {"venue": event.venue}, [re.escape(event.venue)])
    if event.contact and CONTACT.search(question):
        return EventReply("assistant/contact.txt.j2", {"contact": event.contact}, [re.escape(event.contact)])
    return None
