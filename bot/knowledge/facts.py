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
from bot.knowledge.dates import zone_in
from bot.knowledge.derive import (
    DerivedDeadline,
    EditionFacts,
    PageText,
    ProgrammeItem,
    in_day_order,
    Stated,
    Statement,
    derive,
)
from bot.events.rules import rule_kinds
from bot.knowledge.editions import Edition
from bot.knowledge.rules import Rule, declared_rules
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
    if len(days := sorted({s.start.date() for s in event.program})) > 1:  # a programme over several days
        for item, s in zip(result, event.program, strict=True):
            item.on = s.start.date()
            item.day, item.order = f"{item.on:%A, %B} {item.on.day}", days.index(item.on)
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
    if event.rules:
        merged.rules = {**facts.rules, **declared_rules(event.rules, source)}
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
    alone, "passed" waits for the end of that day anywhere on Earth, and the countdown is in whole days
    from today there."""
    result = []
    for d in sorted(deadlines, key=lambda d: d.due):
        tz = zone_of(d.zone)
        local = datetime.combine(d.due, d.at or time(23, 59, 59), tzinfo=tz)
        label = None if d.zone is None else ("AoE (UTC−12)" if tz is AOE else d.zone)
        previous = [datetime.combine(p, d.at or time(23, 59, 59), tzinfo=tz) for p in d.previous]
        days = (d.due - now.astimezone(AOE).date()).days if now is not None and d.zone is None else None
        result.append(DeadlineFact(title=d.title, local=local, utc=local.astimezone(UTC), zone=label,
                                   previous=previous, passed=now is not None and local <= now, url=d.url, days=days))
    return result


def edition_facts(edition: Edition, texts: list[PageText], event_source: str | None = None,
                  rules: dict[str, list[Rule]] | None = None) -> EditionFacts:
    """The facts of `edition` from its pages' text (and the rules read from them by meaning), with its
    event.yaml (at `event_source`) winning."""
    source = event_source or f"{edition.id}/{EVENT_FILE}"
    derived = derive(edition.id, texts, edition.year)
    derived.rules = rules or {}
    return with_event(derived, edition.event, source)


def _stated(fact: Stated | None) -> dict | None:
    if fact is None:
        return None
    return {"value": str(fact.value), "source": fact.stated.source, "line": fact.stated.line}


def facts_record(facts: EditionFacts) -> dict:
    """Every fact with the page and line it was read from, as JSON-ready data."""
    return {
        "edition": facts.edition,
        "date": _stated(facts.date), "venue": _stated(facts.venue), "room": _stated(facts.room),
        "contact": _stated(facts.contact), "programme_zone": _stated(facts.programme_zone),
        "submit_at": _stated(facts.submit_at),
        "deadlines": [{"id": d.id, "title": d.title, "due": d.due.isoformat(),
                       "time": d.at.strftime("%H:%M") if d.at else None, "zone": d.zone,
                       "extended_from": [p.isoformat() for p in d.previous], "url": d.url,
                       "source": d.stated.source, "line": d.stated.line} for d in facts.deadlines],
        "programme": [{"day": r.day, "start": r.start.strftime("%H:%M"),
                       "end": r.end.strftime("%H:%M") if r.end else None, "text": r.text, "kind": r.kind,
                       "speakers": r.speakers, "source": r.stated.source}
                      for r in in_day_order(facts.programme)],
        "rules": [{"rule": kind.id, "label": kind.label, "text": rule.text, "source": rule.stated.source}
                  for kind in rule_kinds() for rule in facts.rules.get(kind.id, [])[:1]],
        "conflicts": facts.conflicts,
    }


def draft_event(edition: Edition, facts: EditionFacts) -> dict:
    """The context of `prompts/knowledge/event.yaml.j2`: an event.yaml stating what the pages state."""
    zones = {d.zone for d in facts.deadlines if d.zone}
    timezone_name = zones.pop() if len(zones) == 1 else "AoE"
    deadlines = []
    for d in facts.deadlines:
        due = d.due.isoformat() + (f"T{d.at:%H:%M}:00" if d.at else "")
        deadlines.append({"id": d.id, "title": d.title, "due": due, "previous": [p.isoformat() for p in d.previous],
                          "zoned": d.zone is not None, "source": d.stated.source, "line": d.stated.line})
    named = zone_in(str(facts.programme_zone.value)) if facts.programme_zone else None
    zone = zone_of(named) if named else None  # no zone stated: local times, as the pages give them
    programme = []
    for row in in_day_order(facts.programme):
        if day := row.on or (facts.date.value if facts.date and not row.day else None):
            start = datetime.combine(day, row.start, tzinfo=zone)
            end = datetime.combine(day, row.end, tzinfo=zone) if row.end else None
            programme.append({"title": row.text, "start": start.isoformat(), "end": end.isoformat() if end else None,
                              "speakers": row.speakers, "source": row.stated.source})
    venue = ", ".join(str(f.value) for f in (facts.venue, facts.room) if f)
    venue_source = ", ".join(dict.fromkeys(f.stated.source for f in (facts.venue, facts.room) if f))
    return {"edition": edition.id, "event_name": edition.event.name if edition.event else edition.label,
            "timezone": timezone_name, "timezone_stated": bool({d.zone for d in facts.deadlines if d.zone}),
            "facts": facts, "venue": venue, "venue_source": venue_source,
            "deadlines": deadlines, "programme": programme}
