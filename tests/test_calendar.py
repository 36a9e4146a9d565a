"""Calendars: every one the bot produces is read back with a second library (`ics`), from the module, the
command line, the HTTP feed and the emails that attach a deadline's event."""

import email
import email.policy
import json
from datetime import UTC, datetime, timedelta

import ics
import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient
from typer.testing import CliRunner

from bot.cli import app
from bot.events.calendar import SESSION_LENGTH, calendar
from bot.events.model import Event
from bot.knowledge.editions import Edition, discover
from bot.runtime import Runtime
from bot.slack.app import build_app
from bot.slack.client import web_client
from bot.slack.http import asgi_app
from bot.templates import describer

from .conftest import KNOWLEDGE, REPO
from .reminder_harness import write_event
from .slack_emulator import BOT_TOKEN
from .smtp_harness import MAILING_LIST, PASSWORD, USER

DESCRIBE = describer(REPO / "prompts")
STAMP = datetime(2025, 8, 1, tzinfo=UTC)
SUBMISSION = "neurips2025.deadline.submission@mlforsystems.org"
NEURIPS2025 = {SUBMISSION, "neurips2025.deadline.notification@mlforsystems.org",
               "neurips2025.workshop@mlforsystems.org"}


def parsed(data: bytes) -> ics.Calendar:
    return ics.Calendar(data.decode("utf-8"))


def events(cal: ics.Calendar) -> dict[str, ics.Event]:
    return {e.uid: e for e in cal.events}


def extra(component, name: str) -> str | None:
    """A property `ics` keeps as it is (SEQUENCE, X-WR-CALNAME)."""
    return next((line.value for line in component.extra if line.name == name), None)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_deadlines_are_their_exact_instants_in_utc_with_the_aoe_origin_described():
    cal = parsed(calendar([discover(KNOWLEDGE).get("neurips2025")], STAMP, DESCRIBE))
    found = events(cal)
    assert set(found) == NEURIPS2025
    assert extra(cal, "X-WR-CALNAME") == "ML for Systems Workshop at NeurIPS 2025"
    submission = found[SUBMISSION]
    assert submission.begin.datetime == utc("2025-08-30T11:59:59Z")  # August 29 ends 23:59:59 AoE (UTC−12)
    assert submission.begin.datetime.utcoffset() == timedelta(0)
    assert submission.name == "Paper submission"
    assert "due August 29, 2025, 23:59 AoE (UTC−12), that is 2025-08-30 11:59 UTC" in submission.description
    assert "Extended from August 22, 2025." in submission.description
    assert submission.url == "https://openreview.net/group?id=NeurIPS.cc/2025/Workshop/MLForSys"
    assert extra(submission, "SEQUENCE") == "1" and submission.created.datetime == STAMP  # DTSTAMP
    assert extra(found["neurips2025.deadline.notification@mlforsystems.org"], "SEQUENCE") == "0"
    day = found["neurips2025.workshop@mlforsystems.org"]
    assert day.all_day and day.begin.date().isoformat() == "2025-12-06"
    assert day.location == "San Diego Convention Center, Upper Level Room 5AB"


def test_a_moved_deadline_keeps_its_uid_and_bumps_its_sequence(knowledge_copy):
    path = knowledge_copy / "neurips2025" / "event.yaml"
    path.write_text(path.read_text().replace("due: 2025-08-29", "due: 2025-09-05")
                    .replace("extended_from: [2025-08-22]", "extended_from: [2025-08-22, 2025-08-29]"))
    submission = events(parsed(calendar([discover(knowledge_copy).get("neurips2025")], STAMP, DESCRIBE)))[SUBMISSION]
    assert submission.begin.datetime == utc("2025-09-06T11:59:59Z")
    assert extra(submission, "SEQUENCE") == "2"
    assert "Extended from August 22, 2025, then from August 29, 2025." in submission.description


def test_sessions_end_at_the_next_start_or_their_own_end_and_name_their_room():
    event = Event.model_validate({
        "name": "Test Workshop 2030", "timezone": "America/Los_Angeles", "venue": "Convention Center",
        "deadlines": [{"id": "camera-ready", "title": "Camera-ready", "due": datetime(2030, 11, 1, 17, 0)}],
        "program": [
            {"title": "Opening remarks", "start": datetime(2030, 12, 6, 9, 0), "room": "Hall A"},
            {"title": "Keynote", "speakers": ["A. Author", "B. Author"], "start": datetime(2030, 12, 6, 9, 15),
             "end": datetime(2030, 12, 6, 10, 0)},
            {"title": "Coffee break", "start": datetime(2030, 12, 6, 10, 0)},
            {"title": "Coffee break", "start": datetime(2030, 12, 6, 15, 0)},  # the day's last: a default length
        ],
    })
    edition = Edition(id="test2030", path=REPO, event=event)
    found = events(parsed(calendar([edition], STAMP, DESCRIBE)))
    opening = found["test2030.opening-remarks.20301206T170000Z@workshop-bot"]  # 09:00 in Los Angeles
    assert (opening.begin.datetime, opening.end.datetime) == (utc("2030-12-06T17:00:00Z"), utc("2030-12-06T17:15:00Z"))
    assert opening.location == "Hall A, Convention Center"
    keynote = found["test2030.keynote.20301206T171500Z@workshop-bot"]
    assert keynote.end.datetime == utc("2030-12-06T18:00:00Z") and "A. Author, B. Author" in keynote.description
    first = found["test2030.coffee-break.20301206T180000Z@workshop-bot"]
    last = found["test2030.coffee-break.20301206T230000Z@workshop-bot"]
    assert first.end.datetime == utc("2030-12-06T23:00:00Z")  # the next session's start, the same day
    assert last.end.datetime - last.begin.datetime == SESSION_LENGTH
    deadline = found["test2030.deadline.camera-ready@workshop-bot"]
    assert deadline.begin.datetime == utc("2030-11-02T00:00:00Z")
    assert "November 1, 2030, 17:00 America/Los_Angeles" in deadline.description


