"""The questions organizers were shown before a digest, and which of them they excluded."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update

from bot.storage import conflicts
from bot.storage.db import Database
from bot.storage.models import DigestEntry


@dataclass(frozen=True)
class Reviewed:
    """A slot's review: the wordings shown, and those of entries excluded. A group of wordings is quoted
    only if one of them was shown and none was excluded."""

    shown: frozenset[str]
    excluded: frozenset[str]

    def allows(self, keys: Sequence[str]) -> bool:
        return not self.excluded.intersection(keys) and bool(self.shown.intersection(keys))


class DigestReviewRows:
    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, slot: datetime, entries: Sequence[tuple[str, Sequence[str]]]) -> list[DigestEntry]:
        """The entries (wording, keys) shown for `slot`, stored once: a second review of the same slot
        returns the first one's. Whoever inserts the slot's first place writes them all, in its transaction;
        a concurrent review's INSERT waits for that commit, then does nothing, and so adds none of its own."""
        rows = [{"slot": slot, "position": n, "wording": wording, "keys": json.dumps(list(keys))}
                for n, (wording, keys) in enumerate(entries, 1)]
        if rows:
            first = conflicts.insert(self.db.engine.dialect.name, DigestEntry).on_conflict_do_nothing(
                index_elements=["slot", "position"]).returning(DigestEntry.id)
            with self.db.session() as s:
                if s.execute(first, rows[0]).scalar_one_or_none() is not None and rows[1:]:
                    s.execute(insert(DigestEntry), rows[1:])
        return self.of_slot(slot)

    def get(self, entry_id: int) -> DigestEntry | None:
        with self.db.session() as s:
            return s.get(DigestEntry, entry_id)

    def of_slot(self, slot: datetime) -> list[DigestEntry]:
        with self.db.session() as s:
            return list(s.scalars(select(DigestEntry).where(DigestEntry.slot == slot)
                                  .order_by(DigestEntry.position)))

    def reviewed(self, slot: datetime) -> Reviewed:
        shown: set[str] = set()
        excluded: set[str] = set()
        for entry in self.of_slot(slot):
            keys = json.loads(entry.keys)
            shown.update(keys)
            if entry.excluded_by:
                excluded.update(keys)
        return Reviewed(frozenset(shown), frozenset(excluded))

    def exclude(self, entry_id: int, by: str | None) -> DigestEntry | None:
        """Exclude an entry (`by` an organizer) or include it again (None); the entry as it now is."""
        with self.db.session() as s:
            s.execute(update(DigestEntry).where(DigestEntry.id == entry_id).values(excluded_by=by))
            return s.get(DigestEntry, entry_id)
