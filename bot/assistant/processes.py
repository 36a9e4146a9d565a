"""Answers computed in worker processes (ANSWER_PROCESSES), so that Slack's acknowledgements never wait.

In one process, every thread takes turns on one interpreter lock: with 50 people asking at once, the
threads computing answers held it much of the time, and a request waited its turn behind them before
it could be acknowledged (p99 near half a second). Here the serving process only receives, records and
posts; each worker process holds its own model and index and computes answers, at a lower priority.

The database stays the one source of truth: the question is recorded before it reaches a worker, and a
worker that dies takes no question with it, as the question goes to a fresh worker.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.config import Settings

if TYPE_CHECKING:
    from bot.assistant.answer import Answer
    from bot.assistant.assistant import Assistant

log = logging.getLogger(__name__)
ATTEMPTS = 3  # workers that may die under one question before it fails: a question that kills each one
# Workers yield the cores to the serving process: what it does per question (receive, record, post) is
# short, and an acknowledgement then never queues behind an answer. At 50 askers, ack p99 was 200 ms
# with the workers at the same priority, 136 ms below it.
NICENESS = 10
REGISTRY_SECONDS = 2.0  # a worker re-reads the editions (event.yaml, folders) at most this often



@dataclass
class _Worker:
    """What a worker process holds: its own assistant."""

    assistant: Assistant | None = None
    registry_read: float = 0.0


_worker = _Worker()


def _load(settings: Settings) -> None:
    """In a new worker: the model, the index and every edition's facts, before its first question."""
    from bot.assistant.assistant import Assistant
    from bot.ops.heap import return_large_blocks

    return_large_blocks()
    if hasattr(os, "nice"):
        os.nice(NICENESS)
    if (parent := multiprocessing.parent_process()) is not None:
        threading.Thread(target=_end_with, args=(parent,), name="parent-watch", daemon=True).start()
    _worker.assistant = Assistant.from_settings(settings)
    _worker.assistant.warm()
    _worker.registry_read = time.monotonic()


def _end_with(parent: multiprocessing.process.BaseProcess) -> None:
    """A worker ends with the serving process, however that ends: killed (-9, or by the kernel's OOM killer)
    it cannot stop its workers, and a worker waiting for questions would otherwise wait, and hold its
    model and index, for ever (its queue's own copy of the writing end never closes)."""
    parent.join()
    os._exit(0)


def _ask(question: str, history: list[str] | None) -> Answer:
    """In a worker. The serving process refreshes its editions when their files change; a worker cannot
    hear of it, so it re-reads them every few seconds (the index tells it of new pages itself)."""
    assert _worker.assistant is not None
    if time.monotonic() - _worker.registry_read > REGISTRY_SECONDS:
        _worker.assistant.registry.refresh()
        _worker.registry_read = time.monotonic()
    return _worker.assistant.ask(question, history=history)


def _ready() -> int:
    return multiprocessing.current_process().pid or 0


class AnswerProcesses:
    """A pool of `processes` workers, started with `start()` (each loads the model and the index: seconds)."""

    def __init__(self, settings: Settings, processes: int) -> None:
        self.settings = settings
        self.processes = processes
        self._lock = threading.Lock()
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        # spawn, not fork: the serving process runs threads (a forked child would inherit their locks held)
        return ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_load, initargs=(self.settings,))

    def start(self) -> list[int]:
        """Start the workers and wait until each has loaded; their pids."""
        waiting = [self._pool.submit(_ready) for _ in range(self.processes)]
        return sorted({future.result() for future in waiting})

    def pids(self) -> list[int]:
        return sorted(p.pid for p in list(getattr(self._pool, "_processes", {}).values()) if p.pid)

    def submit(self, question: str, history: list[str] | None = None) -> Future[Answer]:
        """The answer, from a worker; if the worker dies meanwhile, from another one."""
        answer: Future[Answer] = Future()
        self._send(answer, question, history, ATTEMPTS)
        return answer

    def _send(self, answer: Future[Answer], question: str, history: list[str] | None, attempts: int) -> None:
        with self._lock:
            pool = self._pool
        try:
            running = pool.submit(_ask, question, history)
        except BrokenProcessPool:
            self._replace(pool)
            self._send(answer, question, history, attempts)
            return
        running.add_done_callback(lambda done: self._settle(done, pool, answer, question, history, attempts))

    def _settle(self, done: Future[Answer], pool: ProcessPoolExecutor, answer: Future[Answer], question: str,
                history: list[str] | None, attempts: int) -> None:
        error = done.exception()
        if isinstance(error, BrokenProcessPool) and attempts > 1:
            log.warning("an answer worker died; the question goes to another one")
            self._replace(pool)
            # not on this thread: it is the broken pool's own, which waits for its callbacks to end
            threading.Thread(target=self._send, args=(answer, question, history, attempts - 1),
                             name="answer-retry", daemon=True).start()
        elif error is not None:
            answer.set_exception(error)
        else:
            answer.set_result(done.result())

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        """A new pool in place of `broken`, once, however many questions found it broken."""
        with self._lock:
            if self._pool is broken:
                self._pool = self._new_pool()
        broken.shutdown(wait=False, cancel_futures=True)

    def stop(self) -> None:
        with self._lock:
            pool = self._pool
        pool.shutdown(wait=True, cancel_futures=True)
