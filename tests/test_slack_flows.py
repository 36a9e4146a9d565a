"""Conversations over several requests: follow-ups, feedback, organizers, limits, rate limits."""

import threading
from datetime import UTC, datetime

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk
from pydantic import ConfigDict, Field

from bot.assistant.llm import LLMAnswerer
from bot.slack.listeners.home import home_parts

from .slack_emulator import block_problems
from .slack_harness import ORGANIZER, ORGANIZERS
from .test_slack_questions import buttons_of, texts_of
from .waiting import wait_until


@pytest.fixture
def slack_database_url(database_url) -> str:
    """What the listeners store (votes, escalations, reviews) is checked on SQLite and on PostgreSQL."""
    return database_url


def test_a_follow_up_in_the_thread_uses_the_earlier_question(slack_bot):
    _, ts = slack_bot.mention("Is the page limit strict?", channel="C1")
    slack_bot.slack.wait_for("chat.postMessage")
    slack_bot.event({"type": "message", "channel_type": "channel", "channel": "C1", "user": "U1",
                     "text": "and in 2023?", "ts": "1690000100.000100", "thread_ts": ts})
    posts = slack_bot.slack.wait_for("chat.postMessage", 2)
    assert posts[1].body["thread_ts"] == ts
    assert "not a strict limit" in texts_of(posts[1].body["blocks"])
    assert "neurips2023" in texts_of(posts[1].body["blocks"]) or "neurips2023" in str(posts[1].body["blocks"])


def test_chatter_in_threads_the_bot_never_answered_is_ignored(slack_bot):
    slack_bot.event({"type": "message", "channel_type": "channel", "channel": "C1", "user": "U1",
                     "text": "when is lunch?", "ts": "1690000200.000100", "thread_ts": "1690000199.000100"})
    slack_bot.settle()
    assert slack_bot.slack.of("chat.postMessage") == []


def test_not_helpful_is_recorded_and_offers_an_organizer(slack_bot):
    slack_bot.mention("Where do I submit my paper?")
    question_id = buttons_of(slack_bot.slack.wait_for("chat.postMessage")[0].body["blocks"])["feedback_helpful"]
    slack_bot.click("feedback_not_helpful", question_id, user="U7")
    [reply] = slack_bot.slack.wait_for("response_url")
    assert reply.body["response_type"] == "ephemeral" and reply.body["replace_original"] is False
    assert buttons_of(reply.body["blocks"]) == {"escalate": question_id}
    stats = slack_bot.ctx.db.stats()
    assert (stats.helpful, stats.not_helpful) == (0, 1)


def ask_and_escalate(slack_bot, question: str) -> tuple[str, str]:
    _, ts = slack_bot.mention(question, channel="CPUB", user="UASK")
    post = slack_bot.slack.wait_for("chat.postMessage", where=lambda c: c.body["channel"] == "CPUB")[0]
    question_id = buttons_of(post.body["blocks"])["escalate"]
    slack_bot.click("escalate", question_id, user="UASK", channel="CPUB")
    slack_bot.slack.wait_for("response_url", where=lambda c: "organizers" in c.body.get("text", ""))
    return ts, question_id


def test_escalation_to_organizer_answer_to_faq_to_answered_next_time(slack_bot):
    ts, _ = ask_and_escalate(slack_bot, "How much is the registration fee?")
    org = slack_bot.slack.wait_for("chat.postMessage", where=lambda c: c.body["channel"] == ORGANIZERS)[0]
    assert "How much is the registration fee?" in texts_of(org.body["blocks"])
    assert "<https://example.slack.com/archives/CPUB/p" in str(org.body["blocks"])
    escalation_id = buttons_of(org.body["blocks"])["organizer_answer"]
    ack = slack_bot.slack.wait_for("response_url")[0]
    assert "passed your question to the organizers" in ack.body["text"]

    slack_bot.click("organizer_answer", escalation_id, user="URANDOM", channel=ORGANIZERS)
    refusal = slack_bot.slack.wait_for("chat.postEphemeral")[0]
    assert refusal.body["user"] == "URANDOM" and "only the workshop organizers" in refusal.body["text"]
    assert slack_bot.slack.of("views.open") == []

    slack_bot.click("organizer_answer", escalation_id, user=ORGANIZER, channel=ORGANIZERS)
    modal = slack_bot.slack.wait_for("views.open")[0].body["view"]
    assert modal["callback_id"] == "organizer_answer_modal" and modal["private_metadata"] == escalation_id
    answer = "The workshop has no fee of its own: registration goes through NeurIPS."
    store = slack_bot.ctx.assistant.store
    before = store.generation
    response = slack_bot.submit_view("organizer_answer_modal", escalation_id,
                                     {"answer": {"answer": {"type": "plain_text_input", "value": answer}}},
                                     user=ORGANIZER)
    assert response.status_code == 200
    in_thread = slack_bot.slack.wait_for("chat.postMessage", where=lambda c: c.body.get("thread_ts") == ts
                                         and "organizer answered" in c.body["text"])[0]
    assert in_thread.body["channel"] == "CPUB" and answer in in_thread.body["text"]
    closed = slack_bot.slack.wait_for("chat.update", where=lambda c: c.body["channel"] == ORGANIZERS)[0]
    assert f"Answered by <@{ORGANIZER}>" in closed.body["text"] and "organizer_answer" not in str(closed.body)
    # Closed may show before the answer is indexed (the escalation's poster updates its message too).
    wait_until(lambda: store.generation > before, 120, what="the organizer's answer indexed")

    try:
        slack_bot.mention("how much is the registration fee", channel="COTHER", user="UNEW")
        again = slack_bot.slack.wait_for("chat.postMessage", where=lambda c: c.body["channel"] == "COTHER")[0]
        assert answer in texts_of(again.body["blocks"]) and "escalate" not in buttons_of(again.body["blocks"])
        assert "FAQ ›" in str(again.body["blocks"])
    finally:  # the index is shared by this module's tests
        store.delete([i for i in store.collection.get(where={"kind": "faq"}, include=[])["ids"]])
        store.bump_generation()