def test_several_editions_make_one_calendar():
    editions = discover(KNOWLEDGE)
    cal = parsed(calendar(editions.items, STAMP, DESCRIBE))
    uids = set(events(cal))
    assert uids > NEURIPS2025 and "neurips2023.deadline.competition@mlforsystems.org" in uids
    assert extra(cal, "X-WR-CALNAME") == ", ".join(e.label for e in editions.items)


# --- the command line ------------------------------------------------------------------------------


@pytest.fixture
def run(settings, monkeypatch):
    monkeypatch.setenv("BOT_DATA_DIR", str(settings.bot_data_dir))
    monkeypatch.setenv("KNOWLEDGE_DIR", str(settings.knowledge_dir))
    return lambda *args: CliRunner().invoke(app, ["calendar", *args])


def test_the_command_prints_the_newest_edition_or_writes_the_ones_named(run, tmp_path):
    printed = run()
    assert printed.exit_code == 0, printed.output
    assert set(events(parsed(printed.stdout_bytes))) == NEURIPS2025
    out = tmp_path / "workshops.ics"
    written = run("neurips2023", "neurips2025", "--out", str(out))
    assert written.exit_code == 0 and written.stdout == "" and str(out) in written.stderr
    uids = set(events(parsed(out.read_bytes())))
    assert uids > NEURIPS2025 and "neurips2023.deadline.submission@mlforsystems.org" in uids


def test_the_command_refuses_an_unknown_edition_or_a_broken_event_yaml(run, settings, tmp_path):
    out = tmp_path / "nope.ics"
    result = run("neurips1999", "--out", str(out))
    assert result.exit_code == 2 and not out.exists()
    assert "unknown edition 'neurips1999' (known: neurips2025, neurips2023)" in result.stderr
    (settings.knowledge_dir / "neurips2023" / "event.yaml").write_text("name: Test\ndeadlines: [oops\n")
    broken = run("neurips2023")
    assert broken.exit_code == 2 and "not valid YAML" in broken.stderr and broken.stdout == ""


# --- the HTTP feed ---------------------------------------------------------------------------------


@pytest.fixture
def feed(settings, store, slack_emulator):
    """The real ASGI app of HTTP mode, as `serve` builds it, and the runtime behind it."""
    settings = settings.model_copy(update={"slack_bot_token": SecretStr(BOT_TOKEN),
                                           "slack_signing_secret": SecretStr("secret"),
                                           "slack_api_url": slack_emulator.url})
    runtime = Runtime(settings, store=store)
    app = build_app(runtime.slack, client=web_client(settings))
    with TestClient(asgi_app(runtime.slack, lambda: app)) as client:
        client.runtime = runtime
        yield client


def test_the_feed_serves_the_newest_edition_and_the_one_asked_for(feed):
    response = feed.get("/calendar.ics")
    assert response.status_code == 200 and response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert set(events(parsed(response.content))) == NEURIPS2025
    older = feed.get("/calendar.ics", params={"edition": "neurips2023"})
    assert "neurips2023.deadline.competition@mlforsystems.org" in events(parsed(older.content))
    unknown = feed.get("/calendar.ics", params={"edition": "neurips1999"})
    assert unknown.status_code == 404 and unknown.headers["content-type"].startswith("text/plain")
    assert unknown.text == "unknown edition 'neurips1999' (known: neurips2025, neurips2023)"


def test_an_edition_asked_for_twice_is_an_error_not_a_payload_twice(feed):
    """`?edition=` repeated 400 times once answered with 60 times the request; now it is refused."""
    both = feed.get("/calendar.ics", params=[("edition", "neurips2025"), ("edition", "neurips2023")])
    assert both.status_code == 200
    for params in ([("edition", "neurips2023")] * 2, [("edition", "neurips2023")] * 400,
                   [("edition", f"x{n}") for n in range(3)]):
        refused = feed.get("/calendar.ics", params=params)
        assert refused.status_code == 400 and len(refused.content) < 100
        assert refused.text == "each edition at most once: ?edition=<id>&edition=<other id>"


