"""The outbox: every scheduled message passes through it, keyed, so it is sent once and never lost."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.storage.db import Database
from bot.storage.models import OutboxMessage, utcnow


class Outbox:
    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, *, key: str, destination: str, kind: str, edition: str | None, due_at: datetime, body: str,
            status: str = "pending") -> OutboxMessage | None:
        """The new row, or None when this key already went (or is going) to this destination."""
        try:
            with self.db.session() as s:
                row = OutboxMessage(key=key, destination=destination, kind=kind, edition=edition, due_at=due_at,
                                    body=body, status=status)
                s.add(row)
            return row
        except IntegrityError:
            return None

    def claim(self, row_id: int) -> OutboxMessage | None:
        """pending → sending, for exactly one caller; None if another took it or it is done."""
        with self.db.session() as s:
            taken = s.execute(update(OutboxMessage).where(OutboxMessage.id == row_id, OutboxMessage.status == "pending")
                              .values(status="sending", attempts=OutboxMessage.attempts + 1))
            return s.get(OutboxMessage, row_id) if taken.rowcount == 1 else None

    def finish(self, row_id: int, status: str, *, external_id: str | None = None, error: str | None = None) -> None:
        with self.db.session() as s:
            row = s.get(OutboxMessage, row_id)
            row.status, row.external_id, row.last_error = status, external_id or row.external_id, error
            if status == "sent":
                row.sent_at = utcnow()

    def release(self, row_id: int, error: str) -> None:
        """Back to pending after a transient failure, to be tried again."""
        with self.db.session() as s:
            row = s.get(OutboxMessage, row_id)
            row.status, row.last_error = "pending", error

    def with_status(self, *statuses: str) -> list[OutboxMessage]:
        with self.db.session() as s:
            return list(s.scalars(select(OutboxMessage).where(OutboxMessage.status.in_(statuses))
                                  .order_by(OutboxMessage.due_at, OutboxMessage.id)))

    def of_key(self, key: str) -> list[OutboxMessage]:
        with self.db.session() as s:
            return list(s.scalars(select(OutboxMessage).where(OutboxMessage.key == key)))