def test_mark_resolved_closes_the_escalation(slack_bot):
    ask_and_escalate(slack_bot, "Is there a best paper award?")
    org = slack_bot.slack.wait_for("chat.postMessage", where=lambda c: c.body["channel"] == ORGANIZERS)[0]
    escalation_id = buttons_of(org.body["blocks"])["organizer_resolve"]
    slack_bot.click("organizer_resolve", escalation_id, user=ORGANIZER, channel=ORGANIZERS)
    closed = slack_bot.slack.wait_for("chat.update")[0]
    assert f"Marked resolved by <@{ORGANIZER}>" in closed.body["text"]
    assert slack_bot.ctx.db.escalation(int(escalation_id)).status == "resolved"


def test_stats_are_for_organizers_only(slack_bot):
    slack_bot.mention("Are there travel grants for students?")
    slack_bot.slack.wait_for("chat.postMessage")
    slack_bot.command("/workshop-bot", "stats", user="U1")
    refusal = slack_bot.slack.wait_for("response_url")[0]
    assert "only the workshop organizers" in refusal.body["text"]
    slack_bot.command("/workshop-bot", "stats", user=ORGANIZER)
    stats = slack_bot.slack.wait_for("response_url", 2)[1].body["text"]
    assert "Questions asked: *1*, answered from the pages: *0* (0%)" in stats
    assert "Are there travel grants for students?" in stats


def test_members_of_the_organizer_group_are_organizers(slack_bot):
    slack_bot.ctx.settings.organizer_group = "SORG"
    slack_bot.slack.usergroups["SORG"] = ["UGROUP"]
    slack_bot.command("/workshop-bot", "stats", user="UGROUP")
    assert "Workshop bot statistics" in slack_bot.slack.wait_for("response_url")[0].body["text"]


def test_app_home_shows_upcoming_deadlines_and_how_to_ask(slack_bot):
    slack_bot.event({"type": "app_home_opened", "user": "U1", "tab": "home", "ts": "1.0"})
    view = slack_bot.slack.wait_for("views.publish")[0].body
    assert view["user_id"] == "U1" and view["view"]["type"] == "home"
    assert "How to ask" in texts_of(view["view"]["blocks"])
    before = "\n".join(home_parts(slack_bot.ctx, datetime(2025, 8, 20, tzinfo=UTC)))
    assert "*Paper submission*: August 29, 2025, 23:59 AoE (UTC−12) = <!date^1756555199^" in before
    assert "(in 10 days), extended from August 22, 2025" in before
    assert "No upcoming deadlines" in "\n".join(home_parts(slack_bot.ctx, datetime(2026, 1, 1, tzinfo=UTC)))


def test_nothing_a_user_writes_can_ping_link_or_mention(slack_bot):
    sneaky = "<!channel> <!here> <!subteam^S1|@orgs> <https://evil.example|click> & when is the deadline?"
    slack_bot.mention(sneaky, channel="CPUB", user="UASK")
    post = slack_bot.slack.wait_for("chat.postMessage")[0]
    question_id = buttons_of(post.body["blocks"])["feedback_helpful"]
    slack_bot.click("escalate", question_id, user="UASK", channel="CPUB")
    org = slack_bot.slack.wait_for("chat.postMessage", where=lambda c: c.body["channel"] == ORGANIZERS)[0]
    for message in (post, org):
        posted = str(message.body["blocks"]) + message.body["text"]
        for raw in ("<!channel>", "<!here>", "<!subteam", "<https://evil"):
            assert raw not in posted
    assert "\n> click &amp; when is the deadline?" in texts_of(org.body["blocks"])  # the link's label, escaped


