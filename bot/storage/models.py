"""What the bot remembers: questions and answers, feedback, escalations, FAQ, handled events."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out, whatever the database keeps (SQLite keeps naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        """In UTC whatever the session's time zone: PostgreSQL returns timestamptz in its TimeZone setting."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class OutboxStatus(StrEnum):
    """pending → sending → sent; or failed (permanently, reported), or missed (fell due while the bot
    was down, longer ago than the grace period). `sending` left behind by a crash is resolved at start.
    A reply the bot drafted waits as `draft` (never claimed) until an organizer sends it (→ pending) or
    ignores it (→ dismissed)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    MISSED = "missed"
    DRAFT = "draft"
    DISMISSED = "dismissed"


class EscalationStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"  # an organizer answered in the asker's thread
    RESOLVED = "resolved"  # closed without an answer


class InboundStatus(StrEnum):
    """What became of a mail received at the bot's address."""

    QUESTION = "question"  # a question was found: handed to the answering side
    EMPTY = "empty"  # nothing new in the body: handed on, to be asked what the question is
    UNREADABLE = "unreadable"  # broken MIME or charset: kept for organizers (what could be read is handed on)
    IGNORED = "ignored"  # must not be answered (RFC 3834: automatic, bounce, list, our own, too many): never handed on


class AnnouncementStatus(StrEnum):
    DRAFT = "draft"  # drafted by the bot (a deadline moved), waiting for an organizer
    READY = "ready"  # to be sent, or sent
    DISMISSED = "dismissed"


class Question(Base):
    """One question asked anywhere; (channel, message_ts) is unique, so a message is answered once."""

    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("channel_id", "message_ts", name="one_answer_per_message"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    via: Mapped[str] = mapped_column(String(16))  # mention, dm, thread, command, console
    user_id: Mapped[str | None] = mapped_column(String(32))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    thread_ts: Mapped[str | None] = mapped_column(String(32), index=True)
    text: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    answer_json: Mapped[str | None] = mapped_column(Text)  # the whole Answer, sources included
    answered: Mapped[bool | None] = mapped_column(Boolean)
    edition: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float | None] = mapped_column(Float)
    public: Mapped[bool | None] = mapped_column(Boolean)  # asked where anyone in the workspace could read it
    reply_channel: Mapped[str | None] = mapped_column(String(32))
    reply_ts: Mapped[str | None] = mapped_column(String(32))


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("question_id", "user_id", name="one_vote_per_user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    user_id: Mapped[str] = mapped_column(String(32))
    helpful: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Escalation(Base):
    """A question handed to the organizers: open, then answered or resolved."""

    __tablename__ = "escalations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), unique=True)
    requested_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    organizers_channel: Mapped[str | None] = mapped_column(String(32))
    organizers_ts: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=EscalationStatus.OPEN)
    answer: Mapped[str | None] = mapped_column(Text)
    closed_by: Mapped[str | None] = mapped_column(String(32))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class FaqEntry(Base):
    """An organizer's answer, indexed so the assistant answers the same question itself next time."""

    __tablename__ = "faq"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    edition: Mapped[str | None] = mapped_column(String(64))
    answered_by: Mapped[str | None] = mapped_column(String(32))
    url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OutboxMessage(Base):
    """A message to send exactly once: (key, destination) is unique, and its `OutboxStatus` is the ledger."""

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("key", "destination", name="once_per_destination"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(255), index=True)
    destination: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    edition: Mapped[str | None] = mapped_column(String(64))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SchedulerState(Base):
    """When the scheduler was last alive: what fell due after that fell due while it was down."""

    __tablename__ = "scheduler_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Announcement(Base):
    """An announcement as sent (or scheduled): rendered text, where, when, by whom."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template: Mapped[str] = mapped_column(String(64))
    variables: Mapped[str] = mapped_column(Text)  # JSON
    text: Mapped[str] = mapped_column(Text)
    destinations: Mapped[str] = mapped_column(String(255))  # comma-separated
    edition: Mapped[str | None] = mapped_column(String(64))
    send_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    indexed: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default=AnnouncementStatus.READY)


class AuditEntry(Base):
    """Who did what, when, where: announcements made, scheduled, sent."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    details: Mapped[str] = mapped_column(Text)


class KnownDeadline(Base):
    """The due time each deadline had at the last plan: a change is an extension to announce."""

    __tablename__ = "known_deadlines"

    edition: Mapped[str] = mapped_column(String(64), primary_key=True)
    deadline: Mapped[str] = mapped_column(String(64), primary_key=True)
    due: Mapped[datetime] = mapped_column(UTCDateTime())


class DigestEntry(Base):
    """A question shown to organizers before a digest's slot; only entries shown, and not excluded, are
    quoted in that digest. `keys` are the normalized wordings merged into it (JSON)."""

    __tablename__ = "digest_entries"
    __table_args__ = (UniqueConstraint("slot", "position", name="one_entry_per_place"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slot: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    position: Mapped[int] = mapped_column(Integer)
    wording: Mapped[str] = mapped_column(Text)
    keys: Mapped[str] = mapped_column(Text)
    excluded_by: Mapped[str | None] = mapped_column(String(64))


class Lease(Base):
    """Who holds a named lease, and until when (the database's clock): one replica runs the reminder service."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InboundMessage(Base):
    """A mail received at the bot's address, raw bytes kept; its Message-ID is unique, so a redelivery is one row."""

    __tablename__ = "inbound_mail"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(998), unique=True)
    sender: Mapped[str] = mapped_column(String(320), index=True)
    sender_name: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)
    references: Mapped[str] = mapped_column(Text)  # Message-IDs, one space between
    question: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