def test_the_feed_shows_a_moved_deadline_at_the_next_fetch(feed, settings):
    before = events(parsed(feed.get("/calendar.ics").content))[SUBMISSION]
    path = settings.knowledge_dir / "neurips2025" / "event.yaml"
    path.write_text(path.read_text().replace("due: 2025-08-29", "due: 2025-09-05")
                    .replace("extended_from: [2025-08-22]", "extended_from: [2025-08-22, 2025-08-29]"))
    feed.runtime.registry.refresh()  # what the running bot's watchers do when a file changes
    after = events(parsed(feed.get("/calendar.ics").content))[SUBMISSION]
    assert (extra(before, "SEQUENCE"), extra(after, "SEQUENCE")) == ("1", "2")
    assert after.begin.datetime == utc("2025-09-06T11:59:59Z")


def test_a_broken_event_yaml_is_not_served_as_an_empty_calendar(feed, settings):
    (settings.knowledge_dir / "neurips2025" / "event.yaml").write_text("name: Test\ndeadlines: [oops\n")
    feed.runtime.registry.refresh()
    response = feed.get("/calendar.ics")
    assert response.status_code == 503 and response.headers["retry-after"] == "600"
    assert "event.yaml" not in response.text  # nothing of the file or its path to the outside


# --- emails ----------------------------------------------------------------------------------------


def calendar_part(raw: bytes) -> tuple[email.message.EmailMessage, bytes]:
    """The message (multipart/mixed, its text and HTML first) and the bytes of its one calendar part."""
    assert b"Content-Type: text/calendar" in raw
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    assert mail.get_content_type() == "multipart/mixed"
    first, *attached = mail.iter_parts()
    assert first.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in first.iter_parts()] == ["text/plain", "text/html"]
    [part] = attached
    assert part.get_content_type() == "text/calendar" and part.get_content_disposition() == "attachment"
    return mail, part.get_payload(decode=True)


def test_an_email_reminder_attaches_its_deadlines_event(service, smtp_server, slack_emulator):
    host, port, mailbox = smtp_server
    due = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    write_event(service.knowledge, due, ["2s"], email=True)
    reminders = service(email=True, smtp_host=host, smtp_port=port, smtp_username=USER,
                        smtp_password=SecretStr(PASSWORD), mailing_list=MAILING_LIST, mail_from="bot@mlforsystems.org")
    [key] = [job.id for job in reminders.scheduler.get_jobs(jobstore="default")]
    reminders.fire(key)  # the timer's time, on an explicit clock
    mailbox.wait(1)
    [raw] = mailbox.raw
    mail, data = calendar_part(raw)
    assert "Paper submission" in mail.get_body(("plain",)).get_content()
    cal = parsed(data)
    [event] = cal.events
    assert event.uid == "test2030.deadline.submission@workshop-bot"
    assert event.begin.datetime == due and extra(event, "SEQUENCE") == "0"
    assert f"that is {due:%Y-%m-%d %H:%M} UTC" in event.description
    assert [p.get_filename() for p in mail.iter_attachments()] == ["test2030-submission.ics"]
    [row] = [r for r in reminders.outbox.with_status("sent") if r.destination == "email"]
    assert len(json.loads(row.body)["attachments"]) == 1  # the outbox keeps one event, not the whole calendar


def test_the_extension_announcement_email_attaches_the_moved_deadline(mail_env, settings, monkeypatch):
    result = CliRunner().invoke(app, ["announce", "deadline_extended", "--to", "email",
                                      "--var", "deadline=Paper submission", "--var", "new_date=August 29, 2025",
                                      "--var", "old_date=August 22, 2025"])
    assert result.exit_code == 0, result.output
    mail_env.wait(1)
    [raw] = mail_env.raw
    mail, data = calendar_part(raw)
    assert mail["Subject"] == "Paper submission extended to August 29, 2025"
    [event] = parsed(data).events
    assert event.uid == SUBMISSION and extra(event, "SEQUENCE") == "1"
    assert event.begin.datetime == utc("2025-08-30T11:59:59Z")
    assert "23:59 AoE (UTC−12)" in event.description


def test_an_extension_event_yaml_does_not_state_yet_attaches_nothing(mail_env):
    """Announced before event.yaml was updated: a calendar event with the old date would contradict the email."""
    result = CliRunner().invoke(app, ["announce", "deadline_extended", "--to", "email",
                                      "--var", "deadline=Paper submission", "--var", "new_date=September 5, 2025",
                                      "--var", "old_date=August 29, 2025"])
    assert result.exit_code == 0, result.output
    mail_env.wait(1)
    [raw] = mail_env.raw
    assert b"text/calendar" not in raw
    assert email.message_from_bytes(raw, policy=email.policy.default).get_content_type() == "multipart/alternative"
