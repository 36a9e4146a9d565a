"""Organizers: answer escalated questions (the answer becomes an FAQ entry), resolve them, see stats."""

from __future__ import annotations

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.announcements.records import decide
from bot.assistant.question import readable
from bot.slack.blocks import (
    ANSWER_MODAL,
    DRAFT_ANNOUNCE,
    DRAFT_DISMISS,
    ORGANIZER_ANSWER,
    ORGANIZER_RESOLVE,
    answer_modal,
    fallback,
    notice_blocks,
)
from bot.slack.client import permalink
from bot.slack.context import SlackContext
from bot.storage.models import AnnouncementStatus, EscalationStatus

def register(app: App, ctx: SlackContext) -> None:
    @app.action(ORGANIZER_ANSWER)
    def on_answer(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
        ack()
        if not ctx.organizer_pressed(client, body):
            return
        escalation = ctx.db.escalation(int(action["value"]))
        question = ctx.db.question(escalation.question_id) if escalation else None
        if escalation is not None and question is not None:
            client.views_open(trigger_id=body["trigger_id"], view=answer_modal(escalation.id, question.text))

    @app.view(ANSWER_MODAL)
    def on_answer_submitted(ack: Ack, body: dict, view: dict, client: WebClient) -> None:
        user = body["user"]["id"]
        if (answer := ctx.organizer_answer(ack, body, view, client)) is None:
            return
        escalation = ctx.db.close_escalation(int(view["private_metadata"]), EscalationStatus.ANSWERED, by=user,
                                             answer=answer)
        if escalation is None:
            return  # another organizer closed it first
        question = ctx.db.question(escalation.question_id)
        assert question is not None  # an escalation's question is a foreign key, and questions stay
        text = ctx.text("organizer_answer", question=question.text, answer=answer)
        if question.channel_id and question.message_ts:
            posted = client.chat_postMessage(channel=question.channel_id, text=fallback(text),
                                             thread_ts=question.thread_ts or question.message_ts,
                                             blocks=notice_blocks(text))
        else:  # asked with /ask: the answer goes to the asker directly
            assert question.user_id is not None  # /ask records who asked
            posted = client.chat_postMessage(channel=question.user_id, text=fallback(text), blocks=notice_blocks(text))
        default = ctx.assistant.editions.default  # none while the knowledge base holds no edition
        edition = question.edition or (default.id if default else None)
        # The question becomes the entry's heading, quoted in later answers: as people read it, no markup.
        entry = ctx.db.add_faq(readable(question.text), answer, edition, user,
                               permalink(client, posted["channel"], posted["ts"]))
        store = ctx.parts.open_store()  # loaded (with Chroma, imported) before this thread imports what uses it
        from bot.index.faq import index_faq

        index_faq(store, entry, fallback_url=ctx.settings.site_base_url)
        ctx.show_closed(client, escalation.id)

    @app.action(ORGANIZER_RESOLVE)
    def on_resolve(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
        ack()
        if not ctx.organizer_pressed(client, body):
            return
        escalation = ctx.db.close_escalation(int(action["value"]), EscalationStatus.RESOLVED, by=body["user"]["id"])
        if escalation is not None:
            ctx.show_closed(client, escalation.id)

    def decide_draft(approve: bool):
        def on_decision(ack: Ack, body: dict, action: dict, client: WebClient) -> None:
            ack()
            if not ctx.organizer_pressed(client, body):
                return
            user = body["user"]["id"]
            rows = decide(ctx.db, ctx.outbox, ctx.settings.prompts_dir, int(action["value"]), user, approve,
                          editions=ctx.assistant.editions)
            if rows is None:
                return  # another organizer decided first
            for row in rows:
                ctx.sender.send(row.id)
            status = AnnouncementStatus.READY if approve else AnnouncementStatus.DISMISSED
            text = ctx.text("draft_closed", status=status, by=user)
            client.chat_update(channel=body["channel"]["id"], ts=body["container"]["message_ts"],
                               text=text, blocks=notice_blocks(text))
        return on_decision

    app.action(DRAFT_ANNOUNCE)(decide_draft(True))
    app.action(DRAFT_DISMISS)(decide_draft(False))

    @app.command("/workshop-bot")
    def on_admin(ack: Ack, command: dict, respond: Respond, client: WebClient) -> None:
        ack()
        if (command.get("text") or "").strip().lower() != "stats":
            usage = ctx.text("usage", command=command["command"])
            respond(text=usage, blocks=notice_blocks(usage))
            return
        if not ctx.is_organizer(command["user_id"], client):
            refusal = ctx.text("not_organizer")
            respond(text=refusal, blocks=notice_blocks(refusal))
            return
        text = ctx.text("stats", stats=ctx.db.stats())
        respond(text=fallback(text), blocks=notice_blocks(text))
