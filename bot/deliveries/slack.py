"""Outbox messages to Slack channels, each carrying its key in the message metadata."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.deliveries import PermanentError, TransientError
from slack_sdk.models.blocks import ButtonElement

from bot.slack.blocks import DRAFT_ANNOUNCE, DRAFT_DISMISS, fallback, notice_blocks
from bot.storage.models import OutboxMessage

EVENT_TYPE = "workshop_bot_outbox"
TRANSIENT = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}


class SlackDelivery:
    def __init__(self, client: WebClient) -> None:
        self.client = client

    @staticmethod
    def channel(message: OutboxMessage) -> str:
        _, _, channel = message.destination.partition(":")
        if not channel:
            raise PermanentError("no Slack channel: set ANNOUNCEMENTS_CHANNEL or the edition's slack.announcements")
        return channel

    @staticmethod
    def blocks(message: OutboxMessage) -> list[dict]:
        if message.kind == "extension_draft":  # the organizers decide with one click
            draft = message.key.split(":")[1]
            return notice_blocks(message.body,
                                 ButtonElement(text="Announce", action_id=DRAFT_ANNOUNCE, value=draft, style="primary"),
                                 ButtonElement(text="Dismiss", action_id=DRAFT_DISMISS, value=draft))
        return notice_blocks(message.body)

    def send(self, message: OutboxMessage) -> str | None:
        try:
            response = self.client.chat_postMessage(
                channel=self.channel(message), text=fallback(message.body), blocks=self.blocks(message),
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
        for posted in history.get("messages", []):
            if (posted.get("metadata") or {}).get("event_payload", {}).get("key") == message.key:
                return posted["ts"]
        return None
