"""Outbox keys: what a row is about, so that the same thing is never queued twice for one destination.

Reminders carry the planner's keys (edition, subject, offset, revision); these are the others.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Record(StrEnum):
    ANNOUNCEMENT = "announcement"  # an announcement, to each of its destinations
    DRAFT = "draft"  # the organizers' notice of a drafted announcement
    EMAIL_DRAFT = "email-draft"  # the organizers' notice of a drafted email reply (its outbox row's id)


@dataclass(frozen=True)
class RecordKey:
    """The key of a row about a stored record: `announcement:12`, `draft:3`."""

    record: Record
    id: int

    @classmethod
    def parse(cls, key: str) -> RecordKey | None:
        record, _, number = key.partition(":")
        if record not in set(Record) or not number.isdigit():
            return None
        return cls(Record(record), int(number))

    def __str__(self) -> str:
        return f"{self.record}:{self.id}"


def announcement_key(announcement_id: int) -> str:
    return str(RecordKey(Record.ANNOUNCEMENT, announcement_id))


def draft_key(announcement_id: int) -> str:
    return str(RecordKey(Record.DRAFT, announcement_id))


def digest_key(slot: datetime) -> str:
    return f"digest:{slot.isoformat()}"


def failure_key(key: str) -> str:
    return f"failure:{key}"


def digest_review_key(slot: datetime) -> str:
    return f"digest-review:{slot.isoformat()}"


def email_draft_key(reply_row_id: int) -> str:
    return str(RecordKey(Record.EMAIL_DRAFT, reply_row_id))


def mail_digest(message_id: str) -> str:
    """A received mail's Message-ID hashed: any length, any characters, always the same 40 hex digits."""
    return hashlib.sha256(message_id.strip().encode()).hexdigest()[:40]


def mail_key(kind: str, message_id: str) -> str:
    """`email-answer:…` / `email-forward:…` of a received mail: the same mail, however often handed over,
    is answered once."""
    return f"{kind}:{mail_digest(message_id)}"
