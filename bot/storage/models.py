"""What the bot remembers: questions and answers, feedback, escalations, FAQ, handled events."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Question(Base):
    """One question asked anywhere; (channel, message_ts) is unique, so a message is answered once."""

    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("channel_id", "message_ts", name="one_answer_per_message"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
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
    reply_channel: Mapped[str | None] = mapped_column(String(32))
    reply_ts: Mapped[str | None] = mapped_column(String(32))


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("question_id", "user_id", name="one_vote_per_user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"))
    user_id: Mapped[str] = mapped_column(String(32))
    helpful: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Escalation(Base):
    """A question handed to the organizers: open, then answered or resolved."""

    __tablename__ = "escalations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), unique=True)
    requested_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    organizers_channel: Mapped[str | None] = mapped_column(String(32))
    organizers_ts: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="open")
    answer: Mapped[str | None] = mapped_column(Text)
    closed_by: Mapped[str | None] = mapped_column(String(32))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class FaqEntry(Base):
    """An organizer's answer, indexed so the assistant answers the same question itself next time."""

    __tablename__ = "faq"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    edition: Mapped[str | None] = mapped_column(String(64))
    answered_by: Mapped[str | None] = mapped_column(String(32))
    url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProcessedEvent(Base):
    """Slack event ids already handled: a retried delivery is acknowledged and dropped."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
