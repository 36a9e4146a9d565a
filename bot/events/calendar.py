"""An edition's dates as iCalendar (RFC 5545): every deadline at its exact instant, the workshop day, the
programme's sessions; every time in UTC, so no calendar has to know the AoE zone.

Pure and stateless: the same event.yaml gives the same UIDs, and a deadline's SEQUENCE is the number of
dates it was extended from, so a calendar that subscribed to the feed, or imported an emailed copy,
replaces the event it holds when a deadline moves. Wording comes from the caller (`describe`), because
templates sit above this layer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit

from icalendar import Calendar
from icalendar import Event as VEvent

from bot.events.facts import zone_label
from bot.events.model import Deadline, Event, Session

PRODID = "-//workshop-bot//calendar//EN"
DOMAIN = "workshop-bot"  # UIDs of an edition whose event.yaml gives no `url`
SESSION_LENGTH = timedelta(minutes=30)  # a session with no `end`, and nothing after it on its day

Describe = Callable[..., str]  # describe("deadline" | "session", **context): an event's DESCRIPTION


class Dated(Protocol):
    """An edition, as a calendar needs it."""

    @property
    def id(self) -> str: ...

    @property
    def label(self) -> str: ...

    @property
    def event(self) -> Event | None: ...


def domain(event: Event) -> str:
    """The right-hand side of UIDs: the host the edition's pages are published on, else DOMAIN."""
    host = urlsplit(event.url).hostname if event.url else None
    return host or DOMAIN


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "session"


def _deadline(edition: Dated, event: Event, deadline: Deadline, stamp: datetime, describe: Describe) -> VEvent:
    due = event.due(deadline)
    item = VEvent()
    item.add("uid", f"{edition.id}.deadline.{deadline.id}@{domain(event)}")
    item.add("dtstamp", stamp.astimezone(UTC))
    item.add("sequence", len(deadline.extended_from))  # bumps with every move, with no state kept
    item.add("dtstart", due.astimezone(UTC))
    item.add("summary", deadline.title)
    item.add("description", describe("deadline", title=deadline.title, edition=edition.label, local=due,
                                     utc=due.astimezone(UTC), zone=zone_label(event),
                                     previous=event.previous_dues(deadline), url=deadline.url))
    if deadline.url:
        item.add("url", deadline.url)
    item.add("transp", "TRANSPARENT")  # a moment to meet, not time spent: never shows as busy
    return item


def _workshop_day(edition: Dated, event: Event, stamp: datetime) -> VEvent:
    assert event.date is not None
    item = VEvent()
    item.add("uid", f"{edition.id}.workshop@{domain(event)}")
    item.add("dtstamp", stamp.astimezone(UTC))
    item.add("dtstart", event.date)  # an all-day event: a date, in no zone
    item.add("dtend", event.date + timedelta(days=1))
    item.add("summary", edition.label)
    if event.venue:
        item.add("location", event.venue)
    if event.url:
        item.add("url", event.url)
    return item


def _end(session: Session, later: list[Session]) -> datetime:
    """Its own `end`; else the next session's start, if that is later the same day; else SESSION_LENGTH."""
    if session.end is not None and session.end > session.start:
        return session.end
    zone, day = session.start.tzinfo, session.start.date()
    after = [s.start for s in later if s.start > session.start and s.start.astimezone(zone).date() == day]
    return min(after) if after else session.start + SESSION_LENGTH


def _sessions(edition: Dated, event: Event, stamp: datetime, describe: Describe) -> list[VEvent]:
    ordered = sorted(event.program, key=lambda s: s.start)
    items, seen = [], set()
    for i, session in enumerate(ordered):
        start = session.start.astimezone(UTC)
        uid = f"{edition.id}.{_slug(session.title)}.{start:%Y%m%dT%H%M%SZ}@{domain(event)}"
        n = 1
        while uid in seen:  # the same title at the same time: parallel sessions
            n += 1
            uid = f"{edition.id}.{_slug(session.title)}-{n}.{start:%Y%m%dT%H%M%SZ}@{domain(event)}"
        seen.add(uid)
        item = VEvent()
        item.add("uid", uid)
        item.add("dtstamp", stamp.astimezone(UTC))
        item.add("dtstart", start)
        item.add("dtend", _end(session, ordered[i + 1:]).astimezone(UTC))
        item.add("summary", session.title)
        if location := ", ".join(part for part in (session.room, event.venue) if part):
            item.add("location", location)
        if description := describe("session", title=session.title, edition=edition.label,
                                   speakers=session.speakers):
            item.add("description", description)
        items.append(item)
    return items


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    return cal


def calendar(editions: Iterable[Dated], stamp: datetime, describe: Describe) -> bytes:
    """One calendar of every date of `editions` (an edition without an event.yaml adds none)."""
    editions = list(editions)
    cal = _calendar(", ".join(e.label for e in editions))
    for edition in editions:
        event = edition.event
        if event is None:
            continue
        for deadline in sorted(event.deadlines, key=event.due):
            cal.add_component(_deadline(edition, event, deadline, stamp, describe))
        if event.date is not None:
            cal.add_component(_workshop_day(edition, event, stamp))
        for session in _sessions(edition, event, stamp, describe):
            cal.add_component(session)
    return cal.to_ical()


def deadline_calendar(edition: Dated, deadline: Deadline, stamp: datetime, describe: Describe) -> bytes:
    """A calendar of one deadline: what an email about that deadline attaches."""
    assert edition.event is not None and deadline in edition.event.deadlines
    cal = _calendar(edition.label)
    cal.add_component(_deadline(edition, edition.event, deadline, stamp, describe))
    return cal.to_ical()
