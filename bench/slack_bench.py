"""Slack figures: CPU per answer first, then ack latency, mention → reply latency and answers/s with 50
and 10 concurrent askers, with the load average beside them; the cost of one Web API call, with a
connection per call (slack-sdk's client) and over kept-alive connections (ours).

The bot runs as it does in production, `workshop-bot serve` in HTTP mode in its own process, once with
answers computed in its threads (ANSWER_PROCESSES=0) and once in a worker process (1); the askers
(signed HTTP requests) and the emulated Slack Web API share this one. CPU time is counted for the bot's
process and its workers, and for this one: it does not depend on the machine's load, as latency does.
"""

from __future__ import annotations

import os
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import trustme
from slack_sdk import WebClient

from bot.slack.client import PooledWebClient

from bench.knowledge_bench import REPO, _percentile
from tests.eval.harness import load_items
from tests.slack_emulator import BOT_TOKEN, SlackEmulator
from tests.slack_harness import SECRET, HttpBot, SlackBot, free_port

ASKERS = 50
QUESTIONS_EACH = 4
ONE_AT_A_TIME = 60  # questions asked one after another by a single asker: the bot's CPU per mention
CALLS = 300


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and of its running children (answer workers), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    children = [int(child) for task in Path(f"/proc/{pid}/task").iterdir()
                for child in (task / "children").read_text().split()]
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") + sum(map(_cpu_seconds, children))


def _start_bot(tmp: Path, emulator: SlackEmulator, processes: int = 0) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "BOT_DATA_DIR": str(tmp), "KNOWLEDGE_DIR": str(REPO / "knowledge"),
           "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": emulator.url,
           "HOST": "127.0.0.1", "PORT": str(port), "ANSWER_PROCESSES": str(processes)}
    process = subprocess.Popen([sys.executable, "-m", "bot", "serve"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:  # the assistant loaded, not just listening
                return process, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("the bot did not start within 180 s")


def _load(bots: list[SlackBot], emulator: SlackEmulator, pids: list[int], askers: int,
          questions: list[str], run: int = 0, each: int = QUESTIONS_EACH) -> dict[str, float]:
    """`askers` people, each asking QUESTIONS_EACH questions one after another (a closed loop), spread
    over the bots' processes (`pids`) as a load balancer would. Messages differ by `run`: a bot that
    saw a message once does not answer it again."""
    emulator.clear()

    def ask(asker: int) -> list[tuple[float, float]]:
        timings = []
        bot = bots[asker % len(bots)]
        for n in range(each):
            ts = f"{1700 + run}{askers:02d}{asker:03d}{n:02d}.000100"
            sent = time.monotonic()
            response, _ = bot.mention(questions[(asker * each + n) % len(questions)],
                                      channel=f"C{asker}", ts=ts)
            acked = time.monotonic()
            assert response.status_code == 200, (response.status_code, response.text[:200])
            [reply] = emulator.wait_for("chat.postMessage", timeout=120,
                                        where=lambda c, ts=ts: c.body.get("thread_ts") == ts)
            timings.append((acked - sent, reply.at - sent))
        return timings

    started, bot_started, own_started = time.monotonic(), sum(map(_cpu_seconds, pids)), time.process_time()
    with ThreadPoolExecutor(askers) as pool:
        results = [t for timings in pool.map(ask, range(askers)) for t in timings]
    elapsed = time.monotonic() - started
    bot_cpu, own_cpu = sum(map(_cpu_seconds, pids)) - bot_started, time.process_time() - own_started
    acks = [a * 1000 for a, _ in results]
    replies = [r * 1000 for _, r in results]
    return {
        f"{askers} askers: bot CPU per answer (ms)": bot_cpu / len(results) * 1000,
        f"{askers} askers: askers + emulator CPU per answer (ms)": own_cpu / len(results) * 1000,
        f"{askers} askers: load average (1 min) after": os.getloadavg()[0],
        f"{askers} askers: ack p50 (ms)": statistics.median(acks),
        f"{askers} askers: ack p99 (ms)": _percentile(acks, 99),
        f"{askers} askers: mention → reply p50 (ms)": statistics.median(replies),
        f"{askers} askers: mention → reply p95 (ms)": _percentile(replies, 95),
        f"{askers} askers: throughput (answers/s)": len(results) / elapsed,
    }


def _call_costs() -> dict[str, float]:
    """Wall and CPU time of one chat.postMessage, by client, over HTTP and over HTTPS (as Slack is)."""
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    client_tls = ssl.create_default_context()
    ca.configure_trust(client_tls)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "An answer of a few lines. " * 12}}]
    figures = {}
    for scheme, emulator, context in (("HTTP", SlackEmulator(), None), ("HTTPS", SlackEmulator(server), client_tls)):
        emulator.start()
        try:
            clients = {"a connection per call (slack-sdk)": WebClient(token=BOT_TOKEN, base_url=emulator.url,
                                                                      ssl=context),
                       "kept alive (ours)": PooledWebClient(connections=1, token=BOT_TOKEN, base_url=emulator.url,
                                                            ssl=context)}
            for name, client in clients.items():
                client.chat_postMessage(channel="C1", text="warm-up", blocks=blocks)
                started, cpu = time.perf_counter(), time.process_time()
                for _ in range(CALLS):
                    client.chat_postMessage(channel="C1", text="An answer", blocks=blocks)
                wall, cpu = time.perf_counter() - started, time.process_time() - cpu
                figures[f"Web API call over {scheme}, {name}: wall (ms)"] = wall / CALLS * 1000
                # the emulator shares this process: its CPU counts too, alike for both clients
                figures[f"Web API call over {scheme}, {name}: CPU, client + emulator (ms)"] = cpu / CALLS * 1000
        finally:
            emulator.stop()
    return figures


def _peak_rss_mb(pid: int) -> float:
    """The process's own high-water mark (VmHWM), from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run() -> dict[str, float | str]:
    questions = [item["q"] for item in load_items()]
    figures: dict[str, float | str] = {}
    emulator = SlackEmulator().start()
    try:
        for processes, mode in ((0, "answers in threads"), (1, "answers in a worker process")):
            with tempfile.TemporaryDirectory() as tmp_name:
                process, base = _start_bot(Path(tmp_name), emulator, processes)
                try:
                    with httpx.Client(timeout=30, limits=httpx.Limits(max_connections=ASKERS)) as http:
                        bot = HttpBot(emulator, None, f"{base}/slack/events", http)  # type: ignore[arg-type]  # no ctx: another process
                        bot.mention("warm-up question about the deadline")
                        emulator.wait_for("chat.postMessage")
                        for run_number, askers in enumerate((1, ASKERS, 10)):
                            measured = _load([bot], emulator, [process.pid], askers, questions, run_number,
                                             ONE_AT_A_TIME if askers == 1 else QUESTIONS_EACH)
                            figures.update({f"{mode}, {key}": value for key, value in measured.items()})
                    figures[f"{mode}, peak RSS of serve (MB)"] = _peak_rss_mb(process.pid)
                finally:
                    process.terminate()
                    process.wait(timeout=30)
    finally:
        emulator.stop()
    return {**figures, **_call_costs()}
