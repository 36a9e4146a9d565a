"""/announce: organizers compose an announcement in a modal, see the preview, and send it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.announcements.compose import AnnouncementError, Prepared, prepare
from bot.announcements.records import record
from bot.announcements.templates import templates
from bot.outbox.keys import announcement_key
from bot.slack.blocks import (
    ANNOUNCE_COMPOSE,
    ANNOUNCE_CONFIRM,
    announce_modal,
    announce_preview,
    notice_blocks,
    notice_modal,
)
from bot.slack.context import SlackContext


def _fields(text: str) -> dict[str, str]:
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if line.strip() and not sep:
            raise AnnouncementError(f"'{line.strip()}' is not KEY=VALUE")
        if sep:
            fields[key.strip()] = value.strip()
    return fields


def register(app: App, ctx: SlackContext) -> None:
    @app.command("/announce")
    def on_announce(ack: Ack, command: dict, respond: Respond, client: WebClient) -> None:
        ack()
        if not ctx.is_organizer(command["user_id"], client):
            refusal = ctx.text("not_organizer")
            respond(text=refusal, blocks=notice_blocks(refusal))
            return
        client.views_open(trigger_id=command["trigger_id"], view=announce_modal(templates(ctx.settings.prompts_dir)))

    def prepared_from(chosen: dict) -> Prepared:
        at = chosen["at"]
        return prepare(ctx.settings, ctx.assistant.editions, chosen["template"], chosen["variables"], chosen["to"],
                       datetime.fromtimestamp(at, UTC) if at else None)

    @app.view(ANNOUNCE_COMPOSE)
    def on_compose(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        if not ctx.is_organizer(body["user"]["id"], client):
            ack(response_action="errors", errors={"template": ctx.text("not_organizer")})
            return
        values = view["state"]["values"]
        try:
            chosen = {
                "template": values["template"]["template"]["selected_option"]["value"],
                "variables": _fields(values["fields"]["fields"].get("value") or ""),
                "to": [o["value"] for o in values["destinations"]["destinations"].get("selected_options", [])],
                "at": values["at"]["at"].get("selected_date_time"),
            }
            prepared = prepared_from(chosen)
        except AnnouncementError as error:
            ack(response_action="errors", errors={"fields": str(error)})
            return
        when = f"at {prepared.send_at:%Y-%m-%d %H:%M} UTC" if chosen["at"] else "now"
        ack(response_action="push", view=announce_preview(prepared.text, json.dumps(chosen), when))

    @app.view(ANNOUNCE_CONFIRM)
    def on_confirm(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        user = body["user"]["id"]
        if not ctx.is_organizer(user, client):  # the preview has no input an error could be shown on
            ack(response_action="update", view=notice_modal("Announce", ctx.text("not_organizer")))
            return
        ack(response_action="clear")
        prepared = prepared_from(json.loads(view["private_metadata"]))  # as previewed, checked again
        announcement = record(ctx.db, ctx.outbox, prepared, user, ctx.settings.prompts_dir, ctx.settings.mail_from,
                              editions=ctx.assistant.editions)
        ctx.sender.send_due(announcement_key(announcement.id))  # one scheduled for later is the scheduler's
