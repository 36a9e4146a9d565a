"""Bring the index in line with the pages on disk: changed pages re-embedded, nothing else touched.

The index covers knowledge roots: `KNOWLEDGE_DIR`, and any other folder once ingested (it is
remembered in BOT_DATA_DIR, so every process answers from it). An edition that yields no passages at
all, and facts that its pages contradict, are reported. Whatever goes wrong reading one page is that
page's error: the others are still indexed.

An ingest marks the index as being written before its first write and clears the mark with the
generation bump after its last; an ingest that finds the mark (the one before was killed in between)
bumps the generation even if it has nothing to write, so that running bots reload what was written.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from bot.ops.heap import release_freed_memory
from bot.config import Settings
from bot.index.store import IndexedPage, KnowledgeStore
from bot.knowledge.chunks import Chunk, chunk_page, empty_marker
from bot.knowledge.derive import contradictions
from bot.knowledge.editions import knowledge_roots, remember_root
from bot.index.budget import Budget, PageReaders, shared
from bot.knowledge.pages import Page, PageError, RefusedPage, content_hash, page_limit, read_source
from bot.knowledge.publication import publication_of
from bot.knowledge.jekyll import JekyllSite
from bot.knowledge.site import EditionFolder, edition_folders

WINDOW = 1024  # passages written to the index at a time, in page order
# Passages handed to the model at a time: it runs them one by one, on every core. Embedding them while
# the next pages were read saved under a tenth of the time (300 pages: 16.0 s against 16.7-17.8 s).
BATCH = 128
_NOTHING = IndexedPage(root="", hashes=set())
log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    passages: int = 0
    errors: list[PageError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{len(self.removed)} removed pages; {self.passages} passages written in {self.seconds:.2f} s"
        )


def root_prefix(root: Path, settings: Settings) -> str:
    """Sources under KNOWLEDGE_DIR are relative to it; another root's carry its folder name first."""
    return "" if root.resolve() == settings.knowledge_dir.resolve() else f"{root.resolve().name}/"


def split_paths(paths: list[Path], settings: Settings) -> tuple[list[Path], list[Path]]:
    """(new knowledge roots, scopes inside known roots): a path inside KNOWLEDGE_DIR narrows the
    scope; any other folder is a knowledge root of its own."""
    knowledge = settings.knowledge_dir.resolve()
    roots, scopes = [], []
    for given in paths:
        path = given.resolve()
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file or folder")
        if path == knowledge:
            continue
        if knowledge in path.parents:
            scopes.append(path)
        elif path.is_dir():
            roots.append(path)
        else:
            raise FileNotFoundError(f"{path}: a single page must be inside KNOWLEDGE_DIR ({knowledge})")
    return roots, scopes


