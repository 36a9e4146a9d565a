"""What readers do with an answer: rate it, share an /ask answer, or hand the question to organizers."""

from __future__ import annotations

import logging

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.assistant.answer import Answer
from bot.slack.blocks import (
    AI_FEEDBACK,
    ESCALATE,
    HELPFUL,
    NOT_HELPFUL,
    SHARE,
    answer_blocks,
    answer_fallback,
    escalate_button,
    escalation_blocks,
    fallback,
    notice_blocks,
)
from bot.slack.client import permalink
from bot.slack.context import SlackContext
from bot.slack.metrics import ESCALATIONS, FEEDBACK

log = logging.getLogger(__name__)


def register(app: App, ctx: SlackContext) -> None:
    def record_vote(question_id: int, user: str, helpful: bool, respond: Respond) -> None:
        ctx.db.add_feedback(question_id, user, helpful)
        FEEDBACK.labels(str(helpful).lower()).inc()
        thanks = ctx.text("feedback_thanks", helpful=helpful)
        buttons = [] if helpful else [escalate_button(question_id)]
        respond(text=thanks, blocks=notice_blocks(thanks, *buttons), response_type="ephemeral",
                replace_original=False)

    def vote(helpful: bool):
        def on_vote(ack: Ack, body: dict, action: dict, respond: Respond) -> None:
            ack()
            record_vote(int(action["value"]), body["user"]["id"], helpful, respond)
        return on_vote

    app.action(HELPFUL)(vote(True))
    app.action(NOT_HELPFUL)(vote(False))

    @app.action(AI_FEEDBACK)
    def on_ai_feedback(ack: Ack, body: dict, action: dict, respond: Respond) -> None:
        """Slack's feedback element: its value says which button and which question (`helpful:12`)."""
        ack()
        verdict, _, question_id = action["value"].partition(":")
        record_vote(int(question_id), body["user"]["id"], verdict == "helpful", respond)

    @app.action(SHARE)
    def on_share(ack: Ack, action: dict, respond: Respond) -> None:
        ack()
        question = ctx.db.question(int(action["value"]))
        if question is None or question.answer_json is None:
            return
        answer = Answer.model_validate_json(question.answer_json)
        respond(text=answer_fallback(answer), blocks=answer_blocks(answer, question.id),
                response_type="in_channel", replace_original=False)
        respond(delete_original=True)

    @app.action(ESCALATE)
    def on_escalate(ack: Ack, body: dict, action: dict, respond: Respond, client: WebClient) -> None:
        ack()
        question = ctx.db.question(int(action["value"]))
        if question is None:
            return
        escalation, created = ctx.db.escalate(question.id, body["user"]["id"])
        if created:
            ESCALATIONS.inc()
            channel = ctx.settings.organizers_channel
            if channel:
                text = ctx.text("escalation", user=question.user_id or body["user"]["id"],
                                channel=question.channel_id, question=question.text,
                                bot_answer=question.answer if question.answered else None)
                link = permalink(client, question.channel_id, question.message_ts)
                posted = client.chat_postMessage(channel=channel, text=fallback(text),
                                                 blocks=escalation_blocks(text, escalation.id, link))
                ctx.db.update_escalation(escalation.id, organizers_channel=posted["channel"],
                                         organizers_ts=posted["ts"])
                ctx.show_closed(client, escalation.id)  # an organizer may have closed it meanwhile
            else:
                log.error("ORGANIZERS_CHANNEL is not set: escalation %s is only in the database", escalation.id)
        reply = ctx.text("escalated", created=created, threaded=bool(question.message_ts))
        respond(text=reply, blocks=notice_blocks(reply), response_type="ephemeral", replace_original=False)
