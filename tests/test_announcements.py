"""Announcements: rendered, checked, sent once through the outbox, audited, then known to the assistant."""

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.assistant.assistant import Assistant
from bot.cli import app
from bot.index.embeddings import load_embeddings
from bot.index.store import KnowledgeStore
from bot.storage.db import Database
from bot.storage.models import Announcement, AuditEntry, OutboxMessage

from .slack_emulator import BOT_TOKEN
from .reminder_harness import keys_posted

POSTER = ["--var", "title=Poster session moves", "--var", "body=The poster session moves to Hall B, upper level."]


@pytest.fixture
def announce(settings, slack_emulator, monkeypatch):
    for name, value in {"BOT_DATA_DIR": settings.bot_data_dir, "KNOWLEDGE_DIR": settings.knowledge_dir,
                        "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": slack_emulator.url,
                        "ANNOUNCEMENTS_CHANNEL": "CANN"}.items():
        monkeypatch.setenv(name, str(value))
    return lambda *args: CliRunner().invoke(app, ["announce", *args])


def test_an_announcement_is_posted_once_audited_and_then_answered_from(announce, settings, slack_emulator):
    result = announce("general", *POSTER)
    assert result.exit_code == 0, result.output
    assert result.stderr.strip().endswith("announcement 1: slack: posted to Slack")
    [post] = slack_emulator.wait_for("chat.postMessage")
    assert post.body["channel"] == "CANN" and "*Poster session moves*" in post.body["text"]
    assert keys_posted(slack_emulator, "CANN") == ["announcement:1"]
    db = Database.from_settings(settings)
    with db.session() as s:
        actions = [(a.action, json.loads(a.details)["announcement"]) for a in s.scalars(select(AuditEntry))]
    assert actions == [("announce", 1), ("sent", 1)]
    store = KnowledgeStore(settings, load_embeddings())
    answer = Assistant.from_settings(settings, store).ask("Where is the poster session?")
    assert answer.answered and "Hall B" in answer.text
    assert answer.sources[0].title == "Announcement" and answer.sources[0].path == "announcement/1"


