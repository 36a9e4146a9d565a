"""What the reminder service remembers between runs: when it was last alive, and each deadline's due time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, tuple_

from bot.storage import conflicts
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
        beat = conflicts.insert(self.db.engine.dialect.name, SchedulerState).values(name=self.name, heartbeat_at=now)
        with self.db.session() as s:
            s.execute(beat.on_conflict_do_update(index_elements=["name"], set_={"heartbeat_at": now}))

    def moves(self, due: dict[tuple[str, str], datetime]) -> list[Move]:
        """Record each (edition, deadline)'s due time; those that changed since the last call, in one
        transaction for every deadline of every edition. Two processes planning at once see a move once: new
        deadlines are inserted first (a concurrent insert of the same one waits, then does nothing), then the
        rows are read locked (FOR UPDATE, in key order; SQLite's write lock, taken by the INSERT), so the
        second reader waits for the first's commit and finds the new due times already there."""
        if not due:
            return []
        keys = sorted(due)
        moved = []
        with self.db.session() as s:
            new = conflicts.insert(self.db.engine.dialect.name, KnownDeadline).on_conflict_do_nothing(
                index_elements=["edition", "deadline"])
            s.execute(new, [{"edition": edition, "deadline": deadline, "due": due[edition, deadline]}
                            for edition, deadline in keys])
            known = s.scalars(select(KnownDeadline)
                              .where(tuple_(KnownDeadline.edition, KnownDeadline.deadline).in_(keys))
                              .order_by(KnownDeadline.edition, KnownDeadline.deadline)
                              .with_for_update())
            for row in known:
                when = due[row.edition, row.deadline]
                if row.due != when:
                    moved.append(Move(row.edition, row.deadline, row.due, when))
                    row.due = when
        return moved
