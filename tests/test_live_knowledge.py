"""One view of the editions per process, kept live: a page or event.yaml that changes is answered
without a restart, and an ingest run while the bot serves never breaks its answers."""

import json
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

import httpx
import pytest
from typer.testing import CliRunner

from bot.runtime import Runtime
from bot.cli import app
from bot.events.model import load_event
from bot.index.watch import KnowledgeWatcher

from .conftest import REPO, VERIFAI, ingest_all
from .slack_harness import BotProcess, signature
from .waiting import wait_until

NOW = datetime(2025, 8, 20, tzinfo=UTC)


def extend_deadline(knowledge):
    """Organizers extend the deadline on the page and in event.yaml, as they do."""
    page = knowledge / "neurips2025" / "call_for_papers.html"
    page.write_text(page.read_text().replace("<s>August 22, 2025</s> August 29, 2025",
                                              "<s>August 29, 2025</s> September 5, 2025"))
    event = knowledge / "neurips2025" / "event.yaml"
    event.write_text(event.read_text().replace("due: 2025-08-29", "due: 2025-09-05")
                     .replace("extended_from: [2025-08-22]", "extended_from: [2025-08-22, 2025-08-29]"))


def test_a_deadline_moved_while_the_bot_runs_is_answered_and_planned_without_a_restart(settings, store):
    settings = settings.model_copy(update={"reload_interval": 0.2})
    ingest_all(store, settings)
    runtime = Runtime(settings, deliveries={}, store=store)
    registry, assistant, reminders = runtime.registry, runtime.assistant, runtime.reminders
    assert "August 29, 2025" in assistant.ask("When is the submission deadline?", now=NOW).text
    watcher = KnowledgeWatcher(settings, store, registry).start()
    try:
        extend_deadline(settings.knowledge_dir)
        answer = wait_until(lambda: (a := assistant.ask("When is the submission deadline?", now=NOW))
                            and "September 5, 2025" in a.text and a)
    finally:
        watcher.stop()
    assert "extended from August 22, 2025, then from August 29, 2025" in answer.text
    planned = [m for m in reminders.sync(NOW) if (m.edition, m.deadline) == ("neurips2025", "submission")]
    assert planned and all(m.due.date() <= datetime(2025, 9, 6).date() for m in planned)
    assert {m.due.astimezone(UTC).date() for m in planned if m.offset == "1d"} == {datetime(2025, 9, 5).date()}


@pytest.fixture
def cli(tmp_path, knowledge_copy, monkeypatch):
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KNOWLEDGE_DIR", str(knowledge_copy))
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


def test_a_folder_ingested_from_outside_the_knowledge_dir_is_answered(cli, tmp_path):
    site = tmp_path / "verifai"
    shutil.copytree(VERIFAI, site)
    result = cli("ingest", str(site))
    assert result.exit_code == 0, result.output
    answer = json.loads(cli("ask", "--json", "--edition", "iclr2025", "When is the paper submission deadline?").stdout)
    assert answer["answered"] and "February 7, 2025" in answer["answer"]
    assert answer["sources"][0]["path"] == "verifai/cfp.md"


def test_facts_show_what_the_pages_state_and_draft_a_valid_event_yaml(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("KNOWLEDGE_DIR", str(VERIFAI))
    listed = cli("facts")
    assert listed.exit_code == 0, listed.output
    assert "2025-02-07" in listed.stdout and "extended from 2025-02-03" in listed.stdout and "← cfp.md" in listed.stdout
    record = json.loads(cli("facts", "--json").stdout)
    assert record["venue"]["source"] == "schedule.md" and record["programme"][0]["start"] == "08:55"
    draft = tmp_path / "event.yaml"
    draft.write_text(cli("facts", "--yaml").stdout)
    event = load_event(draft)
    assert event.date.isoformat() == "2025-04-27" and [d.id for d in event.deadlines if d.id == "submission"]
    assert event.program[0].start.utcoffset().total_seconds() == 8 * 3600  # Singapore time, as the page says
    assert cli("facts", "neurips1999").exit_code == 2


@pytest.mark.slow
def test_ingest_in_a_second_process_while_serve_answers_breaks_nothing(tmp_path, knowledge_copy, slack_emulator):
    """The bot owns its embedded index: `ingest` run beside it hands the work to the bot."""
    bot = BotProcess.start(tmp_path / "data", knowledge_copy, slack_emulator)
    asked = 0
    stop = threading.Event()
    url = f"http://127.0.0.1:{bot.port}/slack/events"

    def mention(client: httpx.Client, n: int) -> None:
        body = json.dumps({"type": "event_callback", "team_id": "T1", "event_id": f"Ev{n}", "event_time": 1,
                           "event": {"type": "app_mention", "user": "U1", "channel": "C1", "ts": f"17000.{n:04d}",
                                     "text": "<@UBOT> When is the submission deadline?"}})
        stamp = str(int(time.time()))
        client.post(url, content=body, headers={"Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp,
                                                "X-Slack-Signature": signature(body, int(stamp))})

    def keep_asking(client: httpx.Client) -> None:
        nonlocal asked
        while not stop.is_set():
            asked += 1
            mention(client, asked)
            slack_emulator.wait_for("chat.postMessage", asked, timeout=60)

    try:
        with httpx.Client(timeout=30) as client:
            asker = threading.Thread(target=keep_asking, args=(client,), daemon=True)
            asker.start()
            extend_deadline(knowledge_copy)
            result = subprocess.run([sys.executable, "-m", "bot", "ingest"], cwd=REPO, env=bot.env, capture_output=True,
                                    check=False, text=True, timeout=120)
            assert result.returncode == 0, result.stderr
            assert "the running bot owns the index" in result.stderr
            wait_until(lambda: any("September 5, 2025" in p.body.get("text", "") for p in _replies(slack_emulator)),
                       timeout=90)
            stop.set()
            asker.join(timeout=90)
    finally:
        bot.kill()
    assert len(slack_emulator.of("chat.postMessage")) >= asked >= 2  # every question got its reply
    assert all("don't answer" not in r.body.get("text", "") for r in _replies(slack_emulator))


def _replies(emulator):
    """What the bot said: answers posted at once, or placeholders updated with the answer."""
    return [c for c in emulator.of("chat.postMessage") + emulator.of("chat.update")
            if "Looking that up" not in c.body.get("text", "")]
