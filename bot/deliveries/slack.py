"""Outbox messages to Slack channels, each carrying its key in the message metadata."""

from __future__ import annotations

from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.deliveries import Destination, PermanentError, TransientError
from bot.storage.models import OutboxMessage

EVENT_TYPE = "workshop_bot_outbox"
TRANSIENT = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}


class SlackDelivery:
    """Posts outbox rows; how a row looks in Slack (its blocks, buttons per kind, its notification text)
    is the Slack app's to say, handed in here, so deliveries never depend on the app."""

    def __init__(self, client: WebClient, blocks: Callable[[OutboxMessage], list[dict]],
                 fallback: Callable[[OutboxMessage], str]) -> None:
        self.client = client
        self.blocks = blocks
        self.fallback = fallback

    @staticmethod
    def channel(message: OutboxMessage) -> str:
        channel = Destination.parse(message.destination).channel
        if not channel:
            raise PermanentError("no Slack channel: set ANNOUNCEMENTS_CHANNEL or the edition's slack.announcements")
        return channel

    def send(self, message: OutboxMessage) -> str | None:
        try:
            response = self.client.chat_postMessage(
                channel=self.channel(message), text=self.fallback(message), blocks=self.blocks(message),
                unfurl_links=False, metadata={"event_type": EVENT_TYPE, "event_payload": {"key": message.key}},
            )
        except SlackApiError as error:
            code = error.response.get("error", "")
            raise (TransientError if code in TRANSIENT or error.response.status_code >= 500
                   else PermanentError)(f"Slack said {code}") from error
        except (SlackClientError, OSError) as error:
            raise TransientError(f"Slack unreachable: {error}") from error
        return response["ts"]

    def already_sent(self, message: OutboxMessage) -> str | None:
        """Look for our key in the channel's messages since the attempt started."""
        try:
            history = self.client.conversations_history(
                channel=self.channel(message), oldest=str(message.created_at.timestamp() - 60),
                include_all_metadata=True, limit=200,
            )
        except (SlackApiError, SlackClientError, OSError):
            return None
        messages: list[dict] = history.get("messages", [])
        for posted in messages:
            if (posted.get("metadata") or {}).get("event_payload", {}).get("key") == message.key:
                return posted["ts"]
        return None
