"""Mail received at the bot's address: stored once per Message-ID, counted per sender, looked up by thread."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import defer

from bot.storage import conflicts
from bot.storage.db import Database
from bot.storage.models import InboundMessage, InboundStatus

INBOUND = cast(Table, InboundMessage.__table__)


class InboundRows:
    def __init__(self, db: Database) -> None:
        self.db = db
        # One statement: an MTA redelivering a message (or two deliveries racing) stores it once, without an error.
        self._insert = conflicts.insert(db.engine.dialect.name, INBOUND).on_conflict_do_nothing(
            index_elements=["message_id"]).returning(INBOUND.c.id)

    def add(self, **fields) -> int | None:
        """The new row's id, or None when a mail with this Message-ID is stored already."""
        with self.db.statement() as c:
            return c.execute(self._insert, fields).scalar_one_or_none()

    def answerable(self, since: datetime, until: datetime) -> list[InboundMessage]:
        """The mails received from `since` until just before `until` that were to be answered (not ignored, with
        a sender), oldest first; their raw bytes (up to INBOUND_MAX_BYTES each) are not read."""
        with self.db.session() as s:
            return list(s.scalars(select(InboundMessage).options(defer(InboundMessage.raw)).where(
                InboundMessage.received_at >= since, InboundMessage.received_at < until,
                InboundMessage.status != InboundStatus.IGNORED, InboundMessage.sender != "")
                .order_by(InboundMessage.id)))

    def get(self, mail_id: int) -> InboundMessage | None:
        with self.db.session() as s:
            return s.get(InboundMessage, mail_id)

    def by_message_id(self, message_id: str) -> InboundMessage | None:
        with self.db.session() as s:
            return s.scalars(select(InboundMessage).where(InboundMessage.message_id == message_id)).first()

    def answerable_from(self, sender: str, since: datetime) -> int:
        """How many mails `sender` (in any case) sent since `since` that were not ignored: what the daily
        limit counts."""
        with self.db.statement() as c:
            return c.execute(select(func.count()).select_from(INBOUND).where(
                func.lower(INBOUND.c.sender) == sender.lower(), INBOUND.c.received_at >= since,
                INBOUND.c.status != InboundStatus.IGNORED)).scalar_one()

    def answerable_from_domain(self, domain: str, since: datetime) -> int:
        """As `answerable_from`, for every address at `domain`: a flood from many made-up addresses."""
        pattern = "%@" + domain.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        with self.db.statement() as c:
            return c.execute(select(func.count()).select_from(INBOUND).where(
                func.lower(INBOUND.c.sender).like(pattern, escape="\\"), INBOUND.c.received_at >= since,
                INBOUND.c.status != InboundStatus.IGNORED)).scalar_one()

    def questions_of(self, message_ids: Iterable[str]) -> list[str]:
        """The questions of the stored mails among `message_ids`, oldest first (a thread's earlier messages)."""
        wanted = list(dict.fromkeys(message_ids))
        if not wanted:
            return []
        with self.db.statement() as c:
            return list(c.execute(select(INBOUND.c.question).where(
                INBOUND.c.message_id.in_(wanted), INBOUND.c.question != "").order_by(
                INBOUND.c.received_at, INBOUND.c.id)).scalars())