def test_a_429_storm_delivers_everything_honouring_retry_after(slack_bot):
    slack_bot.slack.rate_limit("chat.postMessage", times=4, retry_after=1)
    for n in range(5):
        slack_bot.mention("Is the NeurIPS checklist required?", channel=f"C{n}")
    posts = slack_bot.slack.wait_for("chat.postMessage", 5, timeout=60)
    assert sorted(p.body["channel"] for p in posts) == [f"C{n}" for n in range(5)]
    limited = slack_bot.slack.of("429:chat.postMessage")
    assert len(limited) == 4
    for channel in {c.body["channel"] for c in limited}:  # each retry waited Retry-After
        last_429 = max(c.at for c in limited if c.body["channel"] == channel)
        delivered = next(p.at for p in posts if p.body["channel"] == channel)
        assert delivered - last_429 >= 1.0


def test_answers_go_out_over_one_kept_alive_connection(slack_bot):
    slack_bot.mention("Is the NeurIPS checklist required?", channel="C1")
    slack_bot.slack.wait_for("chat.postMessage")
    slack_bot.settle()
    opened = slack_bot.slack.connections
    for n in range(2, 5):
        slack_bot.mention("Is the NeurIPS checklist required?", channel=f"C{n}")
        slack_bot.slack.wait_for("chat.postMessage", n)
        slack_bot.settle()
    assert slack_bot.slack.connections == opened


def test_a_connection_slack_closed_is_replaced_and_the_answer_posted_once(slack_bot):
    slack_bot.mention("Is the NeurIPS checklist required?", channel="C1")
    slack_bot.slack.wait_for("chat.postMessage")
    slack_bot.settle()
    slack_bot.slack.drop_connections()
    slack_bot.mention("Is the NeurIPS checklist required?", channel="C2")
    slack_bot.settle()
    assert [p.body["channel"] for p in slack_bot.slack.of("chat.postMessage")] == ["C1", "C2"]


def test_a_server_error_is_retried_and_the_answer_posted(slack_bot):
    slack_bot.slack.channel_errors["C5"] = (503, "service_unavailable", 1)
    _, ts = slack_bot.mention("Is the NeurIPS checklist required?", channel="C5")
    refused, posted = slack_bot.slack.wait_for("chat.postMessage", 2, timeout=60)
    assert refused.body["thread_ts"] == posted.body["thread_ts"] == ts
    slack_bot.settle()
    [question] = slack_bot.ctx.db.thread_history("C5", ts)
    assert question.reply_ts == posted.body["posted_ts"]


