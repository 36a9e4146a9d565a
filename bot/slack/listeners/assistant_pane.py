"""Slack's assistant pane (Agents & AI Apps): questions worth asking when a thread opens, for the edition
whose channel the user is looking at; a status line and a title while a question is answered.

A question asked there is recorded and answered as a DM is (`questions.claim_message` and
`answer_message`): the same assistant, the same reading of the thread's earlier questions, the same
escalation, the same privacy (a pane thread is private: never in the digest) and the same once-only
answer to Slack's retries. Bolt's `Assistant`
takes every threaded DM, so a reply in an ordinary DM thread comes here too: Slack then refuses the
status and the title (the feature is off, or the thread is not a pane's), and the answer goes as before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from slack_bolt import App, Assistant, SayStream, SetStatus, SetSuggestedPrompts, SetTitle
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.assistant.question import readable
from bot.slack.context import SlackContext
from bot.slack.listeners.questions import answer_message, claim_message, from_a_person

log = logging.getLogger(__name__)
TITLE_CHARS = 80


def register(app: App, ctx: SlackContext) -> None:
    pane = Assistant()

    def suggest(set_suggested_prompts: SetSuggestedPrompts, client: WebClient, context: dict | None) -> None:
        edition = ctx.edition_viewed((context or {}).get("channel_id"), client)
        if edition is None:
            return
        prompts = ctx.assistant.suggest(edition)
        if prompts:
            set_suggested_prompts(prompts=prompts, title=ctx.text("assistant_prompts", edition=edition.label))

    @pane.thread_started
    def on_thread_started(payload: dict, set_suggested_prompts: SetSuggestedPrompts, client: WebClient) -> None:
        suggest(set_suggested_prompts, client, payload["assistant_thread"].get("context"))

    @pane.thread_context_changed
    def on_context_changed(payload: dict, set_suggested_prompts: SetSuggestedPrompts, client: WebClient) -> None:
        suggest(set_suggested_prompts, client, payload["assistant_thread"].get("context"))

    @pane.user_message
    def on_question(payload: dict, client: WebClient, set_status: SetStatus, set_title: SetTitle,
                    say_stream: SayStream | None) -> None:
        if not from_a_person(payload) or (claimed := claim_message(ctx, client, payload, "assistant")) is None:
            return  # a retry: the first delivery shows the status and answers
        if not claimed.history:  # the thread's first question names it
            _quietly("title", lambda: set_title(readable(payload.get("text", ""))[:TITLE_CHARS]))
        with _status(set_status, ctx):
            answer_message(ctx, client, payload, "assistant", claimed, say_stream, pane=True)

    app.assistant(pane)


@contextmanager
def _status(set_status: SetStatus, ctx: SlackContext) -> Iterator[None]:
    """The status line while answering, cleared on every way out (an error's included)."""
    status, *loading = ctx.text("assistant_status").splitlines()
    _quietly("status", lambda: set_status(status, loading_messages=[line for line in loading if line.strip()] or None))
    try:
        yield
    finally:
        _quietly("status", lambda: set_status(""))


def _quietly(what: str, call: Callable[[], object]) -> None:
    """A status or title Slack refuses (not a pane's thread, or no AI-app feature) changes nothing else."""
    try:
        call()
    except SlackApiError as error:
        log.debug("Slack refused the thread's %s: %s", what, error.response.get("error"))
