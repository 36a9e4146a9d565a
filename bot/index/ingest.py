"""Bring the index in line with the pages on disk: changed pages re-embedded, nothing else touched."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.config import Settings
from bot.index.store import KnowledgeStore
from bot.knowledge.chunks import Chunk, chunk_page
from bot.knowledge.pages import PageError, content_hash, find_pages, read_page

BATCH = 64


@dataclass
class Target:
    """Pages to ingest: those under `scope` (a path inside `root`), with sources relative to `root`."""

    root: Path
    scope: Path

    def files(self) -> list[Path]:
        return [self.scope] if self.scope.is_file() else find_pages(self.scope)

    def covers(self, source: str) -> bool:
        prefix = self.scope.relative_to(self.root).as_posix()
        return prefix == "." or source == prefix or source.startswith(prefix + "/")


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


def target_for(path: Path, knowledge_dir: Path) -> Target:
    """A path inside the knowledge folder narrows the scope; any other folder is a knowledge root."""
    path, knowledge_dir = path.resolve(), knowledge_dir.resolve()
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if path == knowledge_dir or knowledge_dir in path.parents:
        return Target(root=knowledge_dir, scope=path)
    if path.is_dir():
        return Target(root=path, scope=path)
    return Target(root=path.parent.parent, scope=path)


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


def ingest(
    store: KnowledgeStore, targets: list[Target], settings: Settings, console: Console | None = None
) -> IngestReport:
    """Index the targets' pages. A page that fails to parse keeps its previous passages."""
    console = console or Console(stderr=True)
    started = time.perf_counter()
    report = IngestReport()
    indexed = store.page_hashes()
    fresh: dict[str, list[Chunk]] = {}
    seen: set[str] = set()
    for target in targets:
        for path in target.files():
            source = path.relative_to(target.root).as_posix()
            seen.add(source)
            try:
                if indexed.get(source) == {content_hash(path.read_bytes(), settings.site_base_url)}:
                    report.unchanged.append(source)
                    continue
                page = read_page(path, target.root, settings)
            except PageError as err:
                report.errors.append(err)
                continue
            except OSError as err:
                report.errors.append(PageError(path, f"cannot be read: {err.strerror}"))
                continue
            report.warnings.extend(page.warnings)
            fresh[source] = chunk_page(page)
            (report.updated if source in indexed else report.added).append(source)

    chunks = [chunk for page_chunks in fresh.values() for chunk in page_chunks]
    with _progress(console, len(chunks)) as progress:
        task = progress.add_task("embed", total=len(chunks)) if progress else None
        for start in range(0, len(chunks), BATCH):
            batch = chunks[start:start + BATCH]
            store.upsert(batch)
            if progress:
                progress.advance(task, len(batch))
    report.passages = len(chunks)

    # Old passages go only after the new ones are in: the index never lacks a page mid-update.
    for source, page_chunks in fresh.items():
        keep = {c.id for c in page_chunks}
        store.delete([i for i in store.ids_of_source(source) if i not in keep])
    for source in sorted(indexed):
        if source not in seen and any(t.covers(source) for t in targets):
            store.delete(store.ids_of_source(source))
            report.removed.append(source)
    if report.changed:
        store.bump_generation()
    report.seconds = time.perf_counter() - started
    return report
