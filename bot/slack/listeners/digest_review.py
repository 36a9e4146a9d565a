"""Organizers exclude questions from the next digest, or include them again, until it goes out."""

from __future__ import annotations

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.outbox.keys import digest_key, digest_review_key
from bot.slack.blocks import DIGEST_EXCLUDE, DIGEST_INCLUDE, fallback, review_blocks
from bot.slack.context import SlackContext
from bot.storage.digest_review import DigestReviewRows


def register(app: App, ctx: SlackContext) -> None:
    def choose(exclude: bool):
        def on_choice(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
            ack()
            if not ctx.organizer_pressed(client, body):
                return
            entries = DigestReviewRows(ctx.db)  # the database may still be loading when listeners register
            entry = entries.get(int(action["value"]))
            if entry is None:
                return
            if ctx.outbox.of_key(digest_key(entry.slot)):  # built already: a change would not reach it
                client.chat_postEphemeral(channel=body["channel"]["id"], user=body["user"]["id"],
                                          text=ctx.text("digest_review_closed"))
                return
            entries.exclude(entry.id, body["user"]["id"] if exclude else None)
            preview = ctx.outbox.of_key(digest_review_key(entry.slot))[0].body
            excluded = {e.id: e.excluded_by for e in entries.of_slot(entry.slot) if e.excluded_by}
            client.chat_update(channel=body["channel"]["id"], ts=body["container"]["message_ts"],
                               text=fallback(ctx.text("digest_review_changed", excluded=len(excluded))),
                               blocks=review_blocks(preview, excluded))
        return on_choice

    app.action(DIGEST_EXCLUDE)(choose(True))
    app.action(DIGEST_INCLUDE)(choose(False))
