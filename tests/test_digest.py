"""Digests: the slot's period, content in reading order, once per slot, nothing sent when nothing is new."""

import email
import email.policy
import json
import os
from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from bot.digest import build as digest
from bot.announcements.compose import prepare
from bot.announcements.records import record
from bot.cli import app
from bot.knowledge.editions import discover
from bot.outbox.ledger import Outbox
from bot.storage.db import Database
from bot.storage.models import SchedulerState

from .slack_harness import ORGANIZER, free_port
from .test_slack_announce import compose_values

LIST = "mlforsystems@googlegroups.com"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_the_slot_is_the_latest_cron_time_and_covers_since_the_one_before(settings):
    assert digest.slot_at(settings, at("2025-08-13T15:00:00")) == (at("2025-08-11T09:00:00"), at("2025-08-04T09:00:00"))
    assert digest.slot_at(settings, at("2025-08-11T09:00:00"))[0] == at("2025-08-11T09:00:00")


def test_a_digest_with_what_was_announced_and_asked_in_slack_in_reading_order(slack_bot):
    ctx = slack_bot.ctx
    slack_bot.slack.private_channels.add("CPRIV")
    for n in range(2):
        slack_bot.mention("Is the page limit strict?", user=f"UASKER{n}", channel="CPUB")
    slack_bot.mention("Is the page limit strict? My name is Ana Lopez, ana@uni.edu", user="UASKER2", channel="CPUB")
    slack_bot.mention("Is the page limit a strict one?", user="UASKER3", channel="CPUB")  # the same, other words
    slack_bot.mention("Do submissions need to be anonymized?", user="USECRET", channel="CPUB")
    slack_bot.mention("Is the workshop in-person? (private channel)", user="UPRIV", channel="CPRIV")
    slack_bot.event({"type": "message", "channel_type": "im", "channel": "DSECRET", "user": "UDM",
                     "text": "When is the camera-ready deadline? (in a DM)", "ts": "1690000999.000100"})
    slack_bot.slack.wait_for("chat.postMessage", 7)
    slack_bot.command("/ask", "Can I submit a 6 page paper? (asked with /ask)", user="UASK")
    slack_bot.slack.wait_for("response_url")
    ctx.settings.announcements_channel = "CANN"  # the announcement is made with /announce, in Slack
    fields = compose_values(title="Poster session moves", body="It is now in Hall B.")
    preview = slack_bot.submit_view("announce_compose", "", fields, user=ORGANIZER).json()
    slack_bot.submit_view("announce_confirm", preview["view"]["private_metadata"], {}, user=ORGANIZER)
    now = datetime.now(UTC)
    slack_bot.settle()
    built = digest.build(ctx.settings, ctx.db, ctx.assistant.editions, now + timedelta(minutes=1),
                         now - timedelta(hours=1), answer=lambda q, when: ctx.assistant.ask(q, now=when),
                         embed=ctx.assistant.store.embeddings.embed_documents)
    body = json.loads(digest.render(ctx.settings, built))
    text, html = body["text"], body["html"]
    order = ["Digest no. 1", "In this issue", "ANNOUNCEMENTS", "Poster session moves", "It is now in Hall B.",
             "WHAT PEOPLE ASKED", "Is the page limit strict? (asked 3 times)", "strict limit", "[1] ",
             "Ask the bot yourself"]
    assert all(marker in text for marker in order), text
    positions = [text.index(marker) for marker in order]
    assert positions == sorted(positions)
    assert "Do submissions need to be anonymized?" in text  # asked once, in public: quoted
    for private in ("private channel", "in a DM", "asked with /ask", "Ana Lopez", "ana@uni.edu"):
        assert private not in text and private not in html  # asked privately, or personal: never quoted
    for markup in ("UASKER", "USECRET", ORGANIZER, "<@", ":mega:", ":calendar:", "&amp;", "*Poster"):
        assert markup not in text
    assert "&amp;amp;" not in html and ":mega:" not in html


