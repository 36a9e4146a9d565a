"""`serve` is up before it has loaded: the console prompts and the HTTP server listens at once; what is
asked meanwhile waits for the knowledge base and is answered, never refused or dropped."""

from __future__ import annotations

import io
import os
import sqlite3
import threading

import httpx
import pytest
from pydantic import SecretStr
from rich.console import Console

from bot.console import run_console
from bot.index.ingest import ingest
from bot.runtime import Runtime
from bot.startup import Startup, StartupError

from .relay import Gate
from .conftest import KNOWLEDGE, make_settings
from .slack_harness import BotProcess, HttpBot, free_port
from .waiting import wait_until


class Typed:
    """A console reading what the test types, printing to a buffer; run_console in its own thread."""

    def __init__(self, startup: Startup) -> None:
        read, write = os.pipe()
        self.keys = os.fdopen(write, "w")
        self.out = io.StringIO()
        self.error: BaseException | None = None
        console = Console(file=self.out, width=200, color_system=None)
        self.thread = threading.Thread(target=self._run, args=(startup, console, os.fdopen(read)), daemon=True)
        self.thread.start()

    def _run(self, startup: Startup, console: Console, stream) -> None:
        try:
            run_console(startup, console, stream)
        except BaseException as error:  # the test reads it
            self.error = error

    def type(self, line: str) -> None:
        self.keys.write(line + "\n")
        self.keys.flush()

    @property
    def shown(self) -> str:
        return " ".join(self.out.getvalue().replace("│", " ").split())

    def quit(self) -> None:
        self.type("quit")
        self.thread.join(timeout=60)
        assert not self.thread.is_alive()


def test_a_question_typed_while_loading_is_answered_once_loaded(settings, store):
    runtime = Runtime(settings, deliveries={}, store=store)  # the store's index still empty: the refresh fills it
    startup = Startup(runtime, refresh=lambda opened: ingest(opened, settings))
    console = Typed(startup)
    try:
        console.type("Do submissions need to be anonymized?")
        wait_until(lambda: "still loading the knowledge base" in console.shown, 30, what="the console says it waits")
        assert "anonymized" not in console.shown.split("still loading")[1]  # nothing answered before the load
        startup.start()
        wait_until(lambda: "Sources:" in console.shown, 120, what="the answer")
        assert "do not have to be anonymized" in console.shown
        assert console.shown.count("still loading the knowledge base") == 1
        console.type("Is there a free lunch for pets?")  # loaded: no waiting, no notice
        wait_until(lambda: "Question for the organizers from you" in console.shown, 60, what="the second answer")
        assert console.shown.count("still loading the knowledge base") == 1
        console.quit()
    finally:
        startup.stop()
    assert console.error is None
    assert runtime.db.stats().asked == 2  # recorded as Slack questions are


def test_a_part_that_cannot_load_fails_the_waiting_question(tmp_path, settings, store):
    """A database upgraded by a newer version: the question waiting for it gets the reason, not silence."""
    newer = tmp_path / "newer.db"
    with sqlite3.connect(newer) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        connection.execute("INSERT INTO alembic_version VALUES ('9999')")
    newer_url = SecretStr(f"sqlite:///{newer}")
    runtime = Runtime(settings.model_copy(update={"database_url": newer_url}), deliveries={}, store=store)
    failed = threading.Event()
    startup = Startup(runtime, refresh=lambda opened: None).start(on_failure=lambda error: failed.set())
    console = Typed(startup)
    try:
        console.type("When is the deadline?")
        console.thread.join(timeout=120)
    finally:
        startup.stop()
    assert failed.is_set() and isinstance(console.error, StartupError)
    assert "at schema revision 9999, which this version of workshop-bot does not know" in str(console.error)


@pytest.mark.slow  # `serve` in a subprocess, and a Chroma server process
def test_http_mode_listens_at_once_and_answers_what_came_before_it_was_ready(tmp_path, chroma_server,
                                                                             slack_emulator):
    """The index is on a Chroma server that answers only once the gate opens: the bot listens, says it
    is alive but not ready, acknowledges a mention, and answers it once the assistant has loaded."""
    gate = Gate(chroma_server)
    bot = BotProcess.launch(tmp_path / "data", KNOWLEDGE, slack_emulator, CHROMA_HOST="127.0.0.1",
                            CHROMA_PORT=str(gate.port), PLACEHOLDER_AFTER="1.0")  # the gate holds the answer
    try:
        bot.wait_until("/healthz")
        assert bot.get("/healthz").json() == {"ok": True}
        wait_until(lambda: gate.held, 60, what="the bot connecting to Chroma")
        response = bot.get("/readyz")
        assert response.status_code == 503
        assert response.json()["ready"] is False and "assistant" in response.json()["loading"]

        settings = make_settings(tmp_path / "data")
        with httpx.Client(timeout=30) as client:
            asker = HttpBot(slack_emulator, Runtime(settings).slack, f"http://127.0.0.1:{bot.port}/slack/events",
                            client)
            acked, ts = asker.mention("Is the NeurIPS checklist required?")
        assert acked.status_code == 200  # acknowledged while the assistant is still loading
        [started] = slack_emulator.wait_for("chat.startStream", timeout=60)  # a task line in a stream, no answer
        assert started.body["thread_ts"] == ts and "checklist" not in str(started.body)
        assert [chunk["status"] for chunk in started.body["chunks"]] == ["in_progress"]
        assert "assistant" in bot.get("/readyz").json()["loading"]

        gate.open()
        bot.wait_until("/readyz")
        ready = bot.get("/readyz").json()
        assert ready["ready"] is True and ready["passages"] > 50 and ready["editions"][0] == "neurips2025"
        [answer] = slack_emulator.wait_for("chat.update", timeout=120)  # the stream becomes the answer
        assert answer.body["ts"] == started.body["posted_ts"] and slack_emulator.of("chat.stopStream")
        assert "checklist is NOT required" in str(answer.body["blocks"])
        assert slack_emulator.of("chat.postMessage") == []
    finally:
        bot.kill()
        gate.close()


@pytest.mark.slow  # `serve` in a subprocess
def test_an_unreachable_slack_is_tried_again_and_readiness_says_so(tmp_path, slack_emulator):
    """Slack cannot be reached when the bot starts (nothing listens where SLACK_API_URL points): the
    process stays up, /readyz says what it waits for and why, and once Slack answers there the bot
    becomes ready and answers."""
    port = free_port()
    bot = BotProcess.launch(tmp_path / "data", KNOWLEDGE, slack_emulator,
                            SLACK_API_URL=f"http://127.0.0.1:{port}/api/")
    relay = None
    try:
        def waiting_for_slack() -> bool:
            response = bot.get("/readyz")
            return response is not None and any(part.startswith("slack (unreachable: ")
                                                for part in response.json().get("loading", []))
        wait_until(waiting_for_slack, 120, what="/readyz naming the unreachable Slack")
        assert bot.process.poll() is None  # still running
        relay = Gate(slack_emulator.server.server_address[1], port=port)
        relay.open()
        bot.wait_until("/readyz")
        assert bot.get("/readyz").json()["ready"] is True
    finally:
        bot.kill()
        if relay is not None:
            relay.close()
