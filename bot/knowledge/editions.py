"""Editions are folders under the knowledge root; the newest is the default context."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.events.model import Event, EventFileError, load_event
from bot.knowledge.pages import find_pages

log = logging.getLogger(__name__)

YEAR_IN_ID = re.compile(r"(19|20)\d\d")


@dataclass
class Edition:
    id: str
    path: Path
    event: Event | None = None
    event_error: str | None = None  # a broken event.yaml: the pages still answer, the facts don't
    year: int | None = None

    @property
    def label(self) -> str:
        """How people name it: the event's name, else `neurips2025` → `NeurIPS 2025`."""
        if self.event:
            return self.event.name
        match = re.match(r"([a-z]+)(\d{4})$", self.id)
        if match:
            venue = {"neurips": "NeurIPS", "icml": "ICML", "iclr": "ICLR", "isca": "ISCA"}.get(
                match.group(1), match.group(1).upper()
            )
            return f"{venue} {match.group(2)}"
        return self.id

    @property
    def contact(self) -> str | None:
        return self.event.contact if self.event else None


@dataclass
class Editions:
    """All editions, newest first."""

    items: list[Edition] = field(default_factory=list)

    @property
    def default(self) -> Edition | None:
        return self.items[0] if self.items else None

    def get(self, edition_id: str) -> Edition | None:
        return next((e for e in self.items if e.id == edition_id), None)

    def by_year(self, year: int) -> Edition | None:
        return next((e for e in self.items if e.year == year), None)

    def ids(self) -> list[str]:
        return [e.id for e in self.items]


def _year(edition_id: str, event: Event | None) -> int | None:
    if event and event.date:
        return event.date.year
    match = YEAR_IN_ID.search(edition_id)
    if match:
        return int(match.group(0))
    if event and event.deadlines:
        return max(d.due.year for d in event.deadlines)
    return None


def discover(root: Path) -> Editions:
    """Every folder of `root` that holds pages or an event.yaml is an edition."""
    items = []
    if root.is_dir():
        for path in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
            event_file = path / "event.yaml"
            if not event_file.exists() and not find_pages(path):
                continue
            event, error = None, None
            if event_file.exists():
                try:
                    event = load_event(event_file)
                except EventFileError as err:
                    error = str(err)
                    log.warning("%s", err)
            items.append(Edition(id=path.name, path=path, event=event, event_error=error,
                                 year=_year(path.name, event)))
    items.sort(key=lambda e: (e.year or 0, e.id), reverse=True)
    return Editions(items)
