"""The editions a knowledge base holds, newest first; the newest is the default context.

`discover` reads what is cheap to read (which folders are editions, their `event.yaml`). The
`Registry` is the one view of the editions a running process shares: it re-reads what changed on
disk, and parses an edition's pages (and the facts they state) only when something needs them.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.config import EVENT_MAX_BYTES, Settings
from bot.events.model import Event, EventFileError, load_event
from bot.knowledge.files import refusal
from bot.knowledge.naming import (
    PAGES_READ,
    SITE_CONFIGS,
    acronym,
    home_page,
    long_name,
    page_head,
    page_title,
    short_name,
    site_title,
    year_in_id,
    year_in_title,
)
from bot.knowledge.site import EditionFolder, edition_folders
from bot.ops.private import private_folder, write_private

log = logging.getLogger(__name__)

MAX_NAMED = 1024  # editions whose naming is remembered
_NAMED: dict[tuple[tuple[str, int, int], ...], tuple[str | None, str | None, str | None]] = {}
ROOTS_FILE = "knowledge-roots.json"  # folders ingested besides KNOWLEDGE_DIR, in BOT_DATA_DIR

VENUE_NAMES = {"neurips": "NeurIPS", "icml": "ICML", "iclr": "ICLR", "isca": "ISCA", "mlsys": "MLSys",
               "sysml": "SysML"}


@dataclass
class Edition:
    id: str
    path: Path
    event: Event | None = None
    event_error: str | None = None  # a broken event.yaml: the pages still answer, the facts don't
    year: int | None = None
    folder: EditionFolder | None = field(default=None, repr=False)
    name: str | None = None  # the workshop's short name, as its home page's title gives it ("CARRV")
    long_name: str | None = None  # what the short name abbreviates ("Computer Architecture Research with RISC-V")

    @property
    def label(self) -> str:
        """How people name it: the event's name, else the workshop's short name and year ("CARRV 2024"),
        else `neurips2025` → `NeurIPS 2025`."""
        if self.event:
            return self.event.name
        if self.name:
            return f"{self.name} {self.year}" if self.year and str(self.year) not in self.name else self.name
        match = re.match(r"([a-z]+)(\d{4})$", self.id)
        if match:
            return f"{VENUE_NAMES.get(match.group(1), match.group(1).upper())} {match.group(2)}"
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


def _year(edition_id: str, event: Event | None, title: str | None, named: str | None) -> int | None:
    if event and event.date:
        return event.date.year
    if (year := year_in_id(edition_id) or year_in_title(title) or year_in_id(named or "")) is not None:
        return year
    if event and event.deadlines:
        return max(d.due.year for d in event.deadlines)
    return None


def _edition(folder: EditionFolder, max_bytes: int) -> Edition:
    event, error = None, None
    if folder.event_file.is_file() and (refused := refusal(folder.event_file, folder.root)):
        error = f"{folder.event_file}: {refused}"  # a link to a secret is never parsed, nor quoted
        log.info("%s", error)  # said by whoever uses the edition: a command's error, the scheduler's log
    elif folder.event_file.is_file():
        try:
            event = load_event(folder.event_file, max_bytes)
        except EventFileError as err:  # all load_event raises: a broken file breaks only its edition
            error = str(err)
            log.info("%s", err)
    title, name, long = _naming(folder)
    return Edition(id=folder.id, path=folder.folder, event=event, event_error=error,
                   year=_year(folder.id, event, title, folder.named), folder=folder, name=name, long_name=long)


def _naming(folder: EditionFolder) -> tuple[str | None, str | None, str | None]:
    """The edition's home page title, the workshop's short name and the long name it abbreviates: the
    site's title or the home page's gives the short name, else the acronym its home page and first pages
    use for the long name (a secret's link is never read). Remembered until one of those files changes:
    editions are discovered again at every reload, and reading forty pages each time would make that the
    slow part of it."""
    home = home_page(folder.pages, folder.folder)
    pages = ([home] if home else []) + [p for p in folder.pages if p != home][:PAGES_READ]
    key = _signature([*pages, *(folder.site.root / name for name in SITE_CONFIGS)])
    if (known := _NAMED.get(key)) is not None:
        return known
    title = page_title(home) if home is not None and not refusal(home, folder.root) else None
    configured = site_title(folder.site.root)  # the site's name, for every edition it holds
    titles = [n for n in (configured, title) if n]
    name = short_name(configured) or short_name(title)
    texts = None if name else list(_heads(pages, folder))
    if name is None:
        name = acronym(titles, texts or [])
    long = long_name(name, titles, texts if texts is not None else _heads(pages, folder))  # read only when needed
    if len(_NAMED) >= MAX_NAMED:
        _NAMED.clear()
    _NAMED[key] = (title, name, long)
    return title, name, long


def _heads(pages: list[Path], folder: EditionFolder) -> Iterator[str]:
    """The first bytes of each page (a secret's link is never read)."""
    return (page_head(page) for page in pages if not refusal(page, folder.root))


def _signature(paths: list[Path]) -> tuple[tuple[str, int, int], ...]:
    """Each file's path, modification time and size (-1 when absent): what changes when one is edited."""
    found = []
    for path in paths:
        try:
            stat = path.stat()
            found.append((str(path), stat.st_mtime_ns, stat.st_size))
        except OSError:
            found.append((str(path), -1, -1))
    return tuple(found)


def _one_edition_a_year(items: list[Edition]) -> None:
    """A year named by two editions belongs to the one whose id says it: the other (a landing page
    whose title names the current year) keeps no year, so "the 2026 workshop" is never it."""
    by_id = {e.year for e in items if e.year is not None and year_in_id(e.id) == e.year}
    for edition in items:
        if edition.year in by_id and year_in_id(edition.id) != edition.year:
            edition.year = None


def discover(*roots: Path, event_max_bytes: int = EVENT_MAX_BYTES,
             renamed: Mapping[Path, str] | None = None) -> Editions:
    """Every edition under the knowledge roots (`renamed`: EDITION_IDS); an id found in two roots keeps
    the first root's."""
    items: dict[str, Edition] = {}
    for root in roots:
        for folder in edition_folders(root, renamed=renamed):
            if folder.id not in items:
                items[folder.id] = _edition(folder, event_max_bytes)
    _one_edition_a_year(list(items.values()))
    ordered = sorted(items.values(), key=lambda e: (e.year or 0, e.id), reverse=True)
    return Editions(ordered)


def remembered_roots(settings: Settings) -> list[Path]:
    """Folders once ingested besides KNOWLEDGE_DIR: every process answers from them too."""
    path = settings.bot_data_dir / ROOTS_FILE
    return [Path(p) for p in json.loads(path.read_text(encoding="utf-8"))] if path.is_file() else []


def remember_root(settings: Settings, root: Path) -> None:
    known = remembered_roots(settings)
    if root in known or root == settings.knowledge_dir.resolve():
        return
    roots = json.dumps([str(p) for p in [*known, root]]).encode()
    write_private(private_folder(settings.bot_data_dir) / ROOTS_FILE, roots)


def knowledge_roots(settings: Settings) -> list[Path]:
    return [settings.knowledge_dir, *(r for r in remembered_roots(settings) if r != settings.knowledge_dir)]


class Registry:
    """The editions of a running process: re-read from disk when their files change."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._editions = discover(*self.roots, event_max_bytes=settings.event_max_bytes,
                                  renamed=settings.renamed_editions)

    @property
    def roots(self) -> list[Path]:
        return knowledge_roots(self.settings)

    @property
    def editions(self) -> Editions:
        return self._editions

    def refresh(self) -> Editions:
        """Re-discover the editions (cheap: folders and event.yaml files)."""
        editions = discover(*self.roots, event_max_bytes=self.settings.event_max_bytes,
                            renamed=self.settings.renamed_editions)
        with self._lock:
            self._editions = editions
        return editions
