"""The reminder service with real parts: APScheduler's SQLAlchemy job store, SQLite and PostgreSQL, emulated Slack."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.slack.client import slack_delivery
from bot.storage.models import SchedulerState

from .reminder_harness import CHANNEL, ORGANIZERS, keys_posted, write_event
from .waiting import wait_until


@pytest.fixture
def service_database_url(database_url) -> str:
    """Every test here runs on SQLite and on PostgreSQL: the job store, the outbox and the plan share the database."""
    return database_url


@pytest.mark.slow  # waits in real time: the end-to-end check of the timers
def test_reminders_fire_once_at_their_instants(service, slack_emulator):
    due = (datetime.now(UTC) + timedelta(seconds=6)).replace(microsecond=0)  # event.yaml states whole seconds
    write_event(service.knowledge, due, ["4s", "2s"])
    service()
    posts = slack_emulator.wait_for("chat.postMessage", 2, timeout=20)
    for post, offset in zip(posts, (4, 2), strict=True):
        fired = datetime.now(UTC) - timedelta(seconds=time.monotonic() - post.at)
        late = (fired - (due - timedelta(seconds=offset))).total_seconds()
        assert -0.5 < late < 30  # never early; on a loaded machine, a timer may be late, not lost
        assert "*Paper submission* (Test Workshop 2030) is due" in post.body["text"]
    service.stop_all()  # stopped before counting: no later post can come
    assert sorted(keys_posted(slack_emulator)) == sorted({k for k in keys_posted(slack_emulator)})
    assert len(keys_posted(slack_emulator)) == 2


def timers(reminders) -> list[str]:
    return [job.id for job in reminders.scheduler.get_jobs(jobstore="default")]


def test_a_timer_that_fires_twice_posts_once(service, slack_emulator):
    """Driven by hand: the timer is an hour away, its job function is called as APScheduler would."""
    write_event(service.knowledge, datetime.now(UTC) + timedelta(hours=1), ["2s"])
    reminders = service()
    [key] = timers(reminders)
    reminders.fire(key)
    reminders.fire(key)  # a job run twice (a restart, a re-plan): the outbox has it once
    service.stop_all()
    assert keys_posted(slack_emulator) == [key]
    assert "*Paper submission* (Test Workshop 2030) is due" in slack_emulator.of("chat.postMessage")[0].body["text"]


def test_an_extension_replans_and_the_old_reminders_never_go_out(service, slack_emulator):
    """The running service notices the file; then the old reminder's time comes, on an explicit clock."""
    due = datetime.now(UTC) + timedelta(hours=1)
    write_event(service.knowledge, due, ["14s"])
    reminders = service()
    [old] = timers(reminders)
    write_event(service.knowledge, due + timedelta(minutes=5), ["14s"])
    wait_until(lambda: old not in timers(reminders), 60, what="the old timer re-planned away")
    [new] = timers(reminders)
    assert new != old and new.startswith("test2030:submission:14s:")
    reminders.fire(old)  # had its timer been taken already, it finds nothing to send
    reminders.sync(due - timedelta(seconds=14) + timedelta(seconds=1))  # the old reminder's time
    service.stop_all()
    assert keys_posted(slack_emulator) == []


def test_what_fell_due_while_down_is_sent_within_grace_else_recorded_missed(service, slack_emulator):
    now = datetime.now(UTC)
    write_event(service.knowledge, now + timedelta(minutes=5), ["95m", "15m"])  # due 90 and 10 minutes ago
    with service.db.session() as s:
        s.add(SchedulerState(name="reminders", heartbeat_at=now - timedelta(hours=2)))
    reminders = service()
    service.stop_all()  # start() sends what fell due before it returns; stopped, nothing more can come
    assert [k.split(":")[2] for k in keys_posted(slack_emulator)] == ["15m"]
    statuses = {row.key.split(":")[2]: row.status for row in reminders.outbox.with_status("sent", "missed")}
    assert statuses == {"95m": "missed", "15m": "sent"}


def test_a_broken_event_yaml_keeps_the_running_schedule(service, caplog):
    write_event(service.knowledge, datetime.now(UTC) + timedelta(minutes=10), ["5m"])
    reminders = service()
    before = {j.id for j in reminders.scheduler.get_jobs(jobstore="default")}
    (service.knowledge / "test2030" / "event.yaml").write_text("name: Test\ndeadlines: [oops\n")
    reminders.sync()
    assert {j.id for j in reminders.scheduler.get_jobs(jobstore="default")} == before and before
    assert "test2030/event.yaml, line 2: not valid YAML" in caplog.text


