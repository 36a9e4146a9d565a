"""Announcements as records: made by an organizer, drafted by the bot, decided on; each queued once."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from bot.announcements.compose import Prepared, body
from bot.text.addresses import mailbox
from bot.config import Settings
from bot.deliveries import Destination
from bot.deliveries.letter import message_id
from bot.events.channels import channel_of
from bot.knowledge.editions import Edition, Editions
from bot.outbox.keys import announcement_key, draft_key
from bot.outbox.ledger import Outbox
from bot.storage.announcements import AnnouncementRows
from bot.storage.db import Database
from bot.storage.models import Announcement, AnnouncementStatus, OutboxMessage
from bot.templates import long_date, render


def queue(outbox: Outbox, announcement: Announcement, prompts_dir: Path, editions: Editions,
          references: str | None = None) -> list[OutboxMessage]:
    """An outbox row for each of the announcement's destinations, due at its time (once per key)."""
    variables = json.loads(announcement.variables)
    edition = editions.get(announcement.edition) if announcement.edition else None
    rows = []
    for destination in map(Destination.parse, announcement.destinations.split(",")):
        row = outbox.add(key=announcement_key(announcement.id), destination=destination, kind="announcement",
                         edition=announcement.edition, due_at=announcement.send_at,
                         body=body(prompts_dir, announcement.template, destination, variables, references,
                                   edition=edition, at=announcement.send_at))
        rows += [row] if row else []
    return rows


def record(db: Database, outbox: Outbox, prepared: Prepared, actor: str, prompts_dir: Path,
           mail_from: str | None = None, *, editions: Editions) -> Announcement:
    """Store the announcement with its audit entry, and queue it.

    A correction's email gets its own Message-ID and references the original's, so mail clients
    thread them and nobody mistakes the correction for a duplicate.
    """
    announcement = AnnouncementRows(db).create(Announcement(
        template=prepared.template, variables=json.dumps(prepared.variables), text=prepared.text,
        destinations=",".join(map(str, prepared.destinations)), edition=prepared.edition, send_at=prepared.send_at,
        created_by=actor), "announce", {"template": prepared.template, "to": list(map(str, prepared.destinations)),
                                        "at": prepared.send_at.isoformat(), "corrects": prepared.corrects})
    references = (message_id(f"{announcement_key(prepared.corrects)}→email", mailbox("MAIL_FROM", mail_from))
                  if prepared.corrects and mail_from else None)
    queue(outbox, announcement, prompts_dir, editions, references)
    return announcement


def draft_extension(settings: Settings, db: Database, outbox: Outbox, edition: Edition, title: str,
                    old: datetime, new: datetime) -> OutboxMessage | None:
    """A deadline moved: draft the announcement and ask the organizers to approve it in one click."""
    variables = {"deadline": title, "new_date": long_date(new), "old_date": long_date(old)}
    destination = Destination.slack(channel_of(edition.event, settings))
    text = body(settings.prompts_dir, "deadline_extended", destination, variables)
    draft = AnnouncementRows(db).create(Announcement(
        template="deadline_extended", variables=json.dumps(variables), text=text, destinations=str(destination),
        edition=edition.id, send_at=datetime.now(UTC), created_by="bot", status=AnnouncementStatus.DRAFT),
        "draft", variables)
    if not settings.organizers_channel:
        return None
    notice = render(settings.prompts_dir, "slack/extension_draft.md.j2", deadline=title, edition=edition.label,
                    old=old, new=new, text=text)
    return outbox.add(key=draft_key(draft.id), destination=Destination.slack(settings.organizers_channel),
                      kind="extension_draft", edition=edition.id, due_at=datetime.now(UTC), body=notice)


def decide(db: Database, outbox: Outbox, prompts_dir: Path, announcement_id: int, by: str,
           approve: bool, *, editions: Editions) -> list[OutboxMessage] | None:
    """Approve (queue it for sending) or dismiss a draft; None if it was already decided."""
    draft = AnnouncementRows(db).decide(announcement_id, by, approve)
    if draft is None:
        return None
    return queue(outbox, draft, prompts_dir, editions) if approve else []
