"""The running bot, built once from Settings: `serve`, the console and every command take their parts
from here, so each part is made one way, in one place.

Parts are made when first used: a command that only reads the database never loads the model, and
the reminder service starts before the knowledge store has opened.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from bot.config import Settings
from bot.ops.heap import release_freed_memory

if TYPE_CHECKING:  # the database, Chroma, the embedding model, the scheduler and Slack load when asked for
    from bot.assistant.answer import Answer
    from bot.assistant.assistant import Assistant
    from bot.assistant.processes import AnswerProcesses
    from bot.deliveries import Delivery, Medium
    from bot.inbound.imap import MailboxPoller
    from bot.inbound.intake import Intake
    from bot.inbound.listener import MailListener
    from bot.inbound.mail import InboundMail
    from bot.index.mirror import Passages
    from bot.index.store import KnowledgeStore
    from bot.knowledge.editions import Edition, Registry
    from bot.outbox.ledger import Outbox
    from bot.outbox.sender import Sender
    from bot.scheduler.leader import Leader
    from bot.scheduler.service import ReminderService
    from bot.slack.context import SlackContext
    from bot.storage.db import Database
    from bot.storage.models import OutboxMessage


@contextmanager
def long_lived() -> Iterator[None]:
    """No garbage collection while the parts load: they are some 200,000 objects that live as long as the
    process, and the collector walked them all again and again (about a second of CPU per start, and
    half a second more on the way out). Once loaded, they are frozen out of every later collection, and
    what loading them freed goes back to the system."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()
        release_freed_memory()


def deliveries_for(settings: Settings, registry: Registry) -> dict[Medium, Delivery]:
    """Slack when a bot token is set, else the console; email by SMTP, else .eml files."""
    from bot.deliveries import Medium
    from bot.deliveries.email import EmailDelivery

    newest = registry.editions.default
    email = EmailDelivery(settings, reply_to=newest.contact if newest else None,
                          list_name=newest.label if newest else None)
    if not settings.slack_bot_token:
        from bot.deliveries.console import ConsoleDelivery

        return {Medium.SLACK: ConsoleDelivery(), Medium.EMAIL: email}
    from bot.slack.client import slack_delivery

    return {Medium.SLACK: slack_delivery(settings), Medium.EMAIL: email}


