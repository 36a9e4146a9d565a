"""A local Slack Web API: a real HTTP server on 127.0.0.1 that records every call and answers like Slack.

It implements the methods the bot calls, checks the bot token (`invalid_auth`), validates Block Kit
limits (`invalid_blocks`), and answers 429 with Retry-After when told to. `response_url` posts land
here too (`/response/<id>`), recorded as method `response_url`.

Like Slack, it speaks HTTP/1.1 and keeps connections open between calls (every answer says its
Content-Length), over TLS when given a certificate; `stop()` closes the open connections too, so a
stopped emulator answers nothing more.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from .waiting import wait_until

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"
BOT_USER = "UBOT"


@dataclass
class Call:
    method: str
    body: dict
    at: float = field(default_factory=time.monotonic)


def block_problems(blocks: list[dict]) -> list[str]:
    problems = []
    if len(blocks) > 50:
        problems.append(f"{len(blocks)} blocks > 50")
    for block in blocks:
        text = (block.get("text") or {}).get("text", "")
        if block.get("type") == "section" and len(text) > 3000:
            problems.append(f"section text {len(text)} > 3000")
        if block.get("type") == "context" and len(block.get("elements", [])) > 10:
            problems.append("context elements > 10")
    return problems


class SlackEmulator:
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        """`tls`: a server context (a certificate for 127.0.0.1) to answer over HTTPS."""
        self.calls: list[Call] = []
        self.lock = threading.Lock()
        self.rate_limited: dict[str, int] = {}  # method -> how many more calls get 429
        self.retry_after = 1
        self.usergroups: dict[str, list[str]] = {}
        self.private_channels: set[str] = set()  # conversations.info says is_private for these
        self.channels_without_bot: set[str] = set()  # ... and is_member: false for these
        self.socket_url: str | None = None
        self.channel_errors: dict[str, tuple[int, str, int]] = {}  # channel -> (status, error, times; -1 always)
        self.refused: dict[str, str] = {}  # method -> the error it answers (a feature the workspace lacks)
        self.streams: dict[str, dict] = {}  # ts -> a streamed message: channel, thread_ts, chunks, blocks, stopped
        self._ts = itertools.count(1)
        self._connections: set[socket.socket] = set()  # open now
        self.connections = 0  # accepted so far
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.scheme = "https" if tls is not None else "http"
        # a short poll: stop() returns within it, and every Slack test stops one emulator
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server.server_address[1]}/api/"

    def response_url(self, name: str) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server.server_address[1]}/response/{name}"

    def start(self) -> SlackEmulator:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.drop_connections()

    def drop_connections(self) -> None:
        """Close every open connection, as Slack closes idle ones."""
        with self.lock:
            for connection in self._connections:  # kept-alive ones would otherwise go on answering
                with contextlib.suppress(OSError):  # closed by the client meanwhile
                    connection.shutdown(socket.SHUT_RDWR)

    def rate_limit(self, method: str, times: int, retry_after: int = 1) -> None:
        self.rate_limited[method] = times
        self.retry_after = retry_after

    def of(self, method: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 30.0, where=lambda c: True) -> list[Call]:
        """The calls of `method` matching `where`, once there are at least `count` of them."""
        def enough() -> list[Call]:
            found = [c for c in self.of(method) if where(c)]
            return found if len(found) >= count else []

        try:
            return wait_until(enough, timeout, every=0.02)
        except AssertionError:
            bodies = [c.body for c in self.of(method)]
            raise AssertionError(f"expected {count} {method} call(s), got {bodies}") from None

    def clear(self) -> None:
        with self.lock:
            self.calls.clear()

    # --- the API -------------------------------------------------------------------------------

    def answer(self, method: str, body: dict, token: str | None) -> tuple[int, dict, dict]:
        with self.lock:
            left = self.rate_limited.get(method, 0)
            if left:
                self.rate_limited[method] = left - 1
                self.calls.append(Call(f"429:{method}", body))
                return 429, {"Retry-After": str(self.retry_after)}, {"ok": False, "error": "ratelimited"}
            self.calls.append(Call(method, body))
        if method == "response_url":
            return 200, {}, {"ok": True}
        expected = APP_TOKEN if method == "apps.connections.open" else BOT_TOKEN
        if token != expected:
            return 200, {}, {"ok": False, "error": "invalid_auth"}
        blocks = body.get("blocks") or (body.get("view") or {}).get("blocks") or []
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        if problems := block_problems(blocks):
            return 200, {}, {"ok": False, "error": "invalid_blocks", "errors": problems}
        failing = self.channel_errors.get(body.get("channel", ""))
        if method == "chat.postMessage" and failing and failing[2] != 0:
            status, code, times = failing
            self.channel_errors[body["channel"]] = (status, code, times - 1 if times > 0 else times)
            return status, {}, {"ok": False, "error": code}
        if method in {"chat.postMessage", "chat.postEphemeral", "chat.update"} and not (body.get("text") or blocks):
            return 200, {}, {"ok": False, "error": "no_text"}
        if method in self.refused:
            return 200, {}, {"ok": False, "error": self.refused[method]}
        if method.endswith("Stream"):
            return 200, {}, self._stream(method, body)
        ts = f"{1700000000 + next(self._ts)}.000100"
        channel = body.get("channel", "")
        match method:
            case "auth.test":
                return 200, {}, {"ok": True, "user_id": BOT_USER, "bot_id": "BBOT", "team_id": "T1", "user": "bot"}
            case "chat.postMessage":
                body["posted_ts"] = ts  # what conversations.history will show
                return 200, {}, {"ok": True, "channel": channel, "ts": ts, "message": {"text": body.get("text")}}
            case "chat.update":
                return 200, {}, {"ok": True, "channel": channel, "ts": body.get("ts")}
            case "chat.postEphemeral":
                return 200, {}, {"ok": True, "message_ts": ts}
            case "chat.getPermalink":
                link = f"https://example.slack.com/archives/{channel}/p{body.get('message_ts', '').replace('.', '')}"
                return 200, {}, {"ok": True, "channel": channel, "permalink": link}
            case "views.open" | "views.publish":
                return 200, {}, {"ok": True, "view": {"id": "V1", "hash": f"h{ts}", **(body.get("view") or {})}}
            case "views.update":
                view = {"id": body.get("view_id"), "hash": f"h{ts}", **(body.get("view") or {})}
                return 200, {}, {"ok": True, "view": view}
            case "usergroups.users.list":
                return 200, {}, {"ok": True, "users": self.usergroups.get(body.get("usergroup", ""), [])}
            case "conversations.history":
                with self.lock:
                    posted = [{"ts": c.body["posted_ts"], "text": c.body.get("text"),
                               "metadata": c.body.get("metadata")} for c in self.calls
                              if c.method == "chat.postMessage" and c.body.get("channel") == channel]
                return 200, {}, {"ok": True, "messages": posted}
            case "conversations.info":
                info = {"id": channel, "is_channel": True, "is_private": channel in self.private_channels,
                        "is_member": channel not in self.channels_without_bot}
                return 200, {}, {"ok": True, "channel": info}
            case "assistant.threads.setStatus" | "assistant.threads.setSuggestedPrompts" | "assistant.threads.setTitle":
                return 200, {}, {"ok": True}
            case "apps.connections.open":
                return 200, {}, {"ok": True, "url": self.socket_url}
        return 200, {}, {"ok": False, "error": "unknown_method"}

    def _stream(self, method: str, body: dict) -> dict:
        """chat.startStream / appendStream / stopStream, checked as Slack checks them: a stream is a reply in
        a thread; in a channel it names its recipient; only a stream still open takes more."""
        with self.lock:
            if method == "chat.startStream":
                if not body.get("thread_ts"):
                    return {"ok": False, "error": "invalid_arguments"}
                if body.get("channel", "").startswith(("C", "G")) and not (
                        body.get("recipient_team_id") and body.get("recipient_user_id")):
                    return {"ok": False, "error": "missing_recipient"}
                ts = body["posted_ts"] = f"{1700000000 + next(self._ts)}.000100"
                self.streams[ts] = {"channel": body["channel"], "thread_ts": body["thread_ts"], "chunks": [],
                                    "blocks": None, "stopped": False}
            else:
                ts = body.get("ts", "")
                if ts not in self.streams or self.streams[ts]["stopped"]:
                    return {"ok": False, "error": "message_not_in_streaming_state"}
            stream = self.streams[ts]
            stream["chunks"] += body.get("chunks") or []
            if body.get("markdown_text"):
                stream["chunks"].append({"type": "markdown_text", "text": body["markdown_text"]})
            if method == "chat.stopStream":
                stream["stopped"], stream["blocks"] = True, body.get("blocks")
            return {"ok": True, "channel": stream["channel"], "ts": ts}

    def streamed_text(self, ts: str) -> str:
        """The text a streamed message shows: its markdown chunks, in order."""
        with self.lock:
            return "".join(c["text"] for c in self.streams[ts]["chunks"] if c.get("type") == "markdown_text")

    def _handler(self):
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # persistent connections
            disable_nagle_algorithm = True  # else a kept-alive connection waits 40 ms for the body after the head

            def setup(self) -> None:
                super().setup()
                with emulator.lock:
                    emulator._connections.add(self.connection)
                    emulator.connections += 1

            def finish(self) -> None:
                with emulator.lock:
                    emulator._connections.discard(self.connection)
                super().finish()

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                if "json" in (self.headers.get("Content-Type") or ""):
                    body = json.loads(raw or "{}")
                else:
                    body = {k: v[0] for k, v in parse_qs(raw).items()}
                for key in ("blocks", "view"):
                    if isinstance(body.get(key), str):
                        body[key] = json.loads(body[key])
                auth = self.headers.get("Authorization", "")
                token = auth.removeprefix("Bearer ") if auth else body.get("token")
                path = self.path.split("?")[0]
                method = "response_url" if path.startswith("/response/") else path.removeprefix("/api/")
                if method == "response_url":
                    body["response_url"] = path
                status, headers, payload = emulator.answer(method, body, token)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler
