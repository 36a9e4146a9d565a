"""Where outbox messages go: Slack channels, the console, the mailing list."""

from __future__ import annotations

from typing import Protocol

from bot.storage.models import OutboxMessage


class TransientError(Exception):
    """Worth trying again later: rate limits past the client's retries, 5xx, no connection."""


class PermanentError(Exception):
    """Trying again will not help (unknown channel, bad token): report it to the organizers."""


class Delivery(Protocol):
    def send(self, message: OutboxMessage) -> str | None:
        """Deliver; return an id of what was sent (a Slack ts), or raise Transient/PermanentError."""

    def already_sent(self, message: OutboxMessage) -> str | None:
        """After a crash mid-send: the id of the copy that did go out, if the destination can tell."""