@contextmanager
def _progress(console: Console, total: int) -> Iterator[Progress | None]:
    if not console.is_terminal or total == 0:
        yield None
        return
    with Progress(
        TextColumn("embedding passages"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=True,
    ) as progress:
        yield progress


def _in_scope(path: Path, scopes: list[Path]) -> bool:
    return not scopes or any(path == s or s in path.parents for s in scopes)


class _Run:
    """One ingest: which pages changed, their new passages, what each edition now holds."""

    def __init__(self, store: KnowledgeStore, settings: Settings, report: IngestReport, readers: PageReaders) -> None:
        self.store, self.settings, self.report, self.readers = store, settings, report, readers
        self.indexed = store.page_hashes()
        self.fresh: dict[str, list[Chunk]] = {}
        self.seen: set[str] = set()
        self.sites: dict[int, JekyllSite] = {}
        self.ids: dict[str, Path] = {}  # each edition id, and the folder that gave it first

    def site(self, folder: EditionFolder) -> None:
        """Report the files the edition's site refused to read (each site once: editions share one)."""
        if id(folder.site) in self.sites:
            return
        self.sites[id(folder.site)] = folder.site
        self.report.errors.extend(PageError(path, problem) for path, problem in folder.site.refusals())

    def site_problems(self) -> None:
        """What the sites found wrong while their pages were read (a broken data file, a `url` that is
        not a web address), each naming its file: the pages were read without it."""
        for site in self.sites.values():
            self.report.warnings.extend(f"{site.root}/{problem}" for problem in site.problems)

    def edition(self, folder: EditionFolder, scopes: list[Path]) -> None:
        self.site(folder)
        publication = publication_of(folder, self.settings)
        files = [*folder.pages, *([folder.event_file] if folder.event_file.is_file() else [])]
        pages: list[Page] = []
        unchanged: list[Path] = []
        passages = 0
        for path in files:
            source = folder.source(path)
            if not _in_scope(path.resolve(), scopes):
                continue
            self.seen.add(source)
            try:
                raw = read_source(path, folder, page_limit(path, folder, self.settings))
                if self.indexed.get(source, _NOTHING).hashes == {content_hash(raw, folder, publication)}:
                    self.report.unchanged.append(source)
                    unchanged.append(path)
                    continue
                page = self.readers.read(path, folder, self.settings, publication)
                chunks = chunk_page(page, str(folder.root.resolve()))
            except RefusedPage as err:
                self.report.errors.append(err)
                self.seen.discard(source)  # whatever it put in the index before goes
                continue
            except Exception as err:  # a parser's limit or bug: this page's error, never the whole run's
                self.report.errors.append(err if isinstance(err, PageError) else _unexpected(path, err))
                passages += source in self.indexed  # it keeps its previous passages
                continue
            self.report.warnings.extend(page.warnings)
            self.fresh[source] = chunks or [empty_marker(page, str(folder.root.resolve()))]
            passages += len(chunks)
            (self.report.updated if source in self.indexed else self.report.added).append(source)
            if path != folder.event_file:
                pages.append(page)
        if not pages and not passages:
            return  # nothing of this edition changed
        if not passages and not unchanged:
            names = ", ".join(folder.source(p) for p in folder.pages) or "(none)"
            self.report.errors.append(PageError(
                folder.folder, f"edition '{folder.id}' yields no passages: its pages ({names}) have no text"))
        # Facts are checked across the whole edition: its unchanged pages are read again for that.
        for path in unchanged:
            if path != folder.event_file:
                try:
                    pages.append(self.readers.read(path, folder, self.settings, publication))
                except Exception as err:  # it read as indexed before; if it no longer does, the check goes without
                    log.debug("%s: left out of the facts check: %s", path, err)
        self.report.warnings.extend(contradictions(folder.id, pages))


def _unexpected(path: Path, err: Exception) -> PageError:
    """An error no reader expected, as the page's error; the traceback goes to the debug log."""
    log.debug("reading %s failed", path, exc_info=err)
    return PageError(path, f"cannot be read: {type(err).__name__}: {err}")


def ingest(store: KnowledgeStore, settings: Settings, *, roots: list[Path] | None = None,
           scopes: list[Path] | None = None, console: Console | None = None) -> IngestReport:
    """Index the knowledge roots (KNOWLEDGE_DIR, every root ingested before, and `roots`), or only the
    pages under `scopes`. A page that fails to parse keeps its previous passages."""
    console = console or Console(stderr=True)
    started = time.perf_counter()
    report = IngestReport()
    for root in roots or []:
        remember_root(settings, root.resolve())
    all_roots = knowledge_roots(settings)
    covered: list[Path] = []
    readers = shared(Budget.of(settings))
    readers.begin()
    run = _Run(store, settings, report, readers)
    for root in all_roots:
        if not root.is_dir():
            report.warnings.append(f"{root}: knowledge folder not found; its pages stay indexed")
            continue
        if scopes and not any(s == root.resolve() or root.resolve() in s.parents for s in scopes):
            continue
        covered.append(root.resolve())
        for folder in edition_folders(root, root_prefix(root, settings), settings.renamed_editions):
            if (first := run.ids.setdefault(folder.id, folder.folder)) != folder.folder:
                report.errors.append(PageError(folder.folder, f"gives the edition id '{folder.id}', which {first} "
                                               "gives already: not indexed, so that answers never mix two sites "
                                               "(give one another id with EDITION_IDS=FOLDER=ID, "
                                               "or set `workshop_name` in its _config.yml)"))
                continue
            run.edition(folder, scopes or [])
    run.site_problems()

    chunks = [chunk for page_chunks in run.fresh.values() for chunk in page_chunks]
    gone = [source for source, record in sorted(run.indexed.items())
            if _gone(source, record, run, covered, scopes, settings)]
    interrupted = store.interrupted()  # an ingest before this one was killed amid its writes
    if run.fresh or gone:
        store.begin_writing()
    with _progress(console, len(chunks)) as progress:
        task = progress.add_task("embed", total=len(chunks)) if progress else None
        for start in range(0, len(chunks), WINDOW):
            window = chunks[start:start + WINDOW]
            store.upsert(window, _embed(store, window, progress, task))
            release_freed_memory()  # what the window took (vectors, ONNX Runtime's buffers for long texts)
    report.passages = len(chunks)

    # Old passages go only after the new ones are in: the index never lacks a page mid-update.
    for source, page_chunks in run.fresh.items():
        keep = {c.id for c in page_chunks}
        store.delete([i for i in store.ids_of_source(source) if i not in keep])
    for source in gone:
        store.delete(store.ids_of_source(source))
        report.removed.append(source)
    if report.changed or interrupted:
        store.finish_writing()  # which writes the index's read copy
    else:
        store.keep_mirror()
    report.seconds = time.perf_counter() - started
    return report


def _embed(store: KnowledgeStore, chunks: list[Chunk], progress: Progress | None, task: TaskID | None) -> np.ndarray:
    """The chunks' vectors, in their order."""
    vectors = np.empty((len(chunks), store.dimension), dtype=np.float32)
    for start in range(0, len(chunks), BATCH):
        batch = chunks[start:start + BATCH]
        vectors[start:start + len(batch)] = store.embed([chunk.text for chunk in batch])
        if progress and task is not None:
            progress.advance(task, len(batch))
    return vectors


def _gone(source: str, record: IndexedPage, run: _Run, covered: list[Path], scopes: list[Path] | None,
          settings: Settings) -> bool:
    """An indexed page this run covered but did not find (removed from disk, or refused)."""
    owner = Path(record.root) if record.root else settings.knowledge_dir.resolve()
    path = owner / source.removeprefix(root_prefix(owner, settings))
    return source not in run.seen and owner in covered and _in_scope(path, scopes or [])
