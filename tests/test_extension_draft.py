"""A deadline that moves is re-planned and drafted as an announcement that organizers approve in one click."""

import json
from datetime import UTC, datetime, timedelta

from pydantic import SecretStr
from sqlalchemy import select

from bot.storage.models import AuditEntry

from .reminder_harness import CHANNEL, ORGANIZERS, keys_posted, write_event
from .slack_harness import ORGANIZER, SECRET, in_process_bot


def buttons(post) -> dict[str, str]:
    return {e["action_id"]: e["value"] for b in post.body["blocks"] if b["type"] == "actions" for e in b["elements"]}


def test_a_moved_deadline_is_drafted_and_announced_on_approval(service, slack_store, slack_emulator):
    due = datetime.now(UTC) + timedelta(days=10)
    write_event(service.knowledge, due, ["1d"])
    reminders = service()  # start() plans, and would draft a move, before it returns
    assert keys_posted(slack_emulator, ORGANIZERS) == []  # first sight: nothing moved
    write_event(service.knowledge, due + timedelta(days=7), ["1d"])
    reminders.sync()
    draft = slack_emulator.wait_for("chat.postMessage", where=lambda c: c.body["channel"] == ORGANIZERS)[0]
    assert "*Paper submission* (Test Workshop 2030) moved from" in draft.body["text"]
    assert buttons(draft) == {"draft_announce": "1", "draft_dismiss": "1"}

    settings = service.settings.model_copy(update={"slack_signing_secret": SecretStr(SECRET),
                                                   "organizer_user_ids": ORGANIZER})
    with in_process_bot(settings, slack_store, slack_emulator) as bot:
        bot.click("draft_announce", "1", user="URANDOM", channel=ORGANIZERS)
        assert "only the workshop organizers" in slack_emulator.wait_for("chat.postEphemeral")[0].body["text"]
        bot.click("draft_announce", "1", user=ORGANIZER, channel=ORGANIZERS, message_ts=draft.body["posted_ts"])
        announced = slack_emulator.wait_for("chat.postMessage", where=lambda c: c.body["channel"] == CHANNEL)[0]
        closed = slack_emulator.wait_for("chat.update")[0]
        bot.click("draft_announce", "1", user=ORGANIZER, channel=ORGANIZERS)  # a second click does nothing
        bot.settle()
    assert "*Paper submission extended* to" in announced.body["text"]
    assert keys_posted(slack_emulator, CHANNEL) == ["announcement:1"]
    assert closed.body["ts"] == draft.body["posted_ts"] and f"Announced by <@{ORGANIZER}>" in closed.body["text"]
    with service.db.session() as s:
        actions = [(a.actor, a.action) for a in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        details = json.loads(s.scalars(select(AuditEntry)).first().details)
    assert actions == [("bot", "draft"), (ORGANIZER, "approve"), ("bot", "sent")]  # sent, then indexed
    assert details["deadline"] == "Paper submission"
