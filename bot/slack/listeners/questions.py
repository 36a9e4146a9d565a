"""Questions: mentions (answered in the thread), DMs, follow-ups in the bot's threads, and /ask."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import TimeoutError as AnswerTimeout
from dataclasses import dataclass
from typing import TypeVar, cast

from slack_bolt import Ack, App, Respond, SayStream
from slack_sdk import WebClient

from bot.assistant.question import QuestionError, readable
from bot.slack.blocks import answer_blocks, answer_fallback, answer_tail, notice_blocks
from bot.slack.context import SlackContext
from bot.slack.metrics import ANSWER_SECONDS, QUESTIONS, REDELIVERIES
from bot.slack.streaming import StreamedAnswer

log = logging.getLogger(__name__)

Posted = tuple[str, str]  # (channel, ts) of the bot's message
PRIVATE = {"dm", "assistant"}  # asked where only the asker sees: never quoted in the digest


Reply = TypeVar("Reply", bound=Posted | None)  # where a reply went: None for response_url replies


@dataclass(frozen=True)
class Claimed:
    question_id: int
    history: list[str]  # the thread's earlier questions, oldest first


def answer_with_placeholder(ctx: SlackContext, question: str, history: list[str] | None,
                            post: Callable[[str, list[dict]], Reply], replace: Callable[[Reply, str, list[dict]], None],
                            question_id: int, via: str, *, shareable: bool = False, placeholder: bool = True,
                            ai_feedback: bool = False, stream: StreamedAnswer | None = None) -> None:
    """Post the answer; if it takes longer than PLACEHOLDER_AFTER, post a placeholder and update it
    (unless `placeholder` is False: the assistant pane shows a status line instead, and its answers
    carry Slack's feedback element, `ai_feedback`). With `stream`, a model's answer is streamed as it is
    written, and a slow answer shows a task line in the stream rather than a placeholder."""
    started = time.perf_counter()
    future = ctx.answer(question, history, on_text=stream.text if stream else None)
    shown: list[Reply] = []  # the placeholder, once posted

    def deliver(text: str, blocks: list[dict], answer_text: str | None = None, tail: list[dict] | None = None) -> Reply:
        if stream is not None and (streamed := stream.end(answer_text, text, blocks, tail or [])) is not None:
            return cast(Reply, streamed)
        if shown:
            replace(shown[0], text, blocks)
            return shown[0]
        return post(text, blocks)

    try:
        try:
            answer = future.result(timeout=ctx.settings.placeholder_after if placeholder else None)
        except AnswerTimeout:
            if stream is None or not stream.working(ctx.text("reading")):
                waiting = ctx.text("placeholder")
                shown.append(post(waiting, notice_blocks(waiting)))
            answer = future.result()
    except QuestionError as error:
        message = ctx.text("error", error=str(error))
        deliver(message, notice_blocks(message))
        return
    except Exception:  # never leave "thinking…" standing, nor the asker without a word
        log.exception("answering question %s", question_id)
        message = ctx.text("answer_failed")
        deliver(message, notice_blocks(message))
        return
    ANSWER_SECONDS.observe(time.perf_counter() - started)
    QUESTIONS.labels(via, str(answer.answered).lower()).inc()
    recorded = {"answer": answer.text, "answer_json": answer.model_dump_json(), "answered": answer.answered,
                "edition": answer.edition, "confidence": answer.confidence}
    blocks = answer_blocks(answer, question_id, shareable=shareable, ai_feedback=ai_feedback)
    if shareable:  # its Share button reads the stored answer, and may be pressed the moment it shows
        ctx.db.update_question(question_id, **recorded)  # (an ephemeral reply has no place to record)
        deliver(answer_fallback(answer), blocks)
        return
    handle: Reply | None = None
    try:
        handle = deliver(answer_fallback(answer), blocks, answer.text,
                         answer_tail(answer, question_id, ai_feedback=ai_feedback))
    finally:  # one write: the answer and where it went; the answer is kept even when it could not be posted
        where = {"reply_channel": handle[0], "reply_ts": handle[1]} if handle is not None else {}
        ctx.db.update_question(question_id, **recorded, **where)


def claim_message(ctx: SlackContext, client: WebClient, event: dict, via: str) -> Claimed | None:
    """Record a question asked in a message; None when it was recorded before (Slack sent it again, or as
    both `message` and `app_mention`): it is answered once."""
    channel, root = event["channel"], event.get("thread_ts")
    history = [q.text for q in ctx.db.thread_history(channel, root)] if root else []
    question_id = ctx.db.record_question(via=via, user_id=event.get("user"), channel_id=channel,
                                         message_ts=event["ts"], thread_ts=root, text=readable(event.get("text", "")),
                                         public=via not in PRIVATE and ctx.is_public(channel, client))
    if question_id is None:
        REDELIVERIES.inc()
        return None
    return Claimed(question_id, history)


def answer_message(ctx: SlackContext, client: WebClient, event: dict, via: str, claimed: Claimed,
                   say_stream: SayStream | None, *, pane: bool = False) -> None:
    """Answer a recorded question: in its thread (a DM's first question: in the DM), streamed there when
    it is slow to come (`say_stream`). In the assistant pane (`pane`), with no placeholder (its status
    line shows instead) and Slack's feedback element."""
    channel, root = event["channel"], event.get("thread_ts")
    reply_thread = root or (event["ts"] if via not in PRIVATE else None)
    stream = StreamedAnswer(say_stream, client, channel, reply_thread) if say_stream and reply_thread else None

    def post(text: str, blocks: list[dict]) -> Posted:
        response = client.chat_postMessage(channel=channel, thread_ts=reply_thread, text=text, blocks=blocks,
                                           unfurl_links=False)
        return response["channel"], response["ts"]

    def replace(reply: Posted, text: str, blocks: list[dict]) -> None:
        client.chat_update(channel=reply[0], ts=reply[1], text=text, blocks=blocks)

    answer_with_placeholder(ctx, event.get("text", ""), claimed.history, post, replace, claimed.question_id, via,
                            placeholder=not pane, ai_feedback=pane, stream=stream)


def message_question(ctx: SlackContext, client: WebClient, event: dict, via: str,
                     say_stream: SayStream | None) -> None:
    if claimed := claim_message(ctx, client, event, via):
        answer_message(ctx, client, event, via, claimed, say_stream)


def from_a_person(event: dict) -> bool:
    return not event.get("bot_id") and not event.get("subtype") and bool(event.get("user"))


def register(app: App, ctx: SlackContext) -> None:
    @app.event("app_mention")
    def on_mention(event: dict, client: WebClient, say_stream: SayStream | None) -> None:
        if from_a_person(event):
            message_question(ctx, client, event, "mention", say_stream)

    @app.event("message")
    def on_message(event: dict, client: WebClient, say_stream: SayStream | None) -> None:
        if not from_a_person(event):
            return
        if event.get("channel_type") == "im":
            message_question(ctx, client, event, "dm", say_stream)
        elif event.get("thread_ts") and ctx.db.thread_history(event["channel"], event["thread_ts"]):
            message_question(ctx, client, event, "thread", say_stream)

    @app.command("/ask")
    def on_ask(ack: Ack, command: dict, respond: Respond) -> None:
        ack()
        text = command.get("text", "").strip()
        if not text:
            usage = ctx.text("usage", command="/ask")
            respond(text=usage, blocks=notice_blocks(usage))
            return
        question_id = ctx.db.record_question(via="command", user_id=command.get("user_id"), public=False,
                                             channel_id=command.get("channel_id"), text=readable(text))
        assert question_id is not None  # a command has no message ts: nothing it could be a second copy of

        def post(message: str, blocks: list[dict]) -> None:
            respond(text=message, blocks=blocks, response_type="ephemeral")

        def replace(_reply: None, message: str, blocks: list[dict]) -> None:
            respond(text=message, blocks=blocks, response_type="ephemeral", replace_original=True)

        answer_with_placeholder(ctx, text, None, post, replace, question_id, "command", shareable=True)
