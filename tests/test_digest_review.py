"""Organizers see a digest's questions an hour before it goes out, and exclude any they choose."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.digest import build as digest, review as digest_review

from .slack_harness import ORGANIZER, ORGANIZERS


@pytest.fixture
def slack_database_url(database_url) -> str:
    """What the listeners store (votes, escalations, reviews) is checked on SQLite and on PostgreSQL."""
    return database_url


def entries(post) -> dict[str, tuple[str, str, str]]:
    """The preview's questions: first line of text → (button action, entry id, what follows it)."""
    found, blocks = {}, post.body["blocks"]
    for n, block in enumerate(blocks):
        if block["type"] == "section" and "accessory" in block:
            following = blocks[n + 1] if n + 1 < len(blocks) else {}
            after = following["elements"][0]["text"] if following.get("type") == "context" else ""
            button = block["accessory"]
            found[block["text"]["text"].splitlines()[0]] = (button["action_id"], button["value"], after)
    return found


def test_organizers_exclude_a_question_before_the_digest_and_it_is_not_quoted(slack_bot):
    ctx, slack = slack_bot.ctx, slack_bot.slack
    settings = ctx.settings
    for n in range(2):
        slack_bot.mention("Is the page limit strict?", user=f"UASKER{n}", channel="CPUB")
    slack_bot.mention("Do submissions need to be anonymized?", user="USHY", channel="CPUB")
    slack.wait_for("chat.postMessage", 3)
    slack_bot.settle()
    helpers = {"answer": lambda q, when: ctx.assistant.ask(q, now=when),
               "embed": ctx.assistant.store.embeddings.embed_documents}
    review_at = datetime.now(UTC)
    slot = digest_review.upcoming_slot(settings, review_at)
    row = digest_review.queue(settings, ctx.db, ctx.outbox, ctx.assistant.editions, review_at, **helpers)
    assert row is not None and ctx.sender.send(row.id) == "sent"
    assert digest_review.queue(settings, ctx.db, ctx.outbox, ctx.assistant.editions, review_at, **helpers) is None
    [preview] = slack.wait_for("chat.postMessage", where=lambda c: c.body["channel"] == ORGANIZERS)
    assert "Digest no. 1" in preview.body["text"] and "Exclude" in json.dumps(preview.body["blocks"])
    shown = entries(preview)
    page_limit = next(k for k in shown if "page limit" in k)
    other = next(k for k in shown if "anonymized" in k)
    assert "(asked 2 times)" in page_limit and "UASKER" not in json.dumps(preview.body["blocks"])

    slack_bot.click("digest_exclude", shown[other][1], user="URANDOM", channel=ORGANIZERS)
    assert "only the workshop organizers" in slack.wait_for("chat.postEphemeral")[0].body["text"]
    slack_bot.click("digest_exclude", shown[other][1], user=ORGANIZER, channel=ORGANIZERS,
                    message_ts=preview.body["posted_ts"])
    [updated] = slack.wait_for("chat.update")
    assert updated.body["ts"] == preview.body["posted_ts"]
    assert entries(updated)[other] == ("digest_include", shown[other][1], f"Excluded by <@{ORGANIZER}>")
    assert entries(updated)[page_limit][0] == "digest_exclude"

    slack_bot.mention("Is there a hotel discount for attendees?", user="ULATE", channel="CPUB")  # after the review
    slack.wait_for("chat.postMessage", 5)
    slack_bot.settle()
    queued = digest.queue(settings, ctx.db, ctx.outbox, ctx.assistant.editions, slot, **helpers)
    assert queued.row is not None
    text = json.loads(queued.row.body)["text"]
    assert "Is the page limit strict? (asked 2 times)" in text
    assert "anonymized" not in text and "hotel" not in text  # excluded; asked after the organizers looked

    slack_bot.click("digest_include", shown[other][1], user=ORGANIZER, channel=ORGANIZERS)  # too late now
    assert "built already" in slack.wait_for("chat.postEphemeral", 2)[1].body["text"]
    assert len(slack.of("chat.update")) == 1


def test_without_review_the_digest_quotes_what_was_asked_in_public(slack_bot):
    ctx, slack = slack_bot.ctx, slack_bot.slack
    ctx.settings.digest_review = False
    slack_bot.mention("Is the page limit strict?", user="UASKER", channel="CPUB")
    slack.wait_for("chat.postMessage")
    slack_bot.settle()
    now = datetime.now(UTC)
    assert digest_review.queue(ctx.settings, ctx.db, ctx.outbox, ctx.assistant.editions, now) is None
    slot = digest_review.upcoming_slot(ctx.settings, now)
    queued = digest.queue(ctx.settings, ctx.db, ctx.outbox, ctx.assistant.editions, slot)
    assert queued.row is not None and "Is the page limit strict?" in json.loads(queued.row.body)["text"]


def test_the_review_comes_an_hour_before_each_digest(settings):
    review = digest_review.trigger(settings)
    monday = datetime(2025, 8, 11, 9, tzinfo=UTC)  # DIGEST_CRON's default: Mondays at 09:00 UTC
    assert review.get_next_fire_time(None, monday - timedelta(days=2)) == monday - timedelta(hours=1)
    assert review.get_next_fire_time(monday - timedelta(hours=1), monday) == monday + timedelta(days=7, hours=-1)
    assert digest_review.upcoming_slot(settings, monday - timedelta(hours=1)) == monday
