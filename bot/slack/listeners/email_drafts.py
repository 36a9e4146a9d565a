"""Drafted replies to questions that came by email: organizers Send, Edit (then send) or Ignore them.

The first decision wins (one conditional UPDATE of the reply's outbox row, audited); the draft's message
then says who decided what, and the reply goes out through the outbox like everything else."""

from __future__ import annotations

import json

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.inbound.answers import EmailAnswers
from bot.slack.blocks import (
    EMAIL_EDIT,
    EMAIL_EDIT_MODAL,
    EMAIL_IGNORE,
    EMAIL_SEND,
    email_edit_modal,
    fallback,
    notice_blocks,
)
from bot.slack.context import SlackContext


def register(app: App, ctx: SlackContext) -> None:
    def answers() -> EmailAnswers:
        return EmailAnswers(ctx.settings, ctx.parts)

    def decided(client: WebClient, channel: str, ts: str, row_id: int, by: str, send: bool,
                edited: str | None = None) -> None:
        """Decide, show who decided what on the draft's message, then send; a second decision changes nothing."""
        answering = answers()
        decision = answering.decide(row_id, by, send, edited)
        if decision is None:  # another organizer was first: this one is told, privately
            client.chat_postEphemeral(channel=channel, user=by, text=ctx.text("email_draft_decided"))
            return
        text = ctx.text("email_draft_closed", status=decision.status, by=by, sender=decision.sender)
        try:
            client.chat_update(channel=channel, ts=ts, text=fallback(text), blocks=notice_blocks(text))
        finally:  # Slack failing to show it does not hold back the reply
            answering.deliver(decision)

    def on_click(send: bool):
        def on_decision(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
            ack()
            if not ctx.organizer_pressed(client, body):
                return
            if send and answers().draft_text(int(action["value"])) == "":  # nothing to send: Edit writes it
                client.chat_postEphemeral(channel=body["channel"]["id"], user=body["user"]["id"],
                                          text=ctx.text("email_draft_empty"))
                return
            decided(client, body["channel"]["id"], body["container"]["message_ts"], int(action["value"]),
                    body["user"]["id"], send)
        return on_decision

    app.action(EMAIL_SEND)(on_click(True))
    app.action(EMAIL_IGNORE)(on_click(False))

    @app.action(EMAIL_EDIT)
    def on_edit(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
        ack()
        if not ctx.organizer_pressed(client, body):
            return
        row_id = int(action["value"])
        text = answers().draft_text(row_id)
        if text is None:  # decided meanwhile
            client.chat_postEphemeral(channel=body["channel"]["id"], user=body["user"]["id"],
                                      text=ctx.text("email_draft_decided"))
            return
        place = f"{body['channel']['id']}/{body['container']['message_ts']}"
        client.views_open(trigger_id=body["trigger_id"], view=email_edit_modal(row_id, text, place))

    @app.view(EMAIL_EDIT_MODAL)
    def on_edited(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        if (answer := ctx.organizer_answer(ack, body, view, client)) is None:
            return
        metadata = json.loads(view["private_metadata"])
        channel, _, ts = metadata["place"].partition("/")
        decided(client, channel, ts, int(metadata["row"]), body["user"]["id"], True, answer)