class Runtime:
    def __init__(self, settings: Settings, *, deliveries: dict[Medium, Delivery] | None = None,
                 store: KnowledgeStore | None = None, send_attempts: int = 4) -> None:
        """`deliveries` and `store` replace the ones made from settings (tests share one index)."""
        self.settings = settings
        self._deliveries, self._send_attempts = deliveries, send_attempts
        self._store = store
        self._mirror: Passages | None = None
        self._store_lock = threading.Lock()

    @cached_property
    def db(self) -> Database:
        from bot.storage.db import Database

        return Database.from_settings(self.settings)

    @cached_property
    def registry(self) -> Registry:
        """The process's one view of the editions, refreshed by whoever notices a change."""
        from bot.knowledge.editions import Registry

        return Registry(self.settings)

    @cached_property
    def outbox(self) -> Outbox:
        from bot.outbox.ledger import Outbox

        return Outbox(self.db)

    @cached_property
    def deliveries(self) -> dict[Medium, Delivery]:
        return self._deliveries if self._deliveries is not None else deliveries_for(self.settings, self.registry)

    @cached_property
    def sender(self) -> Sender:
        """Sent announcements become knowledge: indexed once they have gone out."""
        from bot.announcements.indexing import indexer
        from bot.outbox.sender import Sender

        return Sender(self.settings, self.outbox, self.deliveries, attempts=self._send_attempts,
                      on_sent=indexer(self.db, self.open_store, self.settings.site_base_url))

    @cached_property
    def reminders(self) -> ReminderService:
        """One reminder service, for whoever starts and stops it directly rather than under the lease."""
        return self.reminder_service()

    @cached_property
    def leader(self) -> Leader:
        """Runs the reminder service while this process holds its lease: one replica of several does."""
        from bot.scheduler.leader import Leader
        from bot.storage.lease import LeaseRows

        return Leader(LeaseRows(self.db), self.settings.leader_lease, self.reminder_service)

    @cached_property
    def intake(self) -> Intake:
        from bot.inbound.intake import Intake

        return Intake(self.db, self.settings)

    def mail_receivers(self, on_mail: Callable[[InboundMail], None]) -> list[MailListener | MailboxPoller]:
        """What receives questions by email, of those configured: the LMTP/SMTP listener (INBOUND_PORT) and
        the IMAP poller (IMAP_HOST). Not started."""
        receivers: list[MailListener | MailboxPoller] = []
        if self.settings.inbound_port is not None:
            from bot.inbound.listener import MailListener

            receivers.append(MailListener(self.settings, self.intake, on_mail))
        if self.settings.imap_host:
            try:
                from bot.inbound.imap import MailboxPoller
            except ImportError as error:
                raise RuntimeError("IMAP_HOST is set, but reading a mailbox needs the imap extra: "
                                   "pip install 'workshop-bot[imap]'") from error

            receivers.append(MailboxPoller(self.settings, self.intake, on_mail))
        return receivers

    def reminder_service(self) -> ReminderService:
        """Reminders, the digest and its review; a moved deadline gets a draft announcement for the organizers.
        A new one each time: a replica that leads again starts afresh."""
        from bot.digest import build as digest, review as digest_review
        from bot.scheduler.service import Recurring, ReminderService

        def queue_review(now: datetime) -> OutboxMessage | None:
            return digest_review.queue(self.settings, self.db, self.outbox, self.registry.editions, now,
                                       **self.digest_helpers())

        def queue_digest(now: datetime) -> OutboxMessage | None:
            return digest.waiting(digest.queue(self.settings, self.db, self.outbox, self.registry.editions, now,
                                               **self.digest_helpers()))

        recurring = [Recurring("digest", digest.trigger(self.settings), queue_digest)]
        if digest.reviewed_first(self.settings):  # the review first: at a start after both, it comes first
            recurring.insert(0, Recurring("digest-review", digest_review.trigger(self.settings), queue_review))
        return ReminderService(self.settings, self.db, self.registry, self.sender,
                               on_deadline_moved=self._draft_extension, recurring=recurring)

    def digest_helpers(self) -> dict[str, Callable[..., Any]]:
        """What the digest needs from the assistant: answers made afresh at the slot (countdowns as of
        then) and the embedding model, to merge questions asked in other words."""
        def answer(question: str, now: datetime) -> Answer:
            return self.assistant.ask(question, now=now)

        def embed(texts: list[str]) -> list[list[float]]:  # the store (and its model) opened only if needed
            return self.open_store().embeddings.embed_documents(texts)

        return {"answer": answer, "embed": embed}

    def _draft_extension(self, edition: Edition, title: str, old: datetime, new: datetime) -> OutboxMessage | None:
        from bot.announcements.records import draft_extension

        return draft_extension(self.settings, self.db, self.outbox, edition, title, old, new)

    def open_store(self, rebuild: bool = False) -> KnowledgeStore:
        """The knowledge index, opened once (loading the embedding model); raises IndexMismatchError when
        it was built with another model."""
        with self._store_lock:
            if self._store is None:
                from bot.index.embeddings import load_embeddings
                from bot.index.store import KnowledgeStore

                self._store = KnowledgeStore(self.settings, load_embeddings(self.settings.embeddings),
                                             rebuild=rebuild)
            return self._store

    def open_passages(self) -> Passages:
        """What answering reads: the store once it is open; before, the index's read copy when it has one
        (a cold `ask` then never loads Chroma), else the store. Raises IndexMismatchError as open_store."""
        with self._store_lock:
            if self._store is not None:
                return self._store
            if self._mirror is None:
                from bot.index.embeddings import load_embeddings
                from bot.index.mirror import open_mirror

                self._mirror = open_mirror(self.settings, load_embeddings(self.settings.embeddings))
            if self._mirror is not None:
                return self._mirror
        return self.open_store()

    @cached_property
    def assistant(self) -> Assistant:
        from bot.assistant.assistant import Assistant

        return Assistant.from_settings(self.settings, self.open_passages(), self.registry)

    @cached_property
    def answer_processes(self) -> AnswerProcesses | None:
        """The worker processes that compute Slack's answers (ANSWER_PROCESSES), not started yet; None
        when answers are computed in this process's threads."""
        if not self.settings.answer_processes:
            return None
        from bot.assistant.processes import AnswerProcesses

        return AnswerProcesses(self.settings, self.settings.answer_processes)

    @cached_property
    def slack(self) -> SlackContext:
        """What the Slack listeners share: the assistant, the database, the outbox and its sender, each
        built when first used."""
        from bot.slack.context import SlackContext

        return SlackContext(self.settings, self)
