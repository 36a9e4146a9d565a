"""The outbox's rows: added once per (key, destination), claimed by exactly one sender, then settled."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import func, select, update

from bot.storage import conflicts
from bot.storage.db import Database
from bot.storage.models import AuditEntry, OutboxMessage, OutboxStatus, utcnow


class OutboxRows:
    def __init__(self, db: Database) -> None:
        self.db = db

    def insert(self, *, key: str, destination: str, kind: str, edition: str | None, due_at: datetime, body: str,
               status: OutboxStatus = OutboxStatus.PENDING) -> OutboxMessage | None:
        """The new row, or None when this key already went (or is going) to this destination: one INSERT that
        does nothing on (key, destination), so of two processes adding the same message one adds it."""
        added = conflicts.insert(self.db.engine.dialect.name, OutboxMessage).values(
            key=key, destination=destination, kind=kind, edition=edition, due_at=due_at, body=body, status=status,
        ).on_conflict_do_nothing(index_elements=["key", "destination"]).returning(OutboxMessage)
        with self.db.session() as s:
            return s.scalars(added).one_or_none()

    def claim(self, row_id: int) -> OutboxMessage | None:
        """pending → sending, for exactly one caller; None if another took it or it is done. One conditional
        UPDATE: on PostgreSQL a second claimer waits for the first's commit, then finds the row not pending."""
        with self.db.session() as s:
            return s.scalars(
                update(OutboxMessage)
                .where(OutboxMessage.id == row_id, OutboxMessage.status == OutboxStatus.PENDING)
                .values(status=OutboxStatus.SENDING, attempts=OutboxMessage.attempts + 1)
                .returning(OutboxMessage)).one_or_none()

    def decide(self, row_id: int, by: str, send: bool, body: str | None,
               details: Mapping[str, object]) -> OutboxMessage | None:
        """A drafted row becomes pending (due now, with `body` if edited) or dismissed, with its audit entry;
        None when it was already decided. One conditional UPDATE: of two organizers, the first decides."""
        values: dict[str, object] = {"status": OutboxStatus.PENDING if send else OutboxStatus.DISMISSED,
                                     "due_at": utcnow()}
        if body is not None:
            values["body"] = body
        with self.db.session() as s:
            decided = s.scalars(update(OutboxMessage)
                                .where(OutboxMessage.id == row_id, OutboxMessage.status == OutboxStatus.DRAFT)
                                .values(**values).returning(OutboxMessage)).one_or_none()
            if decided is not None:
                s.add(AuditEntry(actor=by, action="send" if send else "ignore",
                                 details=json.dumps({"outbox": row_id, "key": decided.key, **details})))
            return decided

    def get(self, row_id: int) -> OutboxMessage | None:
        with self.db.session() as s:
            return s.get(OutboxMessage, row_id)

    def finish(self, row_id: int, status: OutboxStatus, *, external_id: str | None = None,
               error: str | None = None) -> None:
        with self.db.session() as s:
            row = s.get_one(OutboxMessage, row_id)
            row.status, row.external_id, row.last_error = status, external_id or row.external_id, error
            if status == OutboxStatus.SENT:
                row.sent_at = utcnow()

    def release(self, row_id: int, error: str) -> None:
        """Back to pending after a transient failure, to be tried again."""
        with self.db.session() as s:
            row = s.get_one(OutboxMessage, row_id)
            row.status, row.last_error = OutboxStatus.PENDING, error

    def with_status(self, *statuses: OutboxStatus) -> list[OutboxMessage]:
        with self.db.session() as s:
            return list(s.scalars(select(OutboxMessage).where(OutboxMessage.status.in_(statuses))
                                  .order_by(OutboxMessage.due_at, OutboxMessage.id)))

    def sent_keys(self, keys: list[str]) -> set[str]:
        """Which of `keys` went out to at least one destination."""
        with self.db.session() as s:
            return set(s.scalars(select(OutboxMessage.key).where(
                OutboxMessage.key.in_(keys), OutboxMessage.status == OutboxStatus.SENT)))

    def sent_before(self, kind: str, moment: datetime) -> int:
        """How many rows of `kind` due before `moment` were sent (a digest's issue number)."""
        with self.db.session() as s:
            return s.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.kind == kind, OutboxMessage.due_at < moment,
                OutboxMessage.status == OutboxStatus.SENT)) or 0

    def of_key(self, key: str) -> list[OutboxMessage]:
        with self.db.session() as s:
            return list(s.scalars(select(OutboxMessage).where(OutboxMessage.key == key)))
