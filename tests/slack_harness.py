"""The bot as Slack sees it: correctly signed requests, its Web API client pointed at the local emulator.

`slack_bot` hands each request to Bolt in-process (`app.dispatch`), as Bolt's own tests do: the app, its
signature check and its listeners are the real ones, without a server to start. `http_bot` runs the real
ASGI app under uvicorn, for what the HTTP layer decides before Bolt (size limits, refusals, /healthz)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn
from slack_bolt import App
from slack_bolt.request import BoltRequest

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


@dataclass(frozen=True)
class Reply:
    """Bolt's answer, read the way the tests read an HTTP response."""

    status_code: int
    text: str
    headers: dict[str, str]

    def json(self) -> dict:
        return json.loads(self.text)


Answer = Reply | httpx.Response  # status_code, text, headers, json()


class SlackBot(ABC):
    """Send Slack's requests to the bot; read what it posted from the emulator. Subclasses say how a
    request travels (`send`)."""

    _ids = itertools.count(1)

    def __init__(self, slack: SlackEmulator, ctx: SlackContext) -> None:
        self.slack, self.ctx = slack, ctx

    def settle(self) -> None:
        """Until every request the bot accepted has been handled: then "nothing was posted" is a fact."""
        assert self.ctx.listeners.wait_idle(120), "the bot is still handling requests"

    def post(self, body: str, content_type: str, *, timestamp: int | None = None, secret: str = SECRET,
             headers: dict | None = None) -> Answer:
        timestamp = int(time.time()) if timestamp is None else timestamp
        return self.send(body, {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": signature(body, timestamp, secret),
            **(headers or {}),
        })

    @abstractmethod
    def send(self, body: str, headers: dict[str, str]) -> Answer:
        """Deliver one signed request; Bolt's or the server's answer."""

    def event(self, event: dict, *, event_id: str | None = None, **kwargs) -> Answer:
        event = {"event_ts": event.get("ts", "0"), **event}
        body = json.dumps({
            "token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._ids):06d}", "event_time": int(time.time()), "event": event,
        })
        return self.post(body, "application/json", **kwargs)

    def mention(self, text: str, *, user: str = "U1", channel: str = "C1", ts: str | None = None,
                thread_ts: str | None = None, **kwargs) -> tuple[Answer, str]:
        ts = ts or f"1690000{next(self._ids):03d}.000200"
        event = {"type": "app_mention", "user": user, "text": f"<@{BOT_USER}> {text}", "ts": ts, "channel": channel}
        if thread_ts:
            event["thread_ts"] = thread_ts
        return self.event(event, **kwargs), ts

    def command(self, command: str, text: str, *, user: str = "U1", channel: str = "C1") -> Answer:
        body = urlencode({
            "command": command, "text": text, "user_id": user, "channel_id": channel, "team_id": "T1",
            "response_url": self.slack.response_url(f"cmd{next(self._ids)}"), "trigger_id": "trigger-1",
        })
        return self.post(body, "application/x-www-form-urlencoded")

    def interact(self, payload: dict) -> Answer:
        payload = {"team": {"id": "T1"}, "api_app_id": "A1", "token": "legacy", **payload}
        return self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    def click(self, action_id: str, value: str, *, user: str = "U1", channel: str = "C1",
              message_ts: str = "1.0") -> Answer:
        return self.interact({
            "type": "block_actions", "user": {"id": user}, "channel": {"id": channel},
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
            "message": {"ts": message_ts}, "trigger_id": f"trigger-{next(self._ids)}",
            "response_url": self.slack.response_url(f"act{next(self._ids)}"),
            "actions": [{"action_id": action_id, "block_id": "b", "value": value, "type": "button"}],
        })

    def submit_view(self, callback_id: str, private_metadata: str, values: dict, *, user: str) -> Answer:
        return self.interact({
            "type": "view_submission", "user": {"id": user}, "trigger_id": "t",
            "view": {"id": "V1", "type": "modal", "callback_id": callback_id, "private_metadata": private_metadata,
                     "state": {"values": values}},
        })


class InProcessBot(SlackBot):
    """Requests dispatched by Bolt in this thread: it checks the signature, acks, and leaves the rest to
    the listener pool, as it does behind the HTTP server."""

    def __init__(self, slack: SlackEmulator, ctx: SlackContext, app: App) -> None:
        super().__init__(slack, ctx)
        self.app = app

    def send(self, body: str, headers: dict[str, str]) -> Reply:
        response = self.app.dispatch(BoltRequest(body=body, headers=headers))
        return Reply(response.status, response.body, {k: ", ".join(v) for k, v in response.headers.items()})


class HttpBot(SlackBot):
    """Requests over HTTP to the real ASGI app at `url`."""

    def __init__(self, slack: SlackEmulator, ctx: SlackContext, url: str, http: httpx.Client) -> None:
        super().__init__(slack, ctx)
        self.url, self.http = url, http

    def send(self, body: str, headers: dict[str, str]) -> httpx.Response:
        return self.http.post(self.url, content=body.encode(), headers=headers)


@pytest.fixture(scope="session")
def slack_index(tmp_path_factory, embeddings) -> Path:
    """A data folder with knowledge/ indexed, built once: each module works on its own copy."""
    from bot.index.store import KnowledgeStore

    from .conftest import ingest_all

    settings = make_settings(tmp_path_factory.mktemp("slack-index") / "data")
    assert not ingest_all(KnowledgeStore(settings, embeddings), settings).errors
    return settings.bot_data_dir


