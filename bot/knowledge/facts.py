"""An edition's facts: what its pages state, overridden field by field by its `event.yaml`.

`event.yaml` stays optional: organizers write one to correct or complete what the pages say (and to
opt in to reminders). `workshop-bot facts --yaml` drafts one from the pages for them to check.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta, timezone, tzinfo

from bot.events.facts import DeadlineFact
from bot.events.model import AOE, Event
from bot.events.model import zone as event_zone
from bot.knowledge.derive import (
    DerivedDeadline,
    EditionFacts,
    PageText,
    ProgrammeItem,
    Stated,
    Statement,
    derive,
)
from bot.knowledge.editions import Edition
from bot.knowledge.site import EVENT_FILE

KEY_FACTS = "Key facts"


def _statement(source: str, line: str) -> Statement:
    return Statement(source, KEY_FACTS, "", "", line)


def _deadlines(event: Event, source: str) -> list[DerivedDeadline]:
    result = []
    for d in event.deadlines:
        due = event.due(d)
        result.append(DerivedDeadline(
            id=d.id, title=d.title, due=due.date(), at=due.timetz().replace(tzinfo=None),
            zone=event.timezone, previous=[p.date() for p in event.previous_dues(d)],
            stated=_statement(source, f"{d.title}: {due:%B %d, %Y %H:%M}"), url=d.url))
    return result


def _programme(event: Event, source: str) -> list[ProgrammeItem]:
    result = []
    for s in event.program:
        line = f"{s.start:%H:%M}: {s.title}" + (f" ({', '.join(s.speakers)})" if s.speakers else "")
        result.append(ProgrammeItem(s.start.time(), s.end.time() if isinstance(s.end, datetime) else None,
                                    s.title + (f": {', '.join(s.speakers)}" if s.speakers else ""),
                                    "session", list(s.speakers), _statement(source, line)))
    return result


def with_event(facts: EditionFacts, event: Event | None, source: str) -> EditionFacts:
    """`facts`, with each field that `event` sets taken from it instead."""
    if event is None:
        return facts
    merged = replace(facts)
    if event.date:
        merged.date = Stated(event.date, _statement(source, f"Date: {event.date:%B %d, %Y}"))
    if event.venue:
        merged.venue = Stated(event.venue, _statement(source, f"Venue: {event.venue}"))
        if merged.room and re.sub(r"\W", "", str(merged.room.value).lower()) in re.sub(r"\W", "", event.venue.lower()):
            merged.room = None  # the venue names it already
    if event.contact:
        merged.contact = Stated(event.contact, _statement(source, f"Contact: {event.contact}"))
    if event.deadlines:
        merged.deadlines = _deadlines(event, source)
    if event.program:
        merged.programme = _programme(event, source)
    return merged


def zone_of(zone: str | None) -> tzinfo:
    """The tzinfo of a zone as the pages name it (AoE, an IANA name, UTC±hh:mm); AoE when unknown."""
    if zone and (offset := re.fullmatch(r"UTC([+-])(\d\d):(\d\d)", zone)):
        sign = 1 if offset.group(1) == "+" else -1
        return timezone(sign * timedelta(hours=int(offset.group(2)), minutes=int(offset.group(3))))
    try:
        return event_zone(zone) if zone else AOE
    except ValueError:
        return AOE


def deadline_facts(deadlines: list[DerivedDeadline], now: datetime | None = None) -> list[DeadlineFact]:
    """Deadlines as readers need them, soonest first. Without a zone from the pages, the date is shown
    alone, and "passed" waits for the end of that day anywhere on Earth."""
    result = []
    for d in sorted(deadlines, key=lambda d: d.due):
        tz = zone_of(d.zone)
        local = datetime.combine(d.due, d.at or time(23, 59, 59), tzinfo=tz)
        label = None if d.zone is None else ("AoE (UTC−12)" if tz is AOE else d.zone)
        previous = [datetime.combine(p, d.at or time(23, 59, 59), tzinfo=tz) for p in d.previous]
        result.append(DeadlineFact(title=d.title, local=local, utc=local.astimezone(UTC), zone=label,
                                   previous=previous, passed=now is not None and local <= now, url=d.url))
    return result


def edition_facts(edition: Edition, texts: list[PageText], event_source: str | None = None) -> EditionFacts:
    """The facts of `edition` from its pages' text, with its event.yaml (at `event_source`) winning."""
    source = event_source or f"{edition.id}/{EVENT_FILE}"
    return with_event(derive(edition.id, texts), edition.event, source)
