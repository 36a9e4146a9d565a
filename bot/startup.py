"""`serve` answers at once and loads its slow parts behind it: the prompt shows, or the port listens,
within about a second, while the database, the reminder service, the embedding model, the index and
its refresh from the pages take several more.

One thread loads them, in order: the database, the reminder service (a reminder never waits for the
model; of several replicas, the one holding the lease runs it, and the others are ready without it),
then the mail receivers (questions by email are stored as they come, and answered once the assistant
is ready), then the knowledge base and the assistant over it. One thread, because importing the same packages
from two threads at once can fail (NumPy's imports, for one, are not safe that way). Whoever needs a
part waits for it; `loading()` names what is not ready yet (/readyz); a part that fails to load
fails whoever waits for it, and `serve` stops.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.error import URLError

from tenacity import RetryCallState, Retrying, retry_if_exception_type, wait_exponential

from bot.ops.metrics import LEADER
from bot.runtime import Runtime, long_lived
from bot.storage.models import utcnow

if TYPE_CHECKING:
    from bot.assistant.assistant import Assistant
    from bot.assistant.processes import AnswerProcesses
    from bot.inbound.answers import EmailAnswers
    from bot.inbound.imap import MailboxPoller
    from bot.inbound.listener import MailListener
    from bot.index.store import KnowledgeStore
    from bot.index.watch import KnowledgeWatcher
    from bot.knowledge.editions import Registry
    from bot.outbox.ledger import Outbox
    from bot.outbox.sender import Sender
    from bot.scheduler.leader import Leader
    from bot.storage.db import Database

log = logging.getLogger(__name__)

DATABASE, REMINDERS, MAIL, ASSISTANT = "database", "reminders", "mail", "assistant"
UNFINISHED_MAIL = timedelta(days=7)  # mail whose answer a stop cut short is answered at the next start, if this recent
Step = tuple[str, Callable[[], object]]  # (the part's name, what loads it)
# What a service out of reach raises: refused or dropped connections, timeouts, names not resolved yet,
# and urllib's errors (slack-sdk's) around them.
UNREACHABLE = (ConnectionError, TimeoutError, socket.gaierror, URLError)
MAX_PAUSE = 60  # seconds between tries, at most


class StartupError(RuntimeError):
    """A part failed to load: what needs it cannot go on."""


class Startup:
    """The runtime's slow parts, loaded in the background; read them here, and wait for them if need be.

    `refresh` brings the index up to date with the pages (the command line prints its report).
    """

    def __init__(self, runtime: Runtime, refresh: Callable[[KnowledgeStore], object]) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self._refresh = refresh
        receives_mail = self.settings.inbound_port is not None or bool(self.settings.imap_host)
        self._steps: list[Step] = [(DATABASE, self._database), (REMINDERS, self._start_reminders),
                                   *([(MAIL, self._receive_mail)] if receives_mail else []),
                                   (ASSISTANT, self._knowledge)]
        self._ready = {part: threading.Event() for part, _ in self._steps}
        self.waiting: dict[str, str] = {}  # a part waiting for a service it cannot reach, and why
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.failure: Exception | None = None
        self.watcher: KnowledgeWatcher | None = None
        self.leader: Leader | None = None  # once started: it runs the reminder service while it holds the lease
        self.mail: list[MailListener | MailboxPoller] = []  # once started: what receives questions by email
        self.processes: AnswerProcesses | None = None  # once starting: the workers answering Slack's questions

    @property
    def registry(self) -> Registry:
        """Without waiting: the editions are read from their folders and event.yaml files (quick)."""
        return self.runtime.registry

    def start(self, on_failure: Callable[[Exception], None] = lambda error: None, first: Step | None = None) -> Startup:
        """Load in the background; `on_failure` is called (from the loading thread) when a part fails.
        `first` is a part of the mode's own, loaded before the others (Slack's app)."""
        if first is not None:
            self._steps.insert(0, first)
            self._ready = {first[0]: threading.Event(), **self._ready}
        self._thread = threading.Thread(target=self._load, args=(on_failure,), name="startup", daemon=True)
        self._thread.start()
        return self

    def _load(self, on_failure: Callable[[Exception], None]) -> None:
        try:
            for part, load in self._steps:
                if self._stopping.is_set():
                    return
                self._patiently(part, load)
                self._ready[part].set()
        except Exception as error:  # told to whoever waits, and to serve, which stops
            if self._stopping.is_set():  # a part the stop cut short (workers shut down as they load): no failure
                return
            if not isinstance(error, RuntimeError):  # not one of ours, which say what to do: its traceback
                log.error("loading failed", exc_info=error)
            self.failure = error
            for ready in self._ready.values():
                ready.set()  # whoever waits wakes, and sees the failure
            on_failure(error)

    def _patiently(self, part: str, load: Callable[[], object]) -> None:
        """Load `part`; while what it needs is unreachable (Slack, a database or Chroma server, the network
        not up yet), try again with growing pauses for as long as it takes, `loading()` saying why.
        Anything else fails the startup at once."""
        def waiting(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            pause = state.next_action.sleep if state.next_action else 0
            self.waiting[part] = f"unreachable: {error}; attempt {state.attempt_number + 1} in {pause:.0f} s"
            log.warning("%s: %s", part, self.waiting[part])

        try:
            for attempt in Retrying(retry=retry_if_exception_type(UNREACHABLE), reraise=True, before_sleep=waiting,
                                    wait=wait_exponential(multiplier=1, min=1, max=MAX_PAUSE),
                                    stop=lambda _: self._stopping.is_set(), sleep=self._pause):
                with attempt:
                    load()
        finally:
            self.waiting.pop(part, None)

    def _pause(self, seconds: float) -> None:
        """A pause between tries that ends early when the bot stops."""
        self._stopping.wait(seconds)

    def _database(self) -> None:
        from bot.storage.metrics import OUTBOX_METRICS

        with long_lived():
            OUTBOX_METRICS.watch(self.runtime.db)  # opened (and migrated) here, not by the first request

    def _start_reminders(self) -> None:
        with long_lived(), self._lock:  # never after stop()
            if not self._stopping.is_set():
                leader = self.leader = self.runtime.leader.start()
                LEADER.set_function(lambda: float(leader.leading))  # 1 while the scheduler runs here

    def _receive_mail(self) -> None:
        """Receive from now on; mail received before, whose answer a stop cut short, is answered too, on a
        thread of its own (answering waits for the assistant, which this thread loads next)."""
        from bot.inbound.answers import EmailAnswers

        answers = EmailAnswers(self.settings, self)
        started = utcnow()  # what comes after this, the receivers hand on themselves
        with self._lock:  # never after stop()
            if self._stopping.is_set():
                return
            self.mail = self.runtime.mail_receivers(answers.handle)
            for receiver in self.mail:
                receiver.start()
        threading.Thread(target=self._answer_unfinished, args=(answers, started), name="mail-unfinished",
                         daemon=True).start()

    def _answer_unfinished(self, answers: EmailAnswers, until: datetime) -> None:
        mails = [mail for mail in self.runtime.intake.received(until - UNFINISHED_MAIL, until)
                 if not answers.handled(mail)]
        if mails:
            log.warning("answering %d mail(s) received before the last stop", len(mails))
        for mail in mails:
            if self._stopping.is_set():
                return
            try:
                answers.handle(mail)
            except Exception:  # stored, and shown to organizers; the next one is still answered
                log.exception("mail %s (row %d) was stored but not answered", mail.message_id, mail.id)

    def _knowledge(self) -> None:
        """The model and the index, brought up to date with the pages; then the assistant over them.
        The refresh collects its garbage as it goes: a first ingest parses every page."""
        from bot.index.watch import KnowledgeWatcher

        with long_lived():
            store = self.runtime.open_store()
        self._refresh(store)
        self.registry.refresh()
        with long_lived():
            self.runtime.assistant.warm()  # built here, its facts read, not by the first question
        if (processes := self.runtime.answer_processes) is not None:
            with self._lock:  # known before they start: a stop while they load stops them too
                if self._stopping.is_set():
                    return
                self.processes = processes
            processes.start()  # each loads the model and the index too: ready before the first question
        with self._lock:  # never after stop(); and after this thread's imports, which it would cross
            if not self._stopping.is_set():
                self.watcher = KnowledgeWatcher(self.settings, store, self.registry).start()

    def loading(self) -> list[str]:
        """The parts not ready yet, in the order they load; one waiting for a service says why."""
        return [f"{part} ({self.waiting[part]})" if part in self.waiting else part
                for part, ready in self._ready.items() if not ready.is_set()]

    def ready(self, part: str) -> bool:
        return self._ready[part].is_set() and self.failure is None

    def wait(self, part: str) -> None:
        """Until `part` is ready; StartupError if loading failed."""
        self._ready[part].wait()
        if self.failure is not None:
            raise StartupError(f"the bot could not start: {self.failure}") from self.failure

    @property
    def assistant(self) -> Assistant:
        self.wait(ASSISTANT)
        return self.runtime.assistant

    @property
    def answer_processes(self) -> AnswerProcesses | None:
        self.wait(ASSISTANT)
        return self.runtime.answer_processes

    def open_store(self) -> KnowledgeStore:
        self.wait(ASSISTANT)
        return self.runtime.open_store()

    @property
    def db(self) -> Database:
        self.wait(DATABASE)
        return self.runtime.db

    @property
    def outbox(self) -> Outbox:
        self.wait(DATABASE)
        return self.runtime.outbox

    @property
    def sender(self) -> Sender:
        self.wait(DATABASE)
        return self.runtime.sender

    def stop(self) -> None:
        """Stop what has started; nothing starts after this. A refresh still indexing is left to end with
        the process, as a killed ingest does."""
        with self._lock:
            self._stopping.set()
        if self.watcher is not None:
            self.watcher.stop()
        for receiver in self.mail:
            receiver.stop()
        if self.leader is not None:
            self.leader.stop()  # the lease given up: another replica takes over at once
        if self.processes is not None:
            self.processes.stop()
