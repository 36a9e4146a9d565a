"""kill -9 between reminders, restart on the same database: every reminder is posted exactly once."""

from datetime import UTC, datetime, timedelta

import pytest

from .reminder_harness import keys_posted, write_event
from .slack_harness import BotProcess
from .waiting import wait_past

pytestmark = pytest.mark.slow  # bot processes, kill -9, real-time reminders


def test_sigkill_between_reminders_loses_nothing_and_repeats_nothing(tmp_path, slack_emulator, database_url):
    """Planned from the moment the bot is ready, so a slow start on a loaded machine changes nothing. On SQLite
    and on PostgreSQL: what was sent, claimed or planned survives the kill in either."""
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    bot = BotProcess.start(tmp_path / "data", knowledge, slack_emulator, DATABASE_URL=database_url)
    try:
        due = datetime.now(UTC) + timedelta(seconds=40)
        offsets = ["36s", "30s", "22s", "14s", "6s"]  # at +4, +10, +18, +26, +34 seconds from now
        write_event(knowledge, due, offsets)  # the running bot re-plans within RELOAD_INTERVAL
        slack_emulator.wait_for("chat.postMessage", 2, timeout=120)
        bot.kill()  # SIGKILL
        wait_past(due - timedelta(seconds=22) + timedelta(seconds=1))  # the third falls due while it is down
        bot = BotProcess.start(tmp_path / "data", knowledge, slack_emulator, DATABASE_URL=database_url)
        slack_emulator.wait_for("chat.postMessage", len(offsets), timeout=120)
    finally:
        bot.kill()  # stopped before counting: no later post can come
    posted = keys_posted(slack_emulator)
    assert sorted(key.split(":")[2] for key in posted) == sorted(offsets)
    assert len(posted) == len(set(posted)) == len(offsets)
