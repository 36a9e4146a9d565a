"""Pages read in a worker process, each under a CPU-time and memory budget the operating system enforces.

A page is code as much as text: Liquid loops, YAML aliases, entity floods and parsers' worst cases can
each take minutes or gigabytes, and no check of ours foresees them all. So pages are read in a worker
process (a fresh interpreter, started on the first page and reused by every ingest) whose address space is capped at
PAGE_MEMORY_MB above what it started with, and whose CPU time is capped at PAGE_CPU_SECONDS per page
(RLIMIT_CPU: the kernel stops it). A page that goes over is reported by name with the limit it hit, the
worker is replaced, and every other page is read as before. A wall-clock deadline (four times the CPU
budget, as the machine may be loaded) catches a worker that waits rather than computes.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import logging
import resource
import signal
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from bot.config import Settings
from bot.index.reader import read
from bot.knowledge.pages import Page, PageError, Publication
from bot.knowledge.site import EditionFolder, edition_folders

log = logging.getLogger(__name__)
WALL_FACTOR = 4  # a loaded machine gives the worker a share of a core: its deadline is this many times its CPU
START_SECONDS = 30  # a new worker imports the readers before its first page


@dataclass(frozen=True)
class Budget:
    cpu_seconds: int
    memory_mb: int

    @classmethod
    def of(cls, settings: Settings) -> Budget:
        return cls(settings.page_cpu_seconds, settings.page_memory_mb)


@dataclass(frozen=True)
class _Request:
    generation: int  # the ingest asking: the sites read for another one are read again
    root: str
    prefix: str
    edition: str
    path: str
    settings: Settings
    publication: Publication


@dataclass
class _Worker:
    process: subprocess.Popen
    connection: Connection
    served: bool = False  # it has read a page: it started long ago


class PageReaders:
    """The worker that reads pages, one per bot process, reused by every ingest (`shared()`)."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self._worker: _Worker | None = None
        self._lock = threading.Lock()
        self._generation = 0

    def begin(self) -> None:
        """A new ingest: the worker forgets the sites it read (their files may have changed)."""
        self._generation += 1

    def read(self, path: Path, folder: EditionFolder, settings: Settings, publication: Publication) -> Page:
        """`folder`'s file at `path` as a page, its site's new problems added to `folder.site.problems`;
        PageError when it cannot be read, or went over its budget."""
        request = _Request(self._generation, str(folder.root), folder.prefix, folder.id, str(path), settings,
                           publication)
        with self._lock:
            kind, *answer = self._ask(request, path)
        if kind == "error":
            raise PageError(path, answer[0])
        page, problems = answer
        folder.site.problems.extend(p for p in problems if p not in folder.site.problems)
        return page

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _ask(self, request: _Request, path: Path) -> tuple:
        worker = self._worker or self._start()
        deadline = WALL_FACTOR * self.budget.cpu_seconds + (0 if worker.served else START_SECONDS)
        try:
            worker.connection.send(request)
            worker.served = True
            if not worker.connection.poll(deadline):
                self._stop()
                raise PageError(path, f"took longer than {deadline} s to read (PAGE_CPU_SECONDS is "
                                      f"{self.budget.cpu_seconds}); skipped, the other pages are read")
            return worker.connection.recv()
        except (EOFError, OSError):
            raise self._died(path) from None

    def _start(self) -> _Worker:
        """A fresh interpreter running this module: nothing of the bot's threads, model or sockets."""
        ours, theirs = socket.socketpair()
        process = subprocess.Popen(
            [sys.executable, "-m", __name__, str(theirs.fileno()), str(self.budget.memory_mb)],
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL)
        theirs.close()
        self._worker = _Worker(process, Connection(ours.detach()))
        return self._worker

    def _stop(self) -> None:
        if self._worker is not None:
            if self._worker.process.poll() is None:
                self._worker.process.kill()
            self._worker.process.wait()
            self._worker.connection.close()
            self._worker = None

    def _died(self, path: Path) -> PageError:
        assert self._worker is not None
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._worker.process.wait(timeout=5)
        code = self._worker.process.returncode
        self._stop()
        if code == -signal.SIGXCPU:
            reason = f"used more than {self.budget.cpu_seconds} s of CPU (PAGE_CPU_SECONDS)"
        else:
            reason = (f"stopped the reader (exit {code}), likely over {self.budget.memory_mb} MB of memory "
                      "(PAGE_MEMORY_MB)")
        return PageError(path, f"{reason} while being read; skipped, the other pages are read")


@functools.cache
def shared(budget: Budget) -> PageReaders:
    """This process's page reader for `budget`, started on its first page and stopped at exit."""
    readers = PageReaders(budget)
    atexit.register(readers.close)
    return readers


def _serve(connection: Connection, memory_mb: int) -> None:
    """The worker: read each requested page under the CPU budget, until the bot goes."""
    _limit_memory(memory_mb)
    folders: dict[tuple[str, str], dict[str, EditionFolder]] = {}
    generation = -1
    while True:
        try:
            request = connection.recv()
        except (EOFError, OSError):
            return
        if request.generation != generation:
            folders.clear()
            generation = request.generation
        connection.send(_answer(request, folders, memory_mb))


def _answer(request: _Request, folders: dict[tuple[str, str], dict[str, EditionFolder]],
            memory_mb: int) -> tuple:
    path = Path(request.path)
    try:
        key = (request.root, request.prefix)
        if key not in folders:
            folders[key] = {f.id: f for f in edition_folders(Path(request.root), request.prefix,
                                                                   request.settings.renamed_editions)}
        folder = folders[key][request.edition]
        before = len(folder.site.problems)
        _limit_cpu(request.settings.page_cpu_seconds)
        page = read(path, folder, request.settings, request.publication)
        return "page", page, folder.site.problems[before:]
    except PageError as error:
        return "error", error.problem
    except MemoryError:
        return "error", f"needed more than {memory_mb} MB of memory (PAGE_MEMORY_MB); skipped"
    except Exception as error:  # a parser's bug: this page's error, never the ingest's
        log.debug("reading %s failed", path, exc_info=error)
        return "error", f"cannot be read: {type(error).__name__}: {error}"


def _limit_cpu(seconds: int) -> None:
    """Stop this process after `seconds` more of CPU time (RLIMIT_CPU counts all it used before)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(usage.ru_utime + usage.ru_stime) + seconds + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))


def _limit_memory(memory_mb: int) -> None:
    """Cap the address space at what the worker holds now plus `memory_mb`: an allocation past it fails
    (MemoryError) instead of the machine swapping."""
    with contextlib.suppress(OSError, ValueError):
        pages = int(Path("/proc/self/statm").read_text().split()[0])
        held = pages * resource.getpagesize()
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = held + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))


if __name__ == "__main__":  # the worker: `python -m bot.index.budget FD MEMORY_MB`, started by PageReaders
    _serve(Connection(int(sys.argv[1])), int(sys.argv[2]))
