"""Sent announcements become passages, dated, so the assistant answers from the latest news."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.knowledge.chunks import Chunk
from bot.outbox.keys import Record, RecordKey
from bot.outbox.sender import OnSent
from bot.storage.announcements import AnnouncementRows
from bot.storage.db import Database
from bot.storage.models import Announcement, OutboxMessage
from bot.templates import long_date

if TYPE_CHECKING:  # the store pulls in Chroma; the reminder service starts without it
    from bot.index.store import KnowledgeStore


def announcement_chunk(announcement: Announcement, url: str | None) -> Chunk:
    day = long_date(announcement.send_at)
    return Chunk(
        id=f"announcement/{announcement.id}",
        text=f"Announcement › {day}\n{announcement.text}",
        metadata={"kind": "announcement", "edition": announcement.edition or "", "title": "Announcement",
                  "source": f"announcement/{announcement.id}", "section": day, "url": url or "", "page_hash": "",
                  "position": 0},
    )


def indexer(db: Database, store: Callable[[], KnowledgeStore], base_url: str | None) -> OnSent:
    """The `on_sent` hook of a Sender: index an announcement once it has gone out (the store is asked
    for only then: a process that never sends one never loads the model)."""
    rows = AnnouncementRows(db)

    def index_into_store(announcement: Announcement) -> None:
        opened = store()
        opened.upsert([announcement_chunk(announcement, base_url)])
        opened.bump_generation()

    def on_sent(row: OutboxMessage) -> None:
        key = RecordKey.parse(row.key)
        if row.kind == "announcement" and key is not None and key.record == Record.ANNOUNCEMENT:
            rows.index_once(key.id, index_into_store, {"to": row.destination, "external_id": row.external_id})

    return on_sent
