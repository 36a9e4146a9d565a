"""What should be sent, and when: every edition's event.yaml turned into keyed, timed messages.

Pure: the same files and the same `now` give the same plan, so planning at start, on a file change or
on `workshop-bot reload` never differs, and the keys make sending idempotent. A deadline's key
carries its revision (a hash of its due time): when a deadline moves, its old reminders vanish from
the plan instead of being sent. The arithmetic cannot overflow: `load_event` keeps every moment within
plausible years and every offset under a year, and gives every session time a zone.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from bot.config import Settings
from bot.deliveries import EMAIL, Destination
from bot.events.channels import channel_of
from bot.events.facts import facts
from bot.events.model import Event, Session, parse_duration
from bot.knowledge.editions import Edition, Editions


@dataclass(frozen=True)
class PlannedMessage:
    key: str  # the idempotency key: edition, subject, offset, revision
    kind: str  # deadline_reminder, program_day, session_reminder
    due: datetime  # UTC
    edition: str
    deadline: str | None
    offset: str | None
    destinations: tuple[Destination, ...]
    context: dict = field(default_factory=dict, compare=False, hash=False)
    origin: Edition | None = field(default=None, compare=False, hash=False, repr=False)  # a deadline's edition


def revision(moment: datetime) -> str:
    return hashlib.sha1(moment.astimezone(UTC).isoformat().encode()).hexdigest()[:8]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]


def _deadline_messages(edition: Edition, event: Event, settings: Settings) -> list[PlannedMessage]:
    messages = []
    for deadline in event.deadlines:
        [fact] = facts(event, [deadline])
        destinations = (Destination.slack(channel_of(event, settings)), *([EMAIL] if deadline.email else []))
        for offset in deadline.remind:
            due = fact.utc - parse_duration(offset)
            messages.append(PlannedMessage(
                key=f"{edition.id}:{deadline.id}:{offset}:{revision(fact.utc)}",
                kind="deadline_reminder", due=due, edition=edition.id, deadline=deadline.id, offset=offset,
                destinations=destinations,
                context={"deadline": fact, "offset": offset, "url": deadline.url, "edition": edition.label},
                origin=edition,
            ))
    return messages


def _program_messages(edition: Edition, event: Event, settings: Settings) -> list[PlannedMessage]:
    if not event.program:
        return []
    sessions = sorted(event.program, key=lambda s: s.start)
    channel = (Destination.slack(channel_of(event, settings, "workshop")),)
    messages = []
    by_day: dict[date, list[Session]] = {}
    for session in sessions:
        by_day.setdefault(session.start.date(), []).append(session)
    hour, minute = (int(part) for part in settings.program_post_time.split(":"))
    for day, day_sessions in by_day.items():
        zone = day_sessions[0].start.tzinfo
        morning = datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)
        messages.append(PlannedMessage(
            key=f"{edition.id}:program:{day.isoformat()}:{revision(morning)}",
            kind="program_day", due=morning, edition=edition.id, deadline=None, offset=None,
            destinations=channel, context={"sessions": day_sessions, "day": day, "edition": edition.label},
        ))
    lead = timedelta(minutes=settings.session_lead_minutes)
    for session in sessions:
        start = session.start.astimezone(UTC)
        messages.append(PlannedMessage(
            key=f"{edition.id}:session:{_slug(session.title)}:{settings.session_lead_minutes}m:{revision(start)}",
            kind="session_reminder", due=start - lead, edition=edition.id, deadline=None,
            offset=f"{settings.session_lead_minutes}m", destinations=channel,
            context={"session": session, "start": start, "edition": edition.label},
        ))
    return messages


def plan(editions: Editions, settings: Settings) -> list[PlannedMessage]:
    """Every message the editions' facts call for, past or future, soonest first."""
    messages: list[PlannedMessage] = []
    for edition in editions.items:
        if edition.event is not None:
            messages += _deadline_messages(edition, edition.event, settings)
            messages += _program_messages(edition, edition.event, settings)
    return sorted(messages, key=lambda m: (m.due, m.key))


def upcoming(messages: list[PlannedMessage], now: datetime) -> list[PlannedMessage]:
    """Those still to come: a reminder whose time has passed is not planned."""
    return [m for m in messages if m.due > now]
