"""Slack's assistant pane: suggested questions built from the facts of the edition the user is looking at,
a status line and a title while answering, and the same answers, privacy and once-only handling as DMs."""

from __future__ import annotations

import shutil

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from sqlalchemy import select

from bot.assistant.llm import LLMAnswerer

from bot.storage.models import Question

from .conftest import KNOWLEDGE
from .slack_harness import bot_settings, in_process_bot

PANE = "D7"
THREAD = "1729999327.187299"


@pytest.fixture
def pane_bot(tmp_path, slack_store, slack_emulator):
    """The bot over a copy of knowledge/ whose 2023 edition has a channel of its own (C2023)."""
    knowledge = shutil.copytree(KNOWLEDGE, tmp_path / "knowledge")
    event = knowledge / "neurips2023" / "event.yaml"
    event.write_text(event.read_text() + "\nslack:\n  announcements: C2023\n")
    settings = bot_settings(slack_store.settings.bot_data_dir, slack_emulator, f"sqlite:///{tmp_path / 'bot.db'}")
    with in_process_bot(settings.model_copy(update={"knowledge_dir": knowledge}), slack_store, slack_emulator) as bot:
        yield bot


def thread_event(kind: str, channel_viewed: str | None) -> dict:
    context = {"channel_id": channel_viewed, "team_id": "T1"} if channel_viewed else {}
    return {"type": kind, "assistant_thread": {"user_id": "U1", "context": context, "channel_id": PANE,
                                               "thread_ts": THREAD}}


def question(text: str, ts: str) -> dict:
    return {"type": "message", "channel_type": "im", "channel": PANE, "user": "U1", "text": text, "ts": ts,
            "thread_ts": THREAD}


def test_a_thread_opened_beside_an_editions_channel_suggests_questions_about_that_edition(pane_bot):
    editions = pane_bot.ctx.editions
    pane_bot.event(thread_event("assistant_thread_started", "C2023"))
    [prompts] = pane_bot.slack.wait_for("assistant.threads.setSuggestedPrompts")
    expected = pane_bot.ctx.assistant.suggest(editions.get("neurips2023"))
    assert expected and [p["message"] for p in prompts.body["prompts"]] == expected
    assert prompts.body["channel_id"] == PANE and prompts.body["thread_ts"] == THREAD
    assert prompts.body["title"] == f"Ask about {editions.get('neurips2023').label}"

    pane_bot.slack.channels_without_bot.add("C2023")  # a channel the bot is not in says nothing
    pane_bot.slack.clear()
    pane_bot.event(thread_event("assistant_thread_context_changed", "C2023"))
    [prompts] = pane_bot.slack.wait_for("assistant.threads.setSuggestedPrompts")
    assert prompts.body["title"] == f"Ask about {editions.default.label}"


def test_a_question_in_the_pane_gets_a_title_a_status_cleared_after_and_one_private_answer(pane_bot):
    pane_bot.event(question("Is the NeurIPS checklist required?", "1729999400.000100"))
    pane_bot.event(question("Is the NeurIPS checklist required?", "1729999400.000100"))  # Slack's retry
    [answer] = pane_bot.slack.wait_for("chat.postMessage")
    pane_bot.settle()
    assert answer.body["channel"] == PANE and answer.body["thread_ts"] == THREAD
    assert "checklist is NOT required" in answer.body["text"]
    calls = [c.method for c in pane_bot.slack.calls if c.method.startswith(("assistant.", "chat."))]
    assert calls == ["assistant.threads.setTitle", "assistant.threads.setStatus", "chat.postMessage",
                     "assistant.threads.setStatus"]
    title, busy, cleared = (c.body for c in pane_bot.slack.calls if c.method.startswith("assistant."))
    assert title["title"] == "Is the NeurIPS checklist required?"
    assert busy["status"] and busy["loading_messages"] and cleared["status"] == ""
    with pane_bot.ctx.db.session() as session:
        [asked] = session.scalars(select(Question).where(Question.channel_id == PANE)).all()
    assert asked.via == "assistant" and not asked.public  # never quoted in the digest

    pane_bot.slack.clear()  # a follow-up: read with the question before it; the title stays
    pane_bot.event(question("and what about the page limit?", "1729999500.000100"))
    pane_bot.slack.wait_for("chat.postMessage")
    pane_bot.settle()
    assert "assistant.threads.setTitle" not in [c.method for c in pane_bot.slack.calls]


