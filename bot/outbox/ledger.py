"""The ledger: outbox rows addressed by typed destinations."""

from __future__ import annotations

from datetime import datetime

from bot.deliveries import Destination
from bot.storage.models import OutboxMessage, OutboxStatus
from bot.storage.outbox import OutboxRows


class Outbox(OutboxRows):
    def add(self, *, key: str, destination: Destination, kind: str, edition: str | None, due_at: datetime,
            body: str, status: OutboxStatus = OutboxStatus.PENDING) -> OutboxMessage | None:
        """The new row, or None when this key already went (or is going) to this destination."""
        return self.insert(key=key, destination=str(destination), kind=kind, edition=edition, due_at=due_at,
                           body=body, status=status)
