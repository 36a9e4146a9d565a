"""Start-up figures: how long after `workshop-bot …` starts the console shows its prompt, HTTP mode
listens and is ready, and a cold `ask` has answered. Each is a new process on an index already built,
timed from its start; the median of RUNS.
"""

from __future__ import annotations

import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

from tests.slack_emulator import APP_TOKEN, BOT_TOKEN, SlackEmulator
from tests.slack_harness import SECRET, free_port, signature

REPO = Path(__file__).resolve().parent.parent
RUNS = 5
QUESTION = "When is the submission deadline?"
LIMIT = 180.0  # seconds any one start may take before the run fails


def built_index(tmp: Path) -> dict[str, str]:
    """The environment of a bot whose index of knowledge/ is built (by `workshop-bot ingest`)."""
    env = {**os.environ, "BOT_DATA_DIR": str(tmp / "data"), "KNOWLEDGE_DIR": str(REPO / "knowledge"), "COLUMNS": "200"}
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        env.pop(name, None)
    subprocess.run([sys.executable, "-m", "bot", "ingest"], env=env, check=True, capture_output=True, timeout=LIMIT)
    return env


def _until(condition: Callable[[], bool], process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + LIMIT
    while not condition():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what}: the bot exited ({process.poll()}) or took over {LIMIT:g} s")
        time.sleep(0.005)


def console(env: dict[str, str]) -> tuple[float, float]:
    """(prompt shown, answer to a question typed at the prompt shown) in seconds from the start."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "bot", "serve"], env=env, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdin is not None and process.stdout is not None
    shown = b""

    def read_until(text: bytes) -> float:
        nonlocal shown
        while text not in shown:
            chunk = os.read(process.stdout.fileno(), 65536)  # type: ignore[union-attr]
            if not chunk:
                raise RuntimeError(f"the console ended before showing {text!r}: {shown[-300:]!r}")
            shown += chunk
        return time.perf_counter() - started

    try:
        prompt = read_until(b"you>")
        process.stdin.write(f"{QUESTION}\n".encode())
        process.stdin.flush()
        answer = read_until(b"Sources:")
        process.stdin.write(b"quit\n")
        process.stdin.flush()
        process.wait(timeout=LIMIT)
    finally:
        process.kill()
        process.wait()
    return prompt, answer


def http(env: dict[str, str], emulator: SlackEmulator) -> tuple[float, float, float]:
    """(/healthz answers 200, a mention sent then is acknowledged, /readyz answers 200) in seconds from
    the start of `serve` in HTTP mode."""
    port = free_port()
    env = {**env, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": emulator.url,
           "HOST": "127.0.0.1", "PORT": str(port)}
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "bot", "serve"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)

    def answers(path: str) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    try:
        _until(lambda: answers("/healthz"), process, "/healthz")
        listening = time.perf_counter() - started
        body = json.dumps({"type": "event_callback", "team_id": "T1", "event_id": f"Ev{port}", "event": {
            "type": "app_mention", "user": "U1", "channel": "C1", "ts": f"{port}.000100", "text": f"<@U> {QUESTION}"}})
        stamp = int(time.time())
        acked = httpx.post(f"http://127.0.0.1:{port}/slack/events", content=body.encode(), timeout=LIMIT, headers={
            "Content-Type": "application/json", "X-Slack-Request-Timestamp": str(stamp),
            "X-Slack-Signature": signature(body, stamp)})
        assert acked.status_code == 200, acked.text
        ack = time.perf_counter() - started - listening
        _until(lambda: answers("/readyz"), process, "/readyz")
        ready = time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=LIMIT)
    return listening, ack, ready


def socket_mode(env: dict[str, str], emulator: SlackEmulator) -> float:
    """Seconds from the start of `serve` in Socket Mode until its websocket is connected."""
    connected: queue.Queue[float] = queue.Queue()

    def slack_side(connection: ServerConnection) -> None:
        connected.put(time.perf_counter())
        connection.send(json.dumps({"type": "hello", "num_connections": 1}))
        with suppress(ConnectionClosed):  # held open until the bot goes
            for _ in connection:
                pass

    with serve(slack_side, "127.0.0.1", 0) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        emulator.socket_url = f"ws://127.0.0.1:{server.socket.getsockname()[1]}/link"
        env = {**env, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN, "SLACK_API_URL": emulator.url,
               "HOST": "127.0.0.1", "PORT": str(free_port())}  # /healthz, /readyz, /metrics
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "bot", "serve"], env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        try:
            at = connected.get(timeout=LIMIT)
        finally:
            process.terminate()
            process.wait(timeout=LIMIT)
            server.shutdown()
    return at - started


def cold_ask(env: dict[str, str]) -> float:
    """Seconds for `workshop-bot ask` in a new process, to its exit."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bot", "ask", "--json", QUESTION], env=env, check=True, capture_output=True,
                   timeout=LIMIT)
    return time.perf_counter() - started


def median_cold_ask(env: dict[str, str]) -> float:
    return statistics.median(cold_ask(env) for _ in range(RUNS))


def run() -> dict[str, float | str]:
    with tempfile.TemporaryDirectory() as tmp_name:
        env = built_index(Path(tmp_name))
        figures: dict[str, float | str] = {"load average at start (1 min)": os.getloadavg()[0]}
        prompts, answers = zip(*(console(env) for _ in range(RUNS)), strict=True)
        figures["console: prompt shown (s)"] = statistics.median(prompts)
        figures["console: answer to a question typed at the prompt (s)"] = statistics.median(answers)
        emulator = SlackEmulator().start()
        try:
            listening, acks, ready = zip(*(http(env, emulator) for _ in range(RUNS)), strict=True)
            connected = [socket_mode(env, emulator) for _ in range(RUNS)]
        finally:
            emulator.stop()
        figures["HTTP mode: /healthz 200, listening (s)"] = statistics.median(listening)
        figures["HTTP mode: a mention sent on listening, acknowledged after (s)"] = statistics.median(acks)
        figures["HTTP mode: /readyz 200 (s)"] = statistics.median(ready)
        figures["Socket Mode: connected (s)"] = statistics.median(connected)
        figures["cold ask, existing index (s)"] = median_cold_ask(env)
        figures["load average at end (1 min)"] = os.getloadavg()[0]
        figures["runs (median of)"] = str(RUNS)
    return figures
