"""kill -9 between reminders, restart on the same database: every reminder is posted exactly once."""

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import httpx

from .conftest import REPO
from .slack_emulator import BOT_TOKEN
from .slack_harness import SECRET, free_port
from .reminder_harness import keys_posted, write_event


def start_bot(tmp_path, knowledge, emulator) -> subprocess.Popen:
    """The bot in HTTP mode; returns once it serves /healthz (its reminder service starts before that)."""
    port = free_port()
    env = {**os.environ, "BOT_DATA_DIR": str(tmp_path / "data"), "KNOWLEDGE_DIR": str(knowledge),
           "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": emulator.url,
           "HOST": "127.0.0.1", "PORT": str(port), "RELOAD_INTERVAL": "0.5"}
    bot = subprocess.Popen([sys.executable, "-m", "bot", "serve"], cwd=REPO, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and bot.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                return bot
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    bot.kill()
    raise AssertionError(f"the bot did not become ready (exit code {bot.poll()})")


def wait_until(moment: datetime) -> None:
    while datetime.now(UTC) < moment:
        time.sleep(0.1)


def test_sigkill_between_reminders_loses_nothing_and_repeats_nothing(tmp_path, slack_emulator):
    """Planned from the moment the bot is ready, so a slow start on a loaded machine changes nothing."""
    knowledge = tmp_path / "knowledge"
    knowledge.mkdir()
    bot = start_bot(tmp_path, knowledge, slack_emulator)
    try:
        due = datetime.now(UTC) + timedelta(seconds=40)
        offsets = ["36s", "30s", "22s", "14s", "6s"]  # at +4, +10, +18, +26, +34 seconds from now
        write_event(knowledge, due, offsets)  # the running bot re-plans within RELOAD_INTERVAL
        slack_emulator.wait_for("chat.postMessage", 2, timeout=120)
        bot.send_signal(signal.SIGKILL)
        bot.wait(timeout=10)
        wait_until(due - timedelta(seconds=22) + timedelta(seconds=1))  # the third falls due while it is down
        bot = start_bot(tmp_path, knowledge, slack_emulator)
        slack_emulator.wait_for("chat.postMessage", len(offsets), timeout=120)
        bot.terminate()  # stopped before counting: no later post can come
        bot.wait(timeout=60)
    finally:
        bot.kill()
        bot.wait(timeout=10)
    posted = keys_posted(slack_emulator)
    assert sorted(key.split(":")[2] for key in posted) == sorted(offsets)
    assert len(posted) == len(set(posted)) == len(offsets)
