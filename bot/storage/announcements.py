"""Announcements and their audit trail: each change and the entry saying who made it, in one transaction."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from sqlalchemy import select

from bot.storage.db import Database
from bot.storage.models import Announcement, AnnouncementStatus, AuditEntry


class AnnouncementRows:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, announcement: Announcement, action: str, details: Mapping[str, object]) -> Announcement:
        """Store it, with an audit entry by its author that names its new id."""
        with self.db.session() as s:
            s.add(announcement)
            s.flush()
            s.add(AuditEntry(actor=announcement.created_by, action=action,
                             details=json.dumps({"announcement": announcement.id, **details})))
        return announcement

    def decide(self, announcement_id: int, by: str, approve: bool) -> Announcement | None:
        """A draft becomes ready (sent from now) or dismissed; None when it was already decided."""
        with self.db.session() as s:
            draft = s.get(Announcement, announcement_id, with_for_update=True)  # two organizers: one decides
            if draft is None or draft.status != AnnouncementStatus.DRAFT:
                return None
            draft.status = AnnouncementStatus.READY if approve else AnnouncementStatus.DISMISSED
            draft.send_at = datetime.now(UTC)
            s.add(AuditEntry(actor=by, action="approve" if approve else "dismiss",
                             details=json.dumps({"announcement": announcement_id})))
            return draft

    def index_once(self, announcement_id: int, index: Callable[[Announcement], None],
                   details: dict[str, object]) -> bool:
        """Run `index` for an announcement not indexed yet, and mark it so; an error in `index` undoes both."""
        with self.db.session() as s:
            announcement = s.get(Announcement, announcement_id, with_for_update=True)  # one process indexes it
            if announcement is None or announcement.indexed:
                return False
            announcement.indexed = True
            index(announcement)
            s.add(AuditEntry(actor="bot", action="sent",
                             details=json.dumps({"announcement": announcement_id, **details})))
            return True

    def ready_between(self, since: datetime, until: datetime) -> list[Announcement]:
        with self.db.session() as s:
            return list(s.scalars(select(Announcement).where(
                Announcement.status == AnnouncementStatus.READY, Announcement.send_at >= since,
                Announcement.send_at < until).order_by(Announcement.send_at)))
