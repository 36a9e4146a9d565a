"""Where outbox messages go: Slack channels, the console, the mailing list."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.storage.models import OutboxMessage


class Medium(StrEnum):
    SLACK = "slack"
    EMAIL = "email"


@dataclass(frozen=True)
class Destination:
    """A medium, and for Slack the channel: stored as `slack:C123`, `slack` (no channel set) or `email` (the
    mailing list); `email:ada@example.org` is one person (a reply), the address in `channel`."""

    medium: Medium
    channel: str | None = None

    @classmethod
    def slack(cls, channel: str | None) -> Destination:
        return cls(Medium.SLACK, channel or None)

    @classmethod
    def mailbox(cls, address: str) -> Destination:
        return cls(Medium.EMAIL, address)

    @classmethod
    def parse(cls, text: str) -> Destination:
        medium, _, channel = text.partition(":")
        try:
            return cls(Medium(medium), channel or None)
        except ValueError:
            raise PermanentError(f"unknown destination '{text}' (expected slack:<channel> or email)") from None

    def __str__(self) -> str:
        return f"{self.medium}:{self.channel}" if self.channel else str(self.medium)


EMAIL = Destination(Medium.EMAIL)


class TransientError(Exception):
    """Worth trying again later: rate limits past the client's retries, 5xx, no connection."""


class PermanentError(Exception):
    """Trying again will not help (unknown channel, bad token): report it to the organizers."""


class Delivery(Protocol):
    def send(self, message: OutboxMessage) -> str | None:
        """Deliver; return an id of what was sent (a Slack ts), or raise Transient/PermanentError."""

    def already_sent(self, message: OutboxMessage) -> str | None:
        """After a crash mid-send: the id of the copy that did go out, if the destination can tell."""