def test_nothing_new_means_no_digest(settings, monkeypatch):
    monkeypatch.setenv("MAILING_LIST", LIST)
    monkeypatch.setenv("BOT_DATA_DIR", str(settings.bot_data_dir))
    monkeypatch.setenv("KNOWLEDGE_DIR", str(settings.knowledge_dir))
    result = CliRunner().invoke(app, ["digest", "--now", "2026-11-22T12:00:00Z", "--send"])
    assert result.exit_code == 0 and "nothing to say, not sent" in result.stderr
    assert not (settings.bot_data_dir / "outbox" / "mail").exists()


def test_the_same_slot_is_sent_once(mail_env, database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)  # the slot's outbox row decides, on either engine
    first = CliRunner().invoke(app, ["digest", "--now", "2025-08-13T12:00:00Z", "--send"])
    second = CliRunner().invoke(app, ["digest", "--now", "2025-08-14T12:00:00Z", "--send"])
    assert first.exit_code == second.exit_code == 0
    assert "sent" in first.stderr and "already sent" in second.stderr
    [mail] = mail_env.wait()
    assert mail["Subject"].strip() == "[ML for Systems Workshop at NeurIPS 2025] Digest no. 1, August 11, 2025"
    assert "Paper submission" in mail.get_body(("html",)).get_content()


def test_out_writes_the_email_without_sending(mail_env, tmp_path):
    out = tmp_path / "digest.eml"
    result = CliRunner().invoke(app, ["digest", "--now", "2025-08-13T12:00:00Z", "--out", str(out)])
    assert result.exit_code == 0
    mail = email.message_from_bytes(out.read_bytes(), policy=email.policy.default)
    assert mail.get_content_type() == "multipart/alternative" and mail["List-Id"]
    assert "in 19 days" in mail.get_body(("plain",)).get_content()
    assert mail_env.messages == []


def test_a_slot_missed_while_down_is_sent_on_restart(service, settings):
    db = Database.from_settings(settings)
    settings.announcements_channel = "CANN"  # it went out (one that failed everywhere was never announced)
    slot, since = digest.slot_at(settings, datetime.now(UTC))
    prepared = prepare(settings, discover(settings.knowledge_dir), "general",
                       {"title": "Poster session moves", "body": "Hall B."}, ["slack"],
                       at=since + (slot - since) / 2)  # within the slot's period, whatever day the test runs
    record(db, Outbox(db), prepared, ORGANIZER, settings.prompts_dir, editions=discover(settings.knowledge_dir))
    with db.session() as s:
        s.add(SchedulerState(name="reminders", heartbeat_at=slot - timedelta(days=1)))
    service(email=True, mailing_list=LIST, mail_from="bot@mlforsystems.org")
    [path] = (settings.bot_data_dir / "outbox" / "mail").glob("*digest.eml")
    mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert "Digest" in mail["Subject"] and "Poster session moves" in mail.get_body(("plain",)).get_content()


def test_a_failed_send_is_retried_by_the_next_send_and_said_so(mail_env, monkeypatch, database_url):
    monkeypatch.setenv("DATABASE_URL", database_url)
    mail_env_port = int(os.environ["SMTP_PORT"])
    monkeypatch.setenv("SMTP_PORT", str(free_port()))  # nothing listens there: the send fails
    monkeypatch.setenv("SMTP_SECURITY", "none")
    failed = CliRunner().invoke(app, ["digest", "--now", "2025-08-13T12:00:00Z", "--send"])
    assert failed.exit_code == 1 and "pending" in failed.stderr
    monkeypatch.setenv("SMTP_PORT", str(mail_env_port))
    monkeypatch.delenv("SMTP_SECURITY")
    retried = CliRunner().invoke(app, ["digest", "--now", "2025-08-14T12:00:00Z", "--send"])
    assert retried.exit_code == 0, retried.stderr
    assert "retrying" in retried.stderr and retried.stderr.strip().endswith("sent")
    [mail] = mail_env.wait()
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "\n-- \n" in text and max(len(line) for line in text.splitlines() if "://" not in line) <= 72
    html = mail.get_body(("html",)).get_content()
    assert html.startswith("<!DOCTYPE html>") and 'style="' in html and "ML for Systems" in html
