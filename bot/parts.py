"""The running bot's slow parts, as whatever answers sees them: the runtime builds each when first used,
`serve`'s startup waits for each while it loads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.assistant.assistant import Assistant
    from bot.assistant.processes import AnswerProcesses
    from bot.index.store import KnowledgeStore
    from bot.knowledge.editions import Registry
    from bot.outbox.ledger import Outbox
    from bot.outbox.sender import Sender
    from bot.storage.db import Database


class Parts(Protocol):
    @property
    def registry(self) -> Registry: ...

    @property
    def assistant(self) -> Assistant: ...

    @property
    def answer_processes(self) -> AnswerProcesses | None: ...

    def open_store(self) -> KnowledgeStore:
        """The index to write to (the assistant may read a copy of it)."""
        ...

    @property
    def db(self) -> Database: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def sender(self) -> Sender: ...
