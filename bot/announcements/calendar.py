"""A deadline_extended email attaches the moved deadline's calendar event, so readers update their
calendars in one click; only when the edition's event.yaml already states the announced date, so the
attachment never contradicts the email it comes with."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from dateutil import parser

from bot.deliveries.attachments import Attachment
from bot.knowledge.editions import Edition
from bot.outbox.calendar import deadline_attachment

TEMPLATE = "deadline_extended"


def extension_attachments(prompts_dir: Path, template: str, variables: dict[str, str], edition: Edition | None,
                          stamp: datetime) -> list[Attachment]:
    """The event of the deadline named by `deadline` (its title or id), if it is due on `new_date`."""
    event = edition.event if edition else None
    if template != TEMPLATE or edition is None or event is None:
        return []
    try:
        new = parser.parse(variables.get("new_date", "")).date()
    except (ValueError, OverflowError):  # a date as the bot writes it parses; anything else attaches nothing
        return []
    named = " ".join(variables.get("deadline", "").split()).casefold()
    for deadline in event.deadlines:
        if named in {deadline.title.casefold(), deadline.id} and event.due(deadline).date() == new:
            return [deadline_attachment(prompts_dir, edition, deadline, stamp)]
    return []
