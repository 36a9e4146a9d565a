"""Organizers see a digest's questions an hour before its slot, in their channel, and may exclude any.

The preview is an outbox row (sent once per slot, like the digest); the entries shown are stored, and
the digest quotes only those, minus the excluded ones: a question first asked in the last hour waits
for the next issue, and nothing reaches the list that organizers could not see first.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.base import BaseTrigger

from bot.config import Settings
from bot.deliveries import Destination
from bot.digest.build import Answerer, AskedQuestion, Embedder, most_asked, reviewed_first, slot_at
from bot.digest.build import trigger as digest_trigger
from bot.knowledge.editions import Editions
from bot.outbox.keys import digest_review_key
from bot.outbox.ledger import Outbox
from bot.storage.db import Database
from bot.storage.digest_review import DigestReviewRows
from bot.storage.models import DigestEntry, OutboxMessage
from bot.templates import render

log = logging.getLogger(__name__)

LEAD = timedelta(hours=1)
KIND = "digest_review"


class Before(BaseTrigger):
    """Another trigger's times, `lead` earlier."""

    def __init__(self, trigger: BaseTrigger, lead: timedelta) -> None:
        self.trigger, self.lead = trigger, lead

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        previous = previous_fire_time + self.lead if previous_fire_time else None
        upcoming = self.trigger.get_next_fire_time(previous, now + self.lead)
        return upcoming - self.lead if upcoming else None

    def __str__(self) -> str:
        return f"{self.lead} before {self.trigger}"


def trigger(settings: Settings) -> Before:
    return Before(digest_trigger(settings), LEAD)


def upcoming_slot(settings: Settings, now: datetime) -> datetime:
    """The first digest slot after `now`: the one a review at `now` is for."""
    slot = digest_trigger(settings).get_next_fire_time(None, now + timedelta(seconds=1))
    if slot is None:
        raise ValueError(f"DIGEST_CRON '{settings.digest_cron}' has no time after {now.isoformat()}")
    return slot


def queue(settings: Settings, db: Database, outbox: Outbox, editions: Editions, now: datetime,
          answer: Answerer | None = None, embed: Embedder | None = None) -> OutboxMessage | None:
    """Show the next digest's questions to the organizers, once per slot; None when there is nothing to
    review (no review configured, no question, or shown already)."""
    if not reviewed_first(settings):
        return None
    slot = upcoming_slot(settings, now)
    key = digest_review_key(slot)
    if outbox.of_key(key):
        return None
    since = slot_at(settings, slot)[1]
    asked = most_asked(db, since, now, answer, embed)
    if not asked:
        log.info("digest %s: no question to review", slot.isoformat())
        return None
    entries = DigestReviewRows(db).record(slot, [(q.text, q.keys) for q in asked])
    heading = render(settings.prompts_dir, "slack/digest_review.md.j2", number=outbox.sent_before("digest", slot) + 1,
                     slot=slot, mailing_list=settings.list_address, count=len(entries))
    shown = [{"id": e.id, "text": render(settings.prompts_dir, "slack/digest_review_entry.md.j2", wording=e.wording,
                                         question=_matching(e, asked))} for e in entries]
    assert settings.organizers_channel is not None  # reviewed_first() says there is one
    return outbox.add(key=key, destination=Destination.slack(settings.organizers_channel), kind=KIND,
                      edition=editions.default.id if editions.default else None, due_at=now.astimezone(UTC),
                      body=json.dumps({"text": heading, "entries": shown}))


def _matching(entry: DigestEntry, asked: list[AskedQuestion]) -> AskedQuestion | None:
    """The question an entry stands for (entries stored by an earlier, interrupted review included)."""
    keys = set(json.loads(entry.keys))
    return next((q for q in asked if keys.intersection(q.keys)), None)
