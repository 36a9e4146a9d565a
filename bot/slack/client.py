"""The Web API client: base URL from SLACK_API_URL, rate limits and server errors retried."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.config import Settings
from bot.deliveries.slack import SlackDelivery
from bot.slack.blocks import outbox_blocks, outbox_fallback

log = logging.getLogger(__name__)


def web_client(settings: Settings, token: str | None = None) -> WebClient:
    """Retries: 429 honouring Retry-After, 5xx and dropped connections (Bolt copies these handlers)."""
    return WebClient(
        token=token or settings.slack_bot_token,
        base_url=settings.slack_api_url,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=3),
            RateLimitErrorRetryHandler(max_retry_count=5),
            ServerErrorRetryHandler(max_retry_count=3),
        ],
    )


def permalink(client: WebClient, channel: str | None, ts: str | None) -> str | None:
    """A message's link for organizers and the FAQ; None (and a warning) when Slack won't give one."""
    if not (channel and ts):
        return None
    try:
        return client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"]
    except SlackApiError as error:
        log.warning("no permalink for %s/%s: %s", channel, ts, error.response.get("error"))
        return None


def slack_delivery(settings: Settings) -> SlackDelivery:
    """The outbox's way into Slack, posting rows as the app shows them."""
    return SlackDelivery(web_client(settings), outbox_blocks, outbox_fallback)
