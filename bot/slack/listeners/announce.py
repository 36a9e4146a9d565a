"""/announce: organizers compose an announcement in a modal, see the preview, and send it."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.announcements.compose import AnnouncementError, Prepared, prepare
from bot.announcements.records import record
from bot.announcements.templates import fields_of, templates
from bot.outbox.keys import announcement_key
from bot.slack.blocks import (
    ANNOUNCE_COMPOSE,
    ANNOUNCE_CONFIRM,
    ANNOUNCE_TEMPLATE,
    announce_modal,
    announce_preview,
    field_block,
    notice_blocks,
    notice_modal,
)
from bot.slack.context import SlackContext

log = logging.getLogger(__name__)


def chosen_in(view: dict, prompts_dir: Path) -> dict:
    """What the organizer chose in the compose modal: the template, its fields (only those: empty ones
    left out, so an optional field is undefined), destinations and time."""
    values = view["state"]["values"]
    template = values["template"][ANNOUNCE_TEMPLATE]["selected_option"]["value"]
    fields = fields_of(prompts_dir, template).order if template in templates(prompts_dir) else ()
    typed = {name: values.get(field_block(name), {}).get(name, {}).get("value") for name in fields}
    return {
        "template": template,
        "variables": {name: value for name, value in typed.items() if value},
        "to": [o["value"] for o in values["destinations"]["destinations"].get("selected_options", [])],
        "at": values["at"]["at"].get("selected_date_time"),
    }


def error_block(error: AnnouncementError, view: dict) -> str:
    """The input the error is about, if the modal shows it (the select's, otherwise)."""
    block = {"template": "template", "to": "destinations"}.get(error.about, field_block(error.about))
    return block if block in view["state"]["values"] else "template"


def register(app: App, ctx: SlackContext) -> None:
    def compose_modal(template: str | None = None) -> dict:
        known = templates(ctx.settings.prompts_dir)
        template = template if template in known else known[0]
        return announce_modal(known, template, fields_of(ctx.settings.prompts_dir, template))

    @app.command("/announce")
    def on_announce(ack: Ack, command: dict, respond: Respond, client: WebClient) -> None:
        ack()
        if not ctx.is_organizer(command["user_id"], client):
            refusal = ctx.text("not_organizer")
            respond(text=refusal, blocks=notice_blocks(refusal))
            return
        client.views_open(trigger_id=command["trigger_id"], view=compose_modal())

    @app.action(ANNOUNCE_TEMPLATE)
    def on_template(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
        """Another template chosen: the modal shows its fields (what was typed in a shared one stays)."""
        ack()
        view = body["view"]
        if ctx.is_organizer(body["user"]["id"], client):
            update = compose_modal(action["selected_option"]["value"])
        else:
            update = notice_modal("Announce", ctx.text("not_organizer"))
        try:  # the hash: a modal changed since (a quicker second choice) is not overwritten with an older one
            client.views_update(view_id=view["id"], hash=view.get("hash"), view=update)
        except SlackApiError as error:
            if error.response.get("error") != "hash_conflict":
                raise
            log.info("announce modal changed meanwhile; its fields follow the newer choice")

    def prepared_from(chosen: dict) -> Prepared:
        at = chosen["at"]
        return prepare(ctx.settings, ctx.assistant.editions, chosen["template"], chosen["variables"], chosen["to"],
                       datetime.fromtimestamp(at, UTC) if at else None)

    @app.view(ANNOUNCE_COMPOSE)
    def on_compose(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        if not ctx.is_organizer(body["user"]["id"], client):
            ack(response_action="errors", errors={"template": ctx.text("not_organizer")})
            return
        chosen = chosen_in(view, ctx.settings.prompts_dir)
        try:
            prepared = prepared_from(chosen)
        except AnnouncementError as error:
            ack(response_action="errors", errors={error_block(error, view): str(error)})
            return
        heading = ctx.text("announce_preview", at=prepared.send_at if chosen["at"] else None,
                           destinations=prepared.destinations, mailing_list=ctx.settings.mailing_list)
        email = ctx.text("announce_preview_email", **prepared.email) if prepared.email else None
        slack = prepared.text if "slack" in chosen["to"] else None
        ack(response_action="push", view=announce_preview(heading, slack, email, json.dumps(chosen)))

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
