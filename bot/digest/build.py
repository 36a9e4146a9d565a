"""The mailing-list digest: what was announced, what is due, what people asked, since the last one.

A digest belongs to a *slot*, the latest DIGEST_CRON time at or before now; its outbox key is the slot,
so each slot is sent once, across restarts, and a slot missed while the bot was down goes out on start.
It is built from structured data (announcements' own email wording, deadlines as instants, answers
made afresh at the slot), never from Slack text, and it quotes only questions asked in public.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger

from bot.assistant.answer import Answer, Source
from bot.config import Settings
from bot.deliveries import EMAIL
from bot.events.facts import DeadlineFact, facts
from bot.events.model import Session
from bot.knowledge.editions import Editions
from bot.outbox.keys import announcement_key, digest_key
from bot.outbox.ledger import Outbox
from bot.outbox.render import email_parts
from bot.outbox.render import render as render_body
from bot.text.redact import redact
from bot.storage.announcements import AnnouncementRows
from bot.storage.db import Database
from bot.storage.digest_review import DigestReviewRows, Reviewed
from bot.storage.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

DEADLINE_WINDOW = timedelta(days=60)
PROGRAM_WINDOW = timedelta(days=7)
TOP_QUESTIONS = 5
CANDIDATES = 50  # the most asked wordings compared for near-duplicates: the rest cannot reach the top
SAME_QUESTION = 0.9  # cosine similarity above which two wordings are one question

Answerer = Callable[[str, datetime], Answer]  # ask again as of the slot: countdowns are the slot's
Embedder = Callable[[list[str]], list[list[float]]]


@dataclass
class AskedQuestion:
    text: str  # as asked, with names, handles, emails and phone numbers removed
    times: int
    answer: str
    sources: list[Source] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)  # the normalized wordings merged into it


@dataclass
class Announced:
    """An announcement that went out, in its email wording."""

    send_at: datetime
    subject: str
    text: str
    html: str


@dataclass
class Digest:
    slot: datetime
    since: datetime
    number: int  # the issue number: digests sent before this one, plus one
    edition: str
    contact: str | None
    announcements: list[Announced] = field(default_factory=list)
    deadlines: list[DeadlineFact] = field(default_factory=list)
    program: list[Session] = field(default_factory=list)
    questions: list[AskedQuestion] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.announcements or self.deadlines or self.program or self.questions)

    @property
    def key(self) -> str:
        return digest_key(self.slot)


@dataclass
class Queued:
    """The digest of a slot in the outbox: queued now, or earlier (then perhaps sent, or failed)."""

    slot: datetime
    row: OutboxMessage | None  # None: the slot had nothing to say
    fresh: bool


def trigger(settings: Settings) -> CronTrigger:
    return CronTrigger.from_crontab(settings.digest_cron, timezone=UTC)


def reviewed_first(settings: Settings) -> bool:
    """Whether organizers review the questions before they are quoted: DIGEST_REVIEW, where there is a
    Slack organizers' channel to review them in."""
    return settings.digest_review and bool(settings.organizers_channel and settings.slack_bot_token)


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


def review_of(settings: Settings, db: Database, slot: datetime) -> Reviewed | None:
    """What organizers let through for `slot`, when they review (nothing, if no review was shown)."""
    return DigestReviewRows(db).reviewed(slot) if reviewed_first(settings) else None


def _normalized(text: str) -> str:
    return re.sub(r"[^a-z0-9 ]+", "", text.lower()).strip()


def _cosine(a: list[float], b: list[float]) -> float:
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return sum(x * y for x, y in zip(a, b, strict=True)) / norm if norm else 0.0


def _merge(groups: list[list[str]], embed: Embedder | None) -> list[list[str]]:
    """Groups of wordings (most asked first) merged when their meaning is the same."""
    if embed is None or len(groups) < 2:
        return groups
    vectors = embed([group[-1] for group in groups])
    merged: list[tuple[list[float], list[str]]] = []
    for vector, group in zip(vectors, groups, strict=True):
        same = next((m for m in merged if _cosine(m[0], vector) >= SAME_QUESTION), None)
        if same is None:
            merged.append((vector, list(group)))
        else:
            same[1].extend(group)
    return [group for _, group in merged]


