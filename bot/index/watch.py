"""A running bot keeps its index in step with the pages: changes are re-indexed within RELOAD_INTERVAL,
those of a site given by its URL too (it is crawled again each time, conditionally).

The bot owns the embedded index (a Chroma directory has one owner): `workshop-bot ingest` run while
it serves does not open the index a second time, it leaves a request that the bot carries out. With
a Chroma server (`CHROMA_HOST`) several processes may write, and no request is needed.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
from pathlib import Path
from typing import IO, TYPE_CHECKING

from bot.ops.heap import release_freed_memory
from bot.config import Settings
from bot.ops.private import private_file, private_folder, replace_private

if TYPE_CHECKING:  # the lock and the request need none of these: commands that only take the lock stay quick
    from bot.index.ingest import IngestReport
    from bot.index.store import KnowledgeStore
    from bot.knowledge.editions import Registry

log = logging.getLogger(__name__)

LOCK_FILE = "index.lock"
REQUEST_FILE = "ingest-request.json"
WATCHED_FOLDERS = {"_data", "_includes", "_layouts", "_posts"}  # what Liquid reads besides the pages


class IndexLock:
    """The embedded index's owner: one process at a time (a lock on a file in BOT_DATA_DIR)."""

    def __init__(self, settings: Settings) -> None:
        self.path = settings.bot_data_dir / LOCK_FILE
        self._handle: IO[str] | None = None

    def acquire(self) -> bool:
        """True when this process now owns the index; False when another one (a running bot) does."""
        private_folder(self.path.parent)
        handle = private_file(self.path).open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._handle = handle
        return True

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


def request_ingest(settings: Settings, roots: list[Path], scopes: list[Path]) -> Path:
    """Ask the running bot to ingest (it reads the request within RELOAD_INTERVAL)."""
    path = settings.bot_data_dir / REQUEST_FILE
    pending = json.loads(path.read_text()) if path.exists() else {"roots": [], "scopes": []}
    pending["roots"] = sorted({*pending["roots"], *(str(r) for r in roots)})
    pending["scopes"] = sorted({*pending["scopes"], *(str(s) for s in scopes)})
    replace_private(path, json.dumps(pending).encode())  # the bot never reads half a request
    return path


def _distinct(roots: list[Path]) -> list[Path]:
    return list(dict.fromkeys(root.resolve() for root in roots))


def _fingerprint(roots: list[Path]) -> tuple:
    """Every file a page's text depends on, with its size and modification time."""
    seen = []
    for root in roots:
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs
                             if not d.startswith(".") and (not d.startswith("_") or d in WATCHED_FOLDERS))
            for name in sorted(files):
                path = Path(folder) / name
                try:
                    stat = path.stat()
                except OSError:
                    continue
                seen.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(seen)


def _log_crawl(kind: str, message: str) -> None:
    """A re-crawl's report in the log: a site out of reach as an error; the rest, said at every check, at
    INFO (`serve`'s first crawl, at start-up, says it at WARNING)."""
    log.log(logging.ERROR if kind == "error" else logging.INFO, "%s", message)


class KnowledgeWatcher:
    """Re-ingests what changed under the knowledge roots, and refreshes the editions everyone reads."""

    def __init__(self, settings: Settings, store: KnowledgeStore, registry: Registry) -> None:
        self.settings, self.store, self.registry = settings, store, registry
        self._fingerprint = _fingerprint(_distinct(registry.roots))
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def check(self) -> IngestReport | None:
        """Ingest if a page changed or an ingest was requested; the report, or None if nothing was due."""
        from bot.index.ingest import ingest

        with self._lock:
            request = self.settings.bot_data_dir / REQUEST_FILE
            asked = json.loads(request.read_text()) if request.exists() else None
            if asked is not None:
                request.unlink()
            roots = [Path(r) for r in (asked or {}).get("roots", [])] + self._crawl()
            scopes = [Path(s) for s in (asked or {}).get("scopes", [])]
            fingerprint = _fingerprint(_distinct([*self.registry.roots, *roots]))
            if asked is None and fingerprint == self._fingerprint:
                return None
            report = ingest(self.store, self.settings, roots=roots, scopes=scopes)
            self.registry.refresh()
            self._fingerprint = _fingerprint(_distinct(self.registry.roots))
        release_freed_memory()  # what parsing the pages took
        for warning in report.warnings:
            log.warning("%s", warning)
        for error in report.errors:
            log.error("%s", error)
        log.warning("knowledge re-indexed: %s", report.summary())
        return report

    def _crawl(self) -> list[Path]:
        """The sites given by their URLs, crawled again (conditionally: an unchanged page is not fetched);
        their folders. One out of reach keeps what it had, and /readyz and /metrics say so."""
        from bot.knowledge.crawler import crawl_sites, known_sites

        return crawl_sites(self.settings, known_sites(self.settings), _log_crawl)

    def _run(self) -> None:
        while not self._stop.wait(self.settings.reload_interval):
            try:
                self.check()
            except Exception:  # a bad page must never stop the watching
                log.exception("re-indexing the knowledge failed; retrying in %s s", self.settings.reload_interval)

    def start(self) -> KnowledgeWatcher:
        self._thread = threading.Thread(target=self._run, name="knowledge-watcher", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
