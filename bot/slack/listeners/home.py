"""App Home: the current edition's upcoming deadlines, and how to ask."""

from __future__ import annotations

from datetime import UTC, datetime

from slack_bolt import App
from slack_sdk import WebClient

from bot.events.facts import facts
from bot.slack.blocks import home_view
from bot.slack.context import SlackContext


def home_parts(ctx: SlackContext, now: datetime) -> list[str]:
    edition = ctx.assistant.editions.default
    event = edition.event if edition else None
    upcoming = [f for f in facts(event, event.deadlines, now) if not f.passed] if event else []
    text = ctx.text(
        "home", edition=edition.label if edition else "Workshop", venue=event.venue if event else None,
        day=event.date if event else None, deadlines=upcoming, now=now,
        contact=ctx.assistant.contact(edition) if edition else None,
    )
    return [part.strip() for part in text.split("\n---\n")]


def register(app: App, ctx: SlackContext) -> None:
    @app.event("app_home_opened")
    def on_home(event: dict, client: WebClient) -> None:
        if event.get("tab", "home") == "home":
            client.views_publish(user_id=event["user"], view=home_view(home_parts(ctx, datetime.now(UTC))))
