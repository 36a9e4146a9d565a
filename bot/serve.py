"""`workshop-bot serve`: reminders, then Socket Mode, HTTP mode or the console, from the credentials."""

from __future__ import annotations

import logging

from bot.assistant.assistant import Assistant
from bot.config import Settings
from bot.deliveries import Delivery
from bot.index.store import KnowledgeStore
from bot.knowledge.editions import Editions, Registry
from bot.scheduler.service import ReminderService
from bot.storage.db import Database

log = logging.getLogger(__name__)


def deliveries_for(settings: Settings, editions: Editions) -> dict[str, Delivery]:
    """Slack when a bot token is set, else the console; email by SMTP, else .eml files."""
    from bot.deliveries.email import EmailDelivery

    newest = editions.default
    email = EmailDelivery(settings, reply_to=newest.contact if newest else None)
    if not settings.slack_bot_token:
        from bot.deliveries.console import ConsoleDelivery

        return {"slack": ConsoleDelivery(), "email": email}
    from bot.slack.client import slack_delivery

    return {"slack": slack_delivery(settings), "email": email}


def start_reminders(settings: Settings, db: Database, registry: Registry) -> ReminderService:
    """Started before the model loads: a reminder never waits for the assistant."""
    service = ReminderService(settings, db, deliveries_for(settings, registry.editions), registry=registry)
    service.start()
    return service


def serve(settings: Settings, store: KnowledgeStore, db: Database, reminders: ReminderService,
          registry: Registry) -> None:
    from bot.announcements import indexer

    reminders.sender.on_sent = indexer(db, store, settings.site_base_url)  # sent announcements are knowledge
    mode = settings.slack_mode
    if mode == "console":
        from rich.console import Console

        from bot.console import run_console

        run_console(settings, store, registry, Console())
        return

    from bot.slack.app import build_app
    from bot.slack.context import SlackContext

    ctx = SlackContext(settings, Assistant.from_settings(settings, store, registry), db, sender=reminders.sender)
    if mode == "socket":
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        from bot.slack.client import web_client

        app = build_app(ctx, verify_requests=False)
        app_client = web_client(settings, settings.slack_app_token)
        SocketModeHandler(app, settings.slack_app_token, web_client=app_client).start()
        return

    import uvicorn

    from bot.slack.http import asgi_app

    log.warning("HTTP mode on %s:%s (POST /slack/events, GET /healthz, GET /metrics)", settings.host, settings.port)
    uvicorn.run(asgi_app(build_app(ctx), ctx), host=settings.host, port=settings.port, log_level="warning")
