"""kill -9 between reminders, restart on the same database: every reminder is posted exactly once."""

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from .conftest import REPO
from .slack_emulator import BOT_TOKEN
from .slack_harness import SECRET, free_port
from .reminder_harness import keys_posted, write_event


def start_bot(tmp_path, knowledge, emulator) -> subprocess.Popen:
    env = {**os.environ, "BOT_DATA_DIR": str(tmp_path / "data"), "KNOWLEDGE_DIR": str(knowledge),
           "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": emulator.url,
           "HOST": "127.0.0.1", "PORT": str(free_port()), "RELOAD_INTERVAL": "0.5"}
    return subprocess.Popen([sys.executable, "-m", "bot", "serve"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_sigkill_between_reminders_loses_nothing_and_repeats_nothing(tmp_path, slack_emulator):
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    due = datetime.now(UTC) + timedelta(seconds=40)
    offsets = ["36s", "30s", "22s", "14s", "6s"]  # at +4, +10, +18, +26, +34 seconds
    write_event(knowledge, due, offsets)
    bot = start_bot(tmp_path, knowledge, slack_emulator)
    try:
        slack_emulator.wait_for("chat.postMessage", 2, timeout=60)
        bot.send_signal(signal.SIGKILL)
        bot.wait(timeout=10)
        time.sleep(9)  # at least one reminder falls due while the bot is down
        bot = start_bot(tmp_path, knowledge, slack_emulator)
        slack_emulator.wait_for("chat.postMessage", len(offsets), timeout=90)
        time.sleep(2)
    finally:
        bot.kill()
        bot.wait(timeout=10)
    posted = keys_posted(slack_emulator)
    assert sorted(key.split(":")[2] for key in posted) == sorted(offsets)
    assert len(posted) == len(set(posted)) == len(offsets)
