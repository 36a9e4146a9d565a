"""Socket Mode: the handler connects to the websocket URL Slack hands out, and acks each envelope."""

import json
import queue
import threading

import pytest

from slack_bolt.adapter.socket_mode import SocketModeHandler
from websockets.sync.server import serve

from bot.runtime import Runtime
from bot.slack.app import build_app
from bot.slack.client import web_client

from .conftest import make_settings
from .slack_emulator import APP_TOKEN, BOT_TOKEN, BOT_USER
from .slack_harness import NO_PLACEHOLDER

pytestmark = pytest.mark.slow  # a websocket server and Socket Mode's threads


def test_socket_mode_connects_acks_an_envelope_and_answers(tmp_path, slack_store, slack_emulator):
    acks: queue.Queue = queue.Queue()
    envelope = {
        "envelope_id": "env-1", "type": "events_api", "accepts_response_payload": False,
        "payload": {"type": "event_callback", "event_id": "EvSOCKET", "team_id": "T1", "event": {
            "type": "app_mention", "user": "U1", "channel": "C1", "ts": "1690000300.000100",
            "text": f"<@{BOT_USER}> Is the NeurIPS checklist required?"}},
    }

    def slack_side(connection) -> None:
        connection.send(json.dumps({"type": "hello", "num_connections": 1}))
        connection.send(json.dumps(envelope))
        acks.put(json.loads(connection.recv(timeout=20)))
        connection.recv(timeout=20)  # hold the connection until the client closes it

    with serve(slack_side, "127.0.0.1", 0) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        slack_emulator.socket_url = f"ws://127.0.0.1:{server.socket.getsockname()[1]}/link"
        settings = make_settings(tmp_path, slack_bot_token=BOT_TOKEN, slack_app_token=APP_TOKEN,
                                 slack_api_url=slack_emulator.url, placeholder_after=NO_PLACEHOLDER)
        assert settings.slack_mode == "socket"
        ctx = Runtime(settings, store=slack_store).slack
        handler = SocketModeHandler(build_app(ctx, verify_requests=False), APP_TOKEN,
                                    web_client=web_client(settings, APP_TOKEN))
        handler.connect()
        try:
            assert acks.get(timeout=20) == {"envelope_id": "env-1"}
            [post] = slack_emulator.wait_for("chat.postMessage")
            assert post.body["thread_ts"] == "1690000300.000100"
            assert "checklist is NOT required" in str(post.body["blocks"])
        finally:
            handler.close()
        assert slack_emulator.of("apps.connections.open")