def most_asked(db: Database, since: datetime, until: datetime, answer: Answerer | None = None,
               embed: Embedder | None = None, limit: int = TOP_QUESTIONS,
               reviewed: Reviewed | None = None) -> list[AskedQuestion]:
    """The period's most asked questions among those asked in public and answered, by the bot or an
    organizer; worded as most people put it, redacted; answered afresh as of `until` when an answerer is
    given; after a review, only those organizers were shown and did not exclude."""
    wordings: dict[str, list[str]] = {}
    organizers: dict[str, str] = {}
    stored: dict[str, Answer] = {}
    for question, organizer_answer in db.public_answered_between(since, until):
        text = redact(question.text)
        key = _normalized(text)
        wordings.setdefault(key, []).append(text)
        if organizer_answer:
            organizers[key] = organizer_answer
        elif question.answer_json:
            stored[key] = Answer.model_validate_json(question.answer_json)
    groups = sorted(wordings.values(), key=len, reverse=True)[:CANDIDATES]
    asked = []
    for group in sorted(_merge(groups, embed), key=len, reverse=True):
        keys = [_normalized(text) for text in group]
        if reviewed is not None and not reviewed.allows(keys):
            continue
        wording = Counter(group).most_common(1)[0][0]  # as most people put it
        made = answer(wording, until) if answer is not None else None
        if made is not None and made.answered:
            asked.append(AskedQuestion(wording, len(group), made.text, made.sources, keys))
        elif organizer := next((organizers[k] for k in keys if k in organizers), None):
            asked.append(AskedQuestion(wording, len(group), organizer, keys=keys))
        elif answer is None and (kept := next((stored[k] for k in keys if k in stored), None)):
            asked.append(AskedQuestion(wording, len(group), kept.text, kept.sources, keys))
        if len(asked) == limit:
            break
    return asked


def _announced(settings: Settings, db: Database, outbox: Outbox, since: datetime, until: datetime) -> list[Announced]:
    """Announcements that went out in the period (one that failed everywhere was never announced)."""
    candidates = AnnouncementRows(db).ready_between(since, until)
    sent = outbox.sent_keys([announcement_key(a.id) for a in candidates])
    announced = []
    for a in candidates:
        if announcement_key(a.id) in sent:
            parts = email_parts(settings.prompts_dir, f"announcements/{a.template}", **json.loads(a.variables))
            announced.append(Announced(a.send_at, parts["subject"], parts["text"], parts["html"]))
    return announced


def build(settings: Settings, db: Database, editions: Editions, slot: datetime, since: datetime,
          answer: Answerer | None = None, embed: Embedder | None = None, reviewed: Reviewed | None = None) -> Digest:
    edition = editions.default
    outbox = Outbox(db)
    digest = Digest(slot=slot, since=since, number=outbox.sent_before("digest", slot) + 1,
                    edition=edition.label if edition else "the workshop", contact=edition.contact if edition else None)
    digest.announcements = _announced(settings, db, outbox, since, slot)
    event = edition.event if edition else None
    if event:
        digest.deadlines = [f for f in facts(event, event.deadlines, slot) if slot < f.utc <= slot + DEADLINE_WINDOW]
        digest.program = [p for p in sorted(event.program, key=lambda p: p.start)
                          if slot <= p.start.astimezone(UTC) < slot + PROGRAM_WINDOW]
    digest.questions = most_asked(db, since, slot, answer, embed, reviewed=reviewed)
    return digest


def render(settings: Settings, digest: Digest) -> str:
    """The outbox body: subject, text and HTML from `prompts/digest/digest.email.*`."""
    return render_body(settings.prompts_dir, "digest/digest", EMAIL, digest=digest, now=digest.slot)


def queue(settings: Settings, db: Database, outbox: Outbox, editions: Editions, now: datetime,
          answer: Answerer | None = None, embed: Embedder | None = None) -> Queued:
    """The digest of the slot at `now`, queued for the list once; one queued before is returned as it is."""
    slot, since = slot_at(settings, now)
    if earlier := outbox.of_key(digest_key(slot)):
        return Queued(slot, earlier[0], fresh=False)
    digest = build(settings, db, editions, slot, since, answer, embed, review_of(settings, db, slot))
    if digest.empty:
        log.info("digest %s skipped: nothing to say", slot.isoformat())
        return Queued(slot, None, fresh=True)
    row = outbox.add(key=digest.key, destination=EMAIL, kind="digest", edition=editions.default.id
                     if editions.default else None, due_at=slot, body=render(settings, digest))
    return Queued(slot, row or outbox.of_key(digest.key)[0], fresh=row is not None)


def waiting(queued: Queued) -> OutboxMessage | None:
    """The row to send: a new one, or one still pending after a failure."""
    return queued.row if queued.row is not None and queued.row.status == OutboxStatus.PENDING else None