def test_a_pane_answer_carries_slacks_feedback_element_which_records_the_vote(pane_bot):
    pane_bot.event(question("Where do I submit my paper?", "1729999800.000100"))
    [answer] = pane_bot.slack.wait_for("chat.postMessage")
    blocks = answer.body["blocks"]
    [element] = next(b for b in blocks if b["type"] == "context_actions")["elements"]
    assert element["type"] == "feedback_buttons" and element["action_id"] == "feedback_ai"
    assert not any(e.get("action_id") == "feedback_helpful" for b in blocks for e in b.get("elements", []))
    question_id = element["negative_button"]["value"].removeprefix("not_helpful:")
    assert element["positive_button"]["value"] == f"helpful:{question_id}"

    pane_bot.click("feedback_ai", f"not_helpful:{question_id}", user="U7", channel=PANE)
    [thanks] = pane_bot.slack.wait_for("response_url")
    assert thanks.body["response_type"] == "ephemeral"
    assert [e["value"] for b in thanks.body["blocks"] if b["type"] == "actions" for e in b["elements"]] == [
        question_id]  # the organizers, offered as after "Not helpful" anywhere
    stats = pane_bot.ctx.db.stats()
    assert (stats.helpful, stats.not_helpful) == (0, 1)


def test_the_status_is_cleared_when_the_answer_cannot_be_posted(pane_bot):
    pane_bot.slack.channel_errors[PANE] = (200, "channel_not_found", -1)
    pane_bot.event(question("Where is the workshop held?", "1729999600.000100"))
    pane_bot.slack.wait_for("chat.postMessage")
    pane_bot.settle()
    statuses = [c.body["status"] for c in pane_bot.slack.calls if c.method == "assistant.threads.setStatus"]
    assert len(statuses) == 2 and statuses[-1] == ""


def test_a_model_answer_streams_into_the_pane_thread_and_ends_with_the_feedback_element(pane_bot):
    written = "Papers may be up to four pages, not counting references or appendices [2]. " * 5
    pane_bot.ctx.assistant.llm = LLMAnswerer(FakeListChatModel(responses=[written]), pane_bot.ctx.settings.prompts_dir)
    pane_bot.event(question("Tell me about the paper format", "1729999900.000100"))
    [stop] = pane_bot.slack.wait_for("chat.stopStream")
    pane_bot.settle()
    [start] = pane_bot.slack.of("chat.startStream")
    assert (start.body["channel"], start.body["thread_ts"]) == (PANE, THREAD)
    assert pane_bot.slack.streamed_text(start.body["posted_ts"]).strip() == written.replace("[2]", "[1]").strip()
    assert [b["type"] for b in stop.body["blocks"]] == ["context", "context_actions"]  # sources, then feedback
    calls = [c.method for c in pane_bot.slack.calls if c.method.startswith(("assistant.", "chat."))]
    assert calls[-1] == "assistant.threads.setStatus" and calls.index("chat.stopStream") < len(calls) - 1
    assert pane_bot.slack.of("chat.postMessage") == []
    pane_bot.ctx.assistant.llm = None


@pytest.mark.slow  # the HTTP layer: a real server
def test_over_http_a_pane_thread_gets_its_questions_and_its_answer(http_bot):
    assert http_bot.event(thread_event("assistant_thread_started", None)).status_code == 200
    [prompts] = http_bot.slack.wait_for("assistant.threads.setSuggestedPrompts")
    assert [p["message"] for p in prompts.body["prompts"]] == http_bot.ctx.assistant.suggest(
        http_bot.ctx.editions.default)
    assert http_bot.event(question("Where is the workshop held?", "1729999700.000100")).status_code == 200
    [answer] = http_bot.slack.wait_for("chat.postMessage")
    assert answer.body["thread_ts"] == THREAD and "San Diego Convention Center" in answer.body["text"]
    http_bot.settle()
    assert [c.body["status"] for c in http_bot.slack.of("assistant.threads.setStatus")][-1] == ""
