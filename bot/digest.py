"""The mailing-list digest: what was announced, what is due, what people asked, since the last one.

A digest belongs to a *slot*, the latest DIGEST_CRON time at or before now; its outbox key is the slot,
so each slot is sent once, across restarts, and a slot missed while the bot was down goes out on start.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

from bot.config import Settings
from bot.deliveries import EMAIL
from bot.events.facts import DeadlineFact, facts
from bot.events.model import Session
from bot.knowledge.editions import Editions
from bot.outbox.keys import digest_key
from bot.outbox.ledger import Outbox
from bot.outbox.render import render as render_body
from bot.storage.announcements import AnnouncementRows
from bot.storage.db import Database
from bot.storage.models import Announcement, OutboxMessage

log = logging.getLogger(__name__)

DEADLINE_WINDOW = timedelta(days=60)
PROGRAM_WINDOW = timedelta(days=7)
TOP_QUESTIONS = 5


@dataclass
class AskedQuestion:
    text: str
    times: int
    answer: str


@dataclass
class Digest:
    slot: datetime
    since: datetime
    edition: str
    contact: str | None
    announcements: list[Announcement] = field(default_factory=list)
    deadlines: list[DeadlineFact] = field(default_factory=list)
    program: list[Session] = field(default_factory=list)
    questions: list[AskedQuestion] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.announcements or self.deadlines or self.program or self.questions)

    @property
    def key(self) -> str:
        return digest_key(self.slot)


def trigger(settings: Settings) -> CronTrigger:
    return CronTrigger.from_crontab(settings.digest_cron, timezone=UTC)


def slot_at(settings: Settings, now: datetime) -> tuple[datetime, datetime]:
    """(the latest cron time at or before `now`, the one before it): the period a digest covers."""
    cron = trigger(settings)
    latest: list[datetime] = []
    # Cron has no "previous time": look back a day, then further, only as far as it takes.
    for lookback in (timedelta(days=1), timedelta(days=8), timedelta(days=32), timedelta(days=400)):
        latest = []
        probe = cron.get_next_fire_time(None, now - lookback)
        while probe is not None and probe <= now:
            latest = [*latest[-1:], probe]
            probe = cron.get_next_fire_time(probe, probe + timedelta(seconds=1))
        if len(latest) == 2:
            return latest[1], latest[0]
    if not latest:
        raise ValueError(f"DIGEST_CRON '{settings.digest_cron}' has no time in the past 400 days")
    return latest[0], latest[0] - timedelta(days=7)


def _normalized(text: str) -> str:
    return re.sub(r"[^a-z0-9 ]+", "", text.lower()).strip()


def most_asked(db: Database, since: datetime, until: datetime, limit: int = TOP_QUESTIONS) -> list[AskedQuestion]:
    """The period's most asked answered questions, with the latest answer; who asked is not shown."""
    rows = db.answered_between(since, until)
    counts = Counter(_normalized(text) for text, _ in rows)
    latest = {_normalized(text): (text, answer) for text, answer in rows}
    return [AskedQuestion(latest[n][0], times, latest[n][1]) for n, times in counts.most_common(limit)]


def build(settings: Settings, db: Database, editions: Editions, slot: datetime, since: datetime) -> Digest:
    edition = editions.default
    digest = Digest(slot=slot, since=since, edition=edition.label if edition else "the workshop",
                    contact=edition.contact if edition else None)
    digest.announcements = AnnouncementRows(db).ready_between(since, slot)
    event = edition.event if edition else None
    if event:
        digest.deadlines = [f for f in facts(event, event.deadlines, slot) if slot < f.utc <= slot + DEADLINE_WINDOW]
        digest.program = [p for p in sorted(event.program, key=lambda p: p.start)
                          if slot <= p.start.astimezone(UTC) < slot + PROGRAM_WINDOW]
    digest.questions = most_asked(db, since, slot)
    return digest


def render(settings: Settings, digest: Digest) -> str:
    """The outbox body: subject, text and HTML from `prompts/digest/digest.email.*`."""
    return render_body(settings.prompts_dir, "digest/digest", EMAIL, digest=digest, now=digest.slot,
                       unsubscribe=settings.list_unsubscribe_url, mailing_list=settings.list_address)


def queue(settings: Settings, db: Database, outbox: Outbox, editions: Editions,
          now: datetime) -> tuple[Digest, OutboxMessage | None]:
    """The digest of the slot at `now`, queued for the list once; None when empty or already queued."""
    slot, since = slot_at(settings, now)
    digest = build(settings, db, editions, slot, since)
    if digest.empty:
        log.info("digest %s skipped: nothing to say", slot.isoformat())
        return digest, None
    row = outbox.add(key=digest.key, destination=EMAIL, kind="digest", edition=editions.default.id
                     if editions.default else None, due_at=slot, body=render(settings, digest))
    return digest, row
