"""A deadline's calendar event as an email attachment: one event, not the whole calendar, so the outbox
row stays small; its UID and SEQUENCE are the feed's, so importing it updates what a calendar holds."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from bot.deliveries.attachments import Attachment
from bot.events.calendar import deadline_calendar
from bot.events.model import Deadline
from bot.knowledge.editions import Edition
from bot.templates import describer


def deadline_attachment(prompts_dir: Path, edition: Edition, deadline: Deadline, stamp: datetime) -> Attachment:
    """`stamp` is when the email is rendered for (its DTSTAMP): a re-render gives the same bytes."""
    ics = deadline_calendar(edition, deadline, stamp, describer(prompts_dir))
    return Attachment(f"{edition.id}-{deadline.id}.ics", "text/calendar", ics)
