"""What the reminder service remembers between runs: when it was last alive, and each deadline's due time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bot.storage.db import Database
from bot.storage.models import KnownDeadline, SchedulerState


@dataclass(frozen=True)
class Move:
    edition: str
    deadline: str
    old: datetime
    new: datetime


class ScheduleRows:
    def __init__(self, db: Database, name: str) -> None:
        self.db, self.name = db, name

    def last_beat(self) -> datetime | None:
        with self.db.session() as s:
            state = s.get(SchedulerState, self.name)
            return state.heartbeat_at if state else None

    def beat(self, now: datetime) -> None:
        with self.db.session() as s:
            state = s.get(SchedulerState, self.name)
            if state is None:
                s.add(SchedulerState(name=self.name, heartbeat_at=now))
            else:
                state.heartbeat_at = now

    def moves(self, due: dict[tuple[str, str], datetime]) -> list[Move]:
        """Record each (edition, deadline)'s due time; those that changed since the last call, in one
        transaction for every deadline of every edition."""
        moved = []
        with self.db.session() as s:
            known = {(k.edition, k.deadline): k for k in s.scalars(select(KnownDeadline))}
            for (edition, deadline), when in due.items():
                row = known.get((edition, deadline))
                if row is None:
                    s.add(KnownDeadline(edition=edition, deadline=deadline, due=when))
                elif row.due != when:
                    moved.append(Move(edition, deadline, row.due, when))
                    row.due = when
        return moved
