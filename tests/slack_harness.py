"""The bot as Slack sees it: the real ASGI app under uvicorn, fed correctly signed HTTP requests,
its Web API client pointed at the local emulator."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn

from bot.runtime import Runtime
from bot.slack.app import build_app
from bot.slack.client import web_client
from bot.slack.context import SlackContext
from bot.slack.http import asgi_app

from .conftest import REPO, make_settings
from .slack_emulator import BOT_TOKEN, BOT_USER, SlackEmulator
from .waiting import wait_until

SECRET = "test-signing-secret"
ORGANIZERS = "CORG"
ORGANIZER = "UORG"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def signature(body: str, timestamp: int, secret: str = SECRET) -> str:
    return "v0=" + hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()


@dataclass
class SlackBot:
    """Send Slack's requests to the running bot; read what it posted from the emulator."""

    url: str
    slack: SlackEmulator
    ctx: SlackContext
    http: httpx.Client

    _ids = itertools.count(1)

    def settle(self) -> None:
        """Until every request the bot accepted has been handled: then "nothing was posted" is a fact."""
        assert self.ctx.listeners.wait_idle(120), "the bot is still handling requests"

    def post(self, body: str, content_type: str, *, timestamp: int | None = None, secret: str = SECRET,
             headers: dict | None = None) -> httpx.Response:
        timestamp = int(time.time()) if timestamp is None else timestamp
        return self.http.post(self.url, content=body.encode(), headers={
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": signature(body, timestamp, secret),
            **(headers or {}),
        })

    def event(self, event: dict, *, event_id: str | None = None, **kwargs) -> httpx.Response:
        event = {"event_ts": event.get("ts", "0"), **event}
        body = json.dumps({
            "token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._ids):06d}", "event_time": int(time.time()), "event": event,
        })
        return self.post(body, "application/json", **kwargs)

    def mention(self, text: str, *, user: str = "U1", channel: str = "C1", ts: str | None = None,
                thread_ts: str | None = None, **kwargs) -> tuple[httpx.Response, str]:
        ts = ts or f"1690000{next(self._ids):03d}.000200"
        event = {"type": "app_mention", "user": user, "text": f"<@{BOT_USER}> {text}", "ts": ts, "channel": channel}
        if thread_ts:
            event["thread_ts"] = thread_ts
        return self.event(event, **kwargs), ts

    def command(self, command: str, text: str, *, user: str = "U1", channel: str = "C1") -> httpx.Response:
        body = urlencode({
            "command": command, "text": text, "user_id": user, "channel_id": channel, "team_id": "T1",
            "response_url": self.slack.response_url(f"cmd{next(self._ids)}"), "trigger_id": "trigger-1",
        })
        return self.post(body, "application/x-www-form-urlencoded")

    def interact(self, payload: dict) -> httpx.Response:
        payload = {"team": {"id": "T1"}, "api_app_id": "A1", "token": "legacy", **payload}
        return self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    def click(self, action_id: str, value: str, *, user: str = "U1", channel: str = "C1",
              message_ts: str = "1.0") -> httpx.Response:
        return self.interact({
            "type": "block_actions", "user": {"id": user}, "channel": {"id": channel},
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
            "message": {"ts": message_ts}, "trigger_id": f"trigger-{next(self._ids)}",
            "response_url": self.slack.response_url(f"act{next(self._ids)}"),
            "actions": [{"action_id": action_id, "block_id": "b", "value": value, "type": "button"}],
        })

    def submit_view(self, callback_id: str, private_metadata: str, values: dict, *, user: str) -> httpx.Response:
        return self.interact({
            "type": "view_submission", "user": {"id": user}, "trigger_id": "t",
            "view": {"id": "V1", "type": "modal", "callback_id": callback_id, "private_metadata": private_metadata,
                     "state": {"values": values}},
        })


@pytest.fixture(scope="module")
def slack_store(tmp_path_factory, embeddings):
    """The knowledge index for Slack tests: shared by the module, FAQ entries included."""
    from bot.index.store import KnowledgeStore

    from .conftest import ingest_all

    settings = make_settings(tmp_path_factory.mktemp("slack-index"))
    store = KnowledgeStore(settings, embeddings)
    ingest_all(store, settings)
    return store


@pytest.fixture
def slack_emulator():
    emulator = SlackEmulator().start()
    yield emulator
    emulator.stop()


@contextmanager
def running_bot(settings, store, emulator: SlackEmulator) -> Iterator[SlackBot]:
    """The real ASGI app under uvicorn on a free port, its Web API client pointed at `emulator`."""
    ctx = Runtime(settings, store=store).slack
    app = build_app(ctx, client=web_client(settings))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(asgi_app(app, ctx), host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, 60, every=0.01, what="the bot's HTTP server started")
    try:
        with httpx.Client(timeout=10) as client:
            yield SlackBot(f"http://127.0.0.1:{port}/slack/events", emulator, ctx, client)
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def bot_settings(data_dir, emulator: SlackEmulator, database: str):
    return make_settings(
        data_dir, slack_bot_token=BOT_TOKEN, slack_signing_secret=SECRET, slack_api_url=emulator.url,
        organizers_channel=ORGANIZERS, organizer_user_ids=ORGANIZER, database_url=database,
    )


@pytest.fixture
def slack_bot(tmp_path, slack_store, slack_emulator):
    settings = bot_settings(slack_store.settings.bot_data_dir, slack_emulator, f"sqlite:///{tmp_path / 'bot.db'}")
    with running_bot(settings, slack_store, slack_emulator) as bot:
        yield bot


@dataclass
class BotProcess:
    """`workshop-bot serve` in HTTP mode as its own process, ready: it answers /healthz."""

    process: subprocess.Popen
    port: int
    env: dict[str, str]

    @classmethod
    def start(cls, data_dir, knowledge, emulator: SlackEmulator) -> BotProcess:
        port = free_port()
        env = {**os.environ, "BOT_DATA_DIR": str(data_dir), "KNOWLEDGE_DIR": str(knowledge),
               "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": emulator.url,
               "HOST": "127.0.0.1", "PORT": str(port), "RELOAD_INTERVAL": "0.5"}
        process = subprocess.Popen([sys.executable, "-m", "bot", "serve"], cwd=REPO, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        bot = cls(process, port, env)
        try:  # its reminder service starts before it serves: ready means reminders run too
            wait_until(lambda: process.poll() is not None or bot.healthy(), 180, every=0.2, what="the bot ready")
            assert process.poll() is None, f"the bot exited with code {process.poll()} before it was ready"
        except AssertionError:
            bot.kill()
            raise
        return bot

    def healthy(self) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)