class GatedChatModel(FakeListChatModel):
    """A chat model that answers only once the test opens its gate: slow for exactly as long as the
    test needs, with no clock involved."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    gate: threading.Event = Field(default_factory=threading.Event)

    def _call(self, *args, **kwargs) -> str:
        assert self.gate.wait(120), "the test never opened the gate"
        return super()._call(*args, **kwargs)

    def _stream(self, *args, **kwargs):
        assert self.gate.wait(120), "the test never opened the gate"
        yield from super()._stream(*args, **kwargs)


class WholeReplyModel(FakeListChatModel):
    """A chat model that does not stream: its reply comes in one piece, as from many providers."""

    def _stream(self, *args, **kwargs):
        yield ChatGenerationChunk(message=AIMessageChunk(content=self._call(*args, **kwargs)))


def long_llm(slack_bot, text: str, model: FakeListChatModel | None = None) -> None:
    model = model or FakeListChatModel(responses=[text])
    slack_bot.ctx.assistant.llm = LLMAnswerer(model, slack_bot.ctx.settings.prompts_dir)


def test_over_long_answers_are_split_within_block_kit_limits(slack_bot):
    slack_bot.slack.refused["chat.startStream"] = "not_allowed"  # posted whole, as where Slack refuses streams
    text = ("The pages say many things about this topic. " * 200 + "\n\n") * 20 + "[1]"
    long_llm(slack_bot, text, WholeReplyModel(responses=[text]))
    slack_bot.mention("Tell me everything about the call for papers")
    post = slack_bot.slack.wait_for("chat.postMessage")[0]
    blocks = post.body["blocks"]
    assert block_problems(blocks) == [] and len(blocks) == 50
    assert len(post.body["text"]) <= 3000
    assert "(shortened)" in texts_of(blocks)
    slack_bot.ctx.assistant.llm = None


def test_a_slow_answer_shows_a_placeholder_that_is_updated(slack_bot):
    slack_bot.slack.refused["chat.startStream"] = "not_allowed"  # a workspace where Slack refuses streams
    slack_bot.ctx.settings.placeholder_after = 0.2
    model = GatedChatModel(responses=["Submissions are up to 4 pages [1]."])
    long_llm(slack_bot, "", model)
    response, _ = slack_bot.mention("How long can a paper be?")
    assert response.status_code == 200  # acknowledged while the answer cannot have been made yet
    placeholder = slack_bot.slack.wait_for("chat.postMessage")[0]
    assert "Looking that up" in placeholder.body["text"]
    assert slack_bot.slack.of("chat.update") == []
    model.gate.set()
    update = slack_bot.slack.wait_for("chat.update")[0]
    assert update.body["channel"] == placeholder.body["channel"]
    assert "Submissions are up to 4 pages" in texts_of(update.body["blocks"])
    slack_bot.ctx.assistant.llm = None


def test_a_slow_answer_is_streamed_with_a_task_line_at_once_and_its_sources_at_the_end(slack_bot):
    slack_bot.ctx.settings.placeholder_after = 0.2
    model = GatedChatModel(responses=["Submissions are up to 4 pages [2]."])
    long_llm(slack_bot, "", model)
    _, ts = slack_bot.mention("How long can a paper be?", channel="C1")
    [start] = slack_bot.slack.wait_for("chat.startStream")  # before any answer exists: the task line
    assert start.body["thread_ts"] == ts and start.body["channel"] == "C1"
    assert (start.body["recipient_team_id"], start.body["recipient_user_id"]) == ("T1", "U1")
    [task] = start.body["chunks"]
    assert task["type"] == "task_update" and task["status"] == "in_progress"
    model.gate.set()
    [stop] = slack_bot.slack.wait_for("chat.stopStream")
    slack_bot.settle()
    stream = start.body["posted_ts"]
    assert slack_bot.slack.streamed_text(stream) == "Submissions are up to 4 pages [1]."
    done = {"type": "task_update", "id": task["id"], "title": task["title"], "status": "complete"}
    assert done in stop.body["chunks"]
    assert texts_of(stop.body["blocks"]).strip() == "" and "[1] <" in str(stop.body["blocks"])  # sources, no text
    assert {"feedback_helpful", "feedback_not_helpful"} <= set(buttons_of(stop.body["blocks"]))
    assert slack_bot.slack.of("chat.postMessage") == slack_bot.slack.of("chat.update") == []
    [asked] = slack_bot.ctx.db.thread_history("C1", ts)
    assert asked.reply_ts == stream and asked.answer == "Submissions are up to 4 pages [1]."
    slack_bot.ctx.assistant.llm = None


def test_a_long_model_answer_is_streamed_as_it_is_written(slack_bot):
    text = "The call for papers asks for short papers [3]. " * 12 + "Reviews are double-blind [1]."
    long_llm(slack_bot, text)
    _, ts = slack_bot.mention("Tell me about submitting a paper", channel="C1")
    [stop] = slack_bot.slack.wait_for("chat.stopStream")
    slack_bot.settle()
    [start] = slack_bot.slack.of("chat.startStream")
    assert slack_bot.slack.of("chat.appendStream")  # in pieces, as the model wrote it
    shown = slack_bot.slack.streamed_text(start.body["posted_ts"])
    [asked] = slack_bot.ctx.db.thread_history("C1", ts)
    assert shown.strip() == asked.answer and "[3]" not in shown and "[1]. Reviews" in shown and "blind [2]" in shown
    assert "[2] <" in str(stop.body["blocks"])
    assert slack_bot.slack.of("chat.postMessage") == []
    slack_bot.ctx.assistant.llm = None


def test_a_stream_that_breaks_off_ends_as_the_failure_notice(slack_bot):
    model = FakeListChatModel(responses=["The pages say many things about this. " * 20], error_on_chunk_number=500)
    long_llm(slack_bot, "", model)
    slack_bot.mention("Tell me everything", channel="C1")
    [update] = slack_bot.slack.wait_for("chat.update")
    slack_bot.settle()
    [start] = slack_bot.slack.of("chat.startStream")
    assert slack_bot.slack.of("chat.stopStream")
    assert update.body["ts"] == start.body["posted_ts"]
    assert "many things" not in update.body["text"] and "went wrong" in update.body["text"].lower()
    slack_bot.ctx.assistant.llm = None


def test_extractive_answers_are_posted_in_one_message(slack_bot):
    slack_bot.ctx.settings.placeholder_after = 30  # answered long before: nothing to stream
    slack_bot.mention("Is the NeurIPS checklist required?", channel="C1")
    slack_bot.slack.wait_for("chat.postMessage")
    slack_bot.settle()
    assert not [c for c in slack_bot.slack.calls if c.method.endswith("Stream")]
