"""The Bolt app: listeners registered on it, retried deliveries dropped, one process per workspace."""

from __future__ import annotations

import logging

from slack_bolt import App, BoltContext, BoltResponse
from slack_sdk import WebClient

from bot.slack.client import web_client
from bot.slack.context import SlackContext
from bot.slack.listeners import (announce, assistant_pane, digest_review, email_drafts, feedback, home, organizers,
                                 questions)

log = logging.getLogger(__name__)


def build_app(ctx: SlackContext, client: WebClient | None = None, *, verify_requests: bool = True) -> App:
    """`verify_requests=False` only for Socket Mode, where Slack's signature does not apply."""
    settings = ctx.settings
    app = App(
        client=client or web_client(settings),
        signing_secret=settings.slack_signing_secret.get_secret_value()
        if verify_requests and settings.slack_signing_secret else None,
        request_verification_enabled=verify_requests,
        process_before_response=False,
        listener_executor=ctx.listeners,
    )

    @app.middleware
    def shared_client(context: BoltContext, next) -> BoltResponse | None:
        """Listeners call Slack with the app's client and its kept-alive connections, not with the
        plain client Bolt makes for each request (the token is the same)."""
        context["client"] = app.client
        return next()

    @app.error
    def on_error(error: Exception, body: dict) -> None:
        """A listener's unexpected error: one log entry naming what Slack sent, never a silent loss."""
        log.error("handling %s failed: %r", body.get("type") or body.get("command") or "a request", error,
                  exc_info=error)

    for listeners in (assistant_pane, questions, feedback, organizers, digest_review, home, announce, email_drafts):
        listeners.register(app, ctx)
    return app