def test_transient_failures_are_retried_and_permanent_ones_reported(service, slack_emulator):
    write_event(service.knowledge, datetime.now(UTC) + timedelta(hours=1), ["2s"], channel="CFLAKY")
    slack_emulator.channel_errors["CFLAKY"] = (200, "service_unavailable", 1)
    reminders = service()
    [flaky] = timers(reminders)
    reminders.fire(flaky)  # as its timer would; sending (with its retry) is done when it returns
    assert [c.body.get("posted_ts") is not None for c in slack_emulator.of("chat.postMessage")] == [False, True]
    assert len(keys_posted(slack_emulator, "CFLAKY")) == 2  # one refused, one delivered

    write_event(service.knowledge, datetime.now(UTC) + timedelta(hours=2), ["2s"], channel="CGONE")
    slack_emulator.channel_errors["CGONE"] = (200, "channel_not_found", -1)
    replanned = wait_until(lambda: flaky not in (planned := timers(reminders)) and planned, 60,
                           what="the new deadline planned in place of the old one")  # both, for a moment
    [gone] = replanned
    reminders.fire(gone)
    report = slack_emulator.wait_for("chat.postMessage", where=lambda c: c.body.get("channel") == ORGANIZERS
                                     and "could not be delivered" in c.body["text"])[0]  # (the move is drafted too)
    assert "could not be delivered" in report.body["text"] and "channel_not_found" in report.body["text"]
    service.stop_all()
    assert len(keys_posted(slack_emulator, "CGONE")) == 1  # not retried forever


def test_a_crash_mid_send_is_settled_by_the_message_metadata(service, slack_emulator):
    now = datetime.now(UTC)
    reminders = service(reminder_grace=3600)
    reminders.stop()
    outbox = reminders.outbox
    went = outbox.add(key="k:went", destination=f"slack:{CHANNEL}", kind="deadline_reminder", edition="e",
                      due_at=now, body="went out before the crash")
    lost = outbox.add(key="k:lost", destination=f"slack:{CHANNEL}", kind="deadline_reminder", edition="e",
                      due_at=now, body="never went out")
    outbox.claim(went.id)
    outbox.claim(lost.id)
    slack_delivery(service.settings).send(outbox.of_key("k:went")[0])  # posted, then "crash"
    service()
    service.stop_all()  # start() settles what the crash left before it returns
    assert sorted(keys_posted(slack_emulator)) == ["k:lost", "k:went"]
    assert {r.key: r.status for r in outbox.with_status("sent")} == {"k:went": "sent", "k:lost": "sent"}


def test_reload_replans_the_running_service(service, monkeypatch):
    from typer.testing import CliRunner

    from bot.cli import app

    reminders = service(reload_interval=0.2)
    assert reminders.scheduler.get_jobs(jobstore="default") == []
    write_event(service.knowledge, datetime.now(UTC) + timedelta(hours=5), ["1h"])
    monkeypatch.setenv("BOT_DATA_DIR", str(service.settings.bot_data_dir))
    assert CliRunner().invoke(app, ["reload"]).exit_code == 0
    wait_until(lambda: reminders.scheduler.get_jobs(jobstore="default"), 60, what="the reload re-planned")
    assert [j.id.split(":")[2] for j in reminders.scheduler.get_jobs(jobstore="default")] == ["1h"]


def test_only_the_next_two_days_are_timers_the_rest_waits_in_the_plan(service):
    write_event(service.knowledge, datetime.now(UTC) + timedelta(days=10), ["14d", "7d", "1d"])
    reminders = service()
    timers = [j.id.split(":")[2] for j in reminders.scheduler.get_jobs(jobstore="default")]
    assert timers == []  # 14d passed (not planned), 7d and 1d are more than two days away
    later = reminders.sync(datetime.now(UTC) + timedelta(days=8, hours=12))
    assert [j.id.split(":")[2] for j in reminders.scheduler.get_jobs(jobstore="default")] == ["1d"]
    assert {m.offset for m in later if m.edition == "test2030"} == {"14d", "7d", "1d"}
