"""People ask in Slack; assert on what the bot actually posted to the (emulated) Web API."""

import time

import pytest

from .slack_emulator import BOT_USER
from .slack_harness import SECRET


def texts_of(blocks: list[dict]) -> str:
    return "\n".join((b.get("text") or {}).get("text", "") for b in blocks)


def buttons_of(blocks: list[dict]) -> dict[str, str]:
    return {e["action_id"]: e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"]}


def test_a_mention_is_answered_in_its_thread_with_sources_and_buttons(slack_bot):
    response, ts = slack_bot.mention("Do submissions need to be anonymized?", channel="CPUB")
    assert response.status_code == 200
    [post] = slack_bot.slack.wait_for("chat.postMessage")
    assert post.body["channel"] == "CPUB" and post.body["thread_ts"] == ts
    blocks = post.body["blocks"]
    assert "do not have to be anonymized" in texts_of(blocks)
    assert "do not have to be anonymized" in post.body["text"]
    context = next(b for b in blocks if b["type"] == "context")["elements"][0]["text"]
    assert context.startswith("[1] <https://mlforsystems.org/neurips2025/call_for_papers.html|Call for Papers ›")
    assert context.endswith("· neurips2025")
    assert set(buttons_of(blocks)) == {"feedback_helpful", "feedback_not_helpful"}


def test_deadline_times_show_in_each_readers_zone_next_to_aoe(slack_bot):
    slack_bot.mention("When is the submission deadline?")
    text = texts_of(slack_bot.slack.wait_for("chat.postMessage")[0].body["blocks"])
    assert "August 29, 2025 (extended from August 22, 2025), 23:59 AoE (UTC−12)" in text
    assert "<!date^1756555140^{date_short_pretty} at {time}|2025-08-30 11:59 UTC> (your time)" in text


def test_a_direct_message_is_answered_in_the_dm(slack_bot):
    slack_bot.event({"type": "message", "channel_type": "im", "channel": "D1", "user": "U2",
                     "text": "Is the NeurIPS checklist required?", "ts": "1690000000.000100"})
    [post] = slack_bot.slack.wait_for("chat.postMessage")
    assert post.body["channel"] == "D1" and not post.body.get("thread_ts")
    assert "checklist is NOT required" in texts_of(post.body["blocks"])


def test_ask_command_acks_then_answers_ephemerally_with_a_share_button(slack_bot):
    response = slack_bot.command("/ask", "Is the page limit strict?")
    assert response.status_code == 200 and response.text == ""  # the ack; the answer comes to response_url
    [reply] = slack_bot.slack.wait_for("response_url")
    assert reply.body["response_type"] == "ephemeral"
    assert "strict limit" in texts_of(reply.body["blocks"])
    question_id = buttons_of(reply.body["blocks"])["share_answer"]
    slack_bot.click("share_answer", question_id, channel="C1")
    shared = slack_bot.slack.wait_for("response_url", 3)
    in_channel = [c for c in shared if c.body.get("response_type") == "in_channel"]
    assert in_channel and "strict limit" in texts_of(in_channel[0].body["blocks"])
    assert "share_answer" not in buttons_of(in_channel[0].body["blocks"])
    assert any(c.body.get("delete_original") for c in shared)


def test_an_unanswered_question_offers_an_organizer(slack_bot):
    slack_bot.mention("How much is the registration fee?")
    [post] = slack_bot.slack.wait_for("chat.postMessage")
    assert "don't answer this" in texts_of(post.body["blocks"])
    assert "escalate" in buttons_of(post.body["blocks"])


def test_the_same_message_as_message_and_app_mention_is_answered_once(slack_bot):
    _, ts = slack_bot.mention("Is the page limit strict?", channel="C9")
    slack_bot.event({"type": "message", "channel_type": "channel", "channel": "C9", "user": "U1",
                     "text": f"<@{BOT_USER}> Is the page limit strict?", "ts": ts, "thread_ts": None})
    slack_bot.slack.wait_for("chat.postMessage")
    slack_bot.settle()
    assert len(slack_bot.slack.of("chat.postMessage")) == 1


def test_a_retried_delivery_is_acknowledged_and_not_answered_again(slack_bot):
    first, _ = slack_bot.mention("Is the page limit strict?", event_id="EvSAME", ts="1690000001.000001")
    retry, _ = slack_bot.mention("Is the page limit strict?", event_id="EvSAME", ts="1690000001.000001",
                                 headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert first.status_code == retry.status_code == 200
    slack_bot.slack.wait_for("chat.postMessage")
    slack_bot.settle()
    assert len(slack_bot.slack.of("chat.postMessage")) == 1


def test_the_bot_never_answers_itself_or_other_bots(slack_bot):
    slack_bot.event({"type": "message", "channel_type": "im", "channel": "D1", "user": BOT_USER, "bot_id": "BBOT",
                     "text": "When is the deadline?", "ts": "1690000002.000100"})
    slack_bot.event({"type": "message", "subtype": "bot_message", "channel_type": "im", "channel": "D1",
                     "bot_id": "BOTHER", "text": "When is the deadline?", "ts": "1690000003.000100"})
    slack_bot.settle()
    assert slack_bot.slack.of("chat.postMessage") == []


def test_a_bad_signature_gets_401_and_does_nothing(slack_bot):
    response, _ = slack_bot.mention("When is the deadline?", secret="not-the-secret")
    assert response.status_code == 401
    slack_bot.settle()
    assert slack_bot.slack.of("chat.postMessage") == []


def test_a_request_older_than_five_minutes_gets_401(slack_bot):
    response, _ = slack_bot.mention("When is the deadline?", timestamp=int(time.time()) - 301)
    assert response.status_code == 401
    slack_bot.settle()
    assert slack_bot.slack.of("chat.postMessage") == []
    assert SECRET  # the right secret: only the age is wrong


@pytest.mark.slow  # the HTTP layer: a real server
def test_health_readiness_and_metrics_endpoints(http_bot):
    base = http_bot.url.removesuffix("/slack/events")
    assert http_bot.http.get(f"{base}/healthz").json() == {"ok": True}
    ready = http_bot.http.get(f"{base}/readyz").json()
    assert ready["ready"] is True and ready["passages"] > 50 and ready["editions"][0] == "neurips2025"
    http_bot.mention("Is the page limit strict?")
    http_bot.slack.wait_for("chat.postMessage")
    metrics = http_bot.http.get(f"{base}/metrics").text
    assert 'workshop_bot_questions_total{answered="true",via="mention"}' in metrics
    assert "workshop_bot_answer_seconds_bucket" in metrics


def test_an_empty_mention_gets_a_clear_error_not_silence(slack_bot):
    slack_bot.mention("   ")
    [post] = slack_bot.slack.wait_for("chat.postMessage")
    assert "Sorry: the question is empty" in post.body["text"]


def test_a_failure_while_answering_is_said_not_left_silent(slack_bot, monkeypatch):
    """Whatever breaks inside the assistant, the asker hears back and the question is not lost."""
    def broken(*_args, **_kwargs):
        raise RuntimeError("index unavailable")

    monkeypatch.setattr(slack_bot.ctx.assistant, "ask", broken)
    slack_bot.mention("When is the deadline?")
    [post] = slack_bot.slack.wait_for("chat.postMessage")
    assert "something went wrong while answering" in post.body["text"]