@pytest.fixture(scope="module")
def slack_store(tmp_path_factory, slack_index, embeddings):
    """The knowledge index for Slack tests: the module's own copy, which its FAQ entries and sent
    announcements join."""
    from bot.index.store import KnowledgeStore

    data = tmp_path_factory.mktemp("slack-store") / "data"
    shutil.copytree(slack_index, data)
    return KnowledgeStore(make_settings(data), embeddings)


@pytest.fixture
def slack_emulator():
    emulator = SlackEmulator().start()
    yield emulator
    emulator.stop()


@contextmanager
def in_process_bot(settings, store, emulator: SlackEmulator) -> Iterator[InProcessBot]:
    """The Bolt app built as `serve` builds it, its Web API client pointed at `emulator`."""
    ctx = Runtime(settings, store=store).slack
    yield InProcessBot(emulator, ctx, build_app(ctx, client=web_client(settings)))


@contextmanager
def running_bot(settings, store, emulator: SlackEmulator) -> Iterator[HttpBot]:
    """The real ASGI app under uvicorn on a free port, its Web API client pointed at `emulator`."""
    ctx = Runtime(settings, store=store).slack
    app = build_app(ctx, client=web_client(settings))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(asgi_app(ctx, lambda: app), host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off", log_config=None))  # its loggers log as ours, as in serve
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, 60, every=0.01, what="the bot's HTTP server started")
    try:
        with httpx.Client(timeout=10) as client:
            yield HttpBot(emulator, ctx, f"http://127.0.0.1:{port}/slack/events", client)
    finally:
        server.should_exit = True
        thread.join(timeout=5)


# However slow a loaded machine answers, the answer is the first post: the placeholder shown before a slow
# answer is a test of its own (it sets its own delay).
NO_PLACEHOLDER = 600.0


def bot_settings(data_dir, emulator: SlackEmulator, database: str):
    return make_settings(
        data_dir, slack_bot_token=BOT_TOKEN, slack_signing_secret=SECRET, slack_api_url=emulator.url,
        organizers_channel=ORGANIZERS, organizer_user_ids=ORGANIZER, database_url=database,
        placeholder_after=NO_PLACEHOLDER,
    )


@pytest.fixture
def slack_database_url(tmp_path) -> str:
    """The Slack bot's database: SQLite, unless a module overrides this with `database_url` (both engines)."""
    return f"sqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture
def slack_bot(slack_store, slack_emulator, slack_database_url):
    """The bot with requests dispatched in-process: the default for what listeners do."""
    settings = bot_settings(slack_store.settings.bot_data_dir, slack_emulator, slack_database_url)
    with in_process_bot(settings, slack_store, slack_emulator) as bot:
        yield bot


@pytest.fixture
def http_bot(tmp_path, slack_store, slack_emulator):
    """The bot behind its HTTP server: for what the HTTP layer decides (tests that use it are slow)."""
    settings = bot_settings(slack_store.settings.bot_data_dir, slack_emulator, f"sqlite:///{tmp_path / 'bot.db'}")
    with running_bot(settings, slack_store, slack_emulator) as bot:
        yield bot


@dataclass
class BotProcess:
    """`workshop-bot serve` in HTTP mode as its own process."""

    process: subprocess.Popen
    port: int
    env: dict[str, str]

    @classmethod
    def launch(cls, data_dir, knowledge, emulator: SlackEmulator, log: Path | None = None, **env: str) -> BotProcess:
        """Started, not waited for: it listens within a second or two, and loads the rest behind. Its
        stderr (its log) goes to `log` if given."""
        port = free_port()
        env = {**os.environ, "BOT_DATA_DIR": str(data_dir), "KNOWLEDGE_DIR": str(knowledge),
               "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": emulator.url,
               "HOST": "127.0.0.1", "PORT": str(port), "RELOAD_INTERVAL": "0.5",
               "PLACEHOLDER_AFTER": str(NO_PLACEHOLDER), **env}
        with open(log, "wb") if log else nullcontext(subprocess.DEVNULL) as stderr:
            process = subprocess.Popen([sys.executable, "-m", "bot", "serve"], cwd=REPO, env=env,
                                       stdout=subprocess.DEVNULL, stderr=stderr)
        return cls(process, port, env)

    @classmethod
    def start(cls, data_dir, knowledge, emulator: SlackEmulator, log: Path | None = None, **env: str) -> BotProcess:
        """Started and ready (/readyz): its assistant and its reminder service run."""
        bot = cls.launch(data_dir, knowledge, emulator, log, **env)
        bot.wait_until("/readyz")
        return bot

    def get(self, path: str) -> httpx.Response | None:
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}{path}", timeout=5)
        except httpx.TransportError:
            return None

    def answers(self, path: str) -> bool:
        """Whether `path` answers 200."""
        response = self.get(path)
        return response is not None and response.status_code == 200

    def wait_until(self, path: str) -> None:
        """Until `path` answers 200; fails at once if the bot exits."""
        try:
            wait_until(lambda: self.process.poll() is not None or self.answers(path), 180, every=0.1,
                       what=f"{path} answering 200")
            assert self.process.poll() is None, f"the bot exited with code {self.process.poll()}"
        except AssertionError:
            self.kill()
            raise

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)