def test_without_slack_or_smtp_the_announcement_says_where_it_went(settings, monkeypatch):
    """No credentials: the Slack message is shown on the terminal and the mail written to a folder,
    and the command says exactly that, never "sent"."""
    for name, value in {"BOT_DATA_DIR": settings.bot_data_dir, "KNOWLEDGE_DIR": settings.knowledge_dir,
                        "MAILING_LIST": "list@example.org", "MAIL_FROM": "bot@example.org"}.items():
        monkeypatch.setenv(name, str(value))
    for name in ("SLACK_BOT_TOKEN", "SMTP_HOST"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(app, ["announce", "general", *POSTER, "--to", "slack,email"])
    assert result.exit_code == 0, result.output
    assert result.stderr.strip().splitlines()[-1] == (
        f"announcement 1: slack: shown above, not posted (SLACK_BOT_TOKEN is not set); email: written to "
        f"{settings.bot_data_dir / 'outbox' / 'mail'}, not mailed (SMTP_HOST is not set)")
    assert list((settings.bot_data_dir / "outbox" / "mail").glob("*.eml"))


@pytest.mark.parametrize("args, message", [
    (["general", "--var", "title=Only a title"], "needs --var for: body"),
    (["nonsense", *POSTER], "no template 'nonsense' (known: deadline_extended, general)"),
    (["general", *POSTER, "--to", ","], "destinations must be among"),
    (["general", *POSTER, "--to", "pigeon"], "destinations must be among"),
    (["general", "--var", "novalue", *POSTER], "--var 'novalue' is not KEY=VALUE"),
    (["general", *POSTER, "--at", "9999-12-31T23:00:00-12:00"],
     "--at '9999-12-31T23:00:00-12:00' is out of range: it is not a time in the years 1 to 9999 UTC"),
    (["general", *POSTER, "--at", "garbage"], "--at 'garbage' is not an ISO-8601 date or time"),
    (["general", *POSTER, "--at", "2020-01-01T09:00:00Z"],
     "--at '2020-01-01T09:00:00Z' has passed: give a later time, or add --now-if-past to send it now"),
    (["general", "--var", "title=[/x] moves", "--var", "body=[bold]", "--at", "[/x]"],
     "--at '[/x]' is not an ISO-8601 date or time"),
])
def test_bad_announcements_are_refused_before_anything_is_stored(announce, settings, args, message):
    result = announce(*args)
    assert result.exit_code == 2 and message in " ".join(result.stderr.split())
    with Database.from_settings(settings).session() as s:
        assert list(s.scalars(select(Announcement))) == []


def test_dry_run_shows_and_sends_nothing(announce, settings, slack_emulator):
    result = announce("general", *POSTER, "--dry-run")
    assert result.exit_code == 0 and "*Poster session moves*" in result.stdout and "dry run" in result.stderr
    assert slack_emulator.of("chat.postMessage") == []
    with Database.from_settings(settings).session() as s:
        assert list(s.scalars(select(Announcement))) == []


@pytest.mark.slow  # waits in real time for its instant
def test_a_scheduled_announcement_is_sent_by_the_running_bot_at_its_time(announce, service, slack_emulator):
    service()  # running first: the instant is planned from when the bot is ready, not from the test's start
    at = datetime.now(UTC) + timedelta(seconds=3)
    result = announce("general", *POSTER, "--at", at.isoformat())
    assert result.exit_code == 0 and "scheduled announcement 1" in result.stderr
    [post] = slack_emulator.wait_for("chat.postMessage", timeout=60)
    posted = datetime.now(UTC) - timedelta(seconds=time.monotonic() - post.at)
    assert -0.5 < (posted - at).total_seconds() < 30  # never early; on a loaded machine it may be late, not lost


def test_a_passed_at_is_sent_now_only_when_asked(announce, settings, slack_emulator):
    result = announce("general", *POSTER, "--at", "2020-01-01T09:00:00Z", "--now-if-past")
    assert result.exit_code == 0, result.output
    assert "--at '2020-01-01T09:00:00Z' has passed: sending now (--now-if-past)" in " ".join(result.stderr.split())
    assert keys_posted(slack_emulator, "CANN") == ["announcement:1"]  # the command sends before it returns
    with Database.from_settings(settings).session() as s:
        [announcement] = s.scalars(select(Announcement))
    assert announcement.send_at > datetime.now(UTC) - timedelta(minutes=10)  # now, not in 2020


@pytest.mark.parametrize("title, unset, message", [
    ("Poster session moves\nBcc: everyone@example.org", None, "email: line break in a header value"),
    ("Poster session moves", "MAILING_LIST", "email: MAILING_LIST is not set: nowhere to send"),
    ("Poster session moves", "ANNOUNCEMENTS_CHANNEL", "slack: no channel: set ANNOUNCEMENTS_CHANNEL"),
])
def test_what_one_destination_would_refuse_stops_them_all_before_anything_is_stored(
        announce, mail_env, settings, slack_emulator, monkeypatch, title, unset, message):
    if unset:
        monkeypatch.delenv(unset)
    result = announce("general", "--var", f"title={title}", "--var", "body=Hall B.", "--to", "slack,email")
    assert result.exit_code == 2 and message in " ".join(result.stderr.split())
    assert slack_emulator.of("chat.postMessage") == [] and mail_env.messages == []  # the command has returned
    with Database.from_settings(settings).session() as s:
        assert list(s.scalars(select(Announcement))) == [] and list(s.scalars(select(OutboxMessage))) == []


def test_both_destinations_get_it_when_both_accept_it(announce, mail_env, slack_emulator):
    result = announce("general", *POSTER, "--to", "slack,email")
    assert result.exit_code == 0, result.output
    assert keys_posted(slack_emulator, "CANN") == ["announcement:1"]
    [mail] = mail_env.wait(1)
    assert mail["Subject"] == "Poster session moves"
