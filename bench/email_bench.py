"""Questions by email: from a mail received to the organizers' draft posted, and to the reply sent (p50/p95
over 200 mails, one at a time), then the bot's memory while it receives a burst of 1,000 mails at once.

The bot is `workshop-bot serve` in HTTP mode in its own process, receiving over LMTP as it would from
Postfix; Slack is the emulator and the outside world a second SMTP server, both in this process. A
mail's clock starts when the bot has accepted it (the end of the LMTP transaction) and stops when the
emulator or the outside SMTP server receives what the bot made of it.
"""

from __future__ import annotations

import os
import smtplib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import make_msgid
from pathlib import Path

from aiosmtpd.controller import Controller

from bench.knowledge_bench import REPO, _percentile
from bench.replicas_bench import _replica
from bench.slack_bench import _cpu_seconds
from tests.eval.harness import load_items
from tests.slack_emulator import BOT_TOKEN, SlackEmulator
from tests.slack_harness import SECRET, free_port
from tests.waiting import wait_until

MAILS = 200
BURST = 1000
SENDERS = 10  # LMTP connections delivering the burst, as an MTA's parallel deliveries would
ORGANIZERS = "C0RGANIZERS"
BOT_ADDRESS = "questions@mlforsystems.org"


class Outside:
    """The world's mail servers: what the bot sends, with when it arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}  # In-Reply-To -> monotonic arrival time
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        at = time.monotonic()
        replied_to = " ".join(str(BytesHeaderParser().parsebytes(envelope.content)["In-Reply-To"]).split())
        with self.lock:
            self.arrived[replied_to] = at
        return "250 OK"


def _mail(n: int, question: str, run: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = f"Author {n} <author{n}@{run}.example.org>"  # a sender each: the daily limit is per sender
    mail["To"] = BOT_ADDRESS
    mail["Subject"] = f"{run} {n}: {question[:50]}"  # names the mail in the organizers' draft
    mail["Message-ID"] = make_msgid(f"{run}{n}", "authors.example.org")
    mail.set_content(f"Dear organizers,\n\n{question}\n\nBest regards,\nAuthor {n}\n")
    return mail


def _deliver(port: int, mail: EmailMessage) -> float:
    """Hand one mail to the bot over LMTP; when it accepted it."""
    with smtplib.LMTP("127.0.0.1", port) as lmtp:
        lmtp.send_message(mail)
    return time.monotonic()


@contextmanager
def _bot(tmp: Path, emulator: SlackEmulator, smtp_port: int, mode: str) -> Iterator[tuple[subprocess.Popen, int]]:
    inbound = free_port()
    env = {**os.environ, "KNOWLEDGE_DIR": str(REPO / "knowledge"), "SLACK_BOT_TOKEN": BOT_TOKEN,
           "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": emulator.url, "HOST": "127.0.0.1",
           "ORGANIZERS_CHANNEL": ORGANIZERS, "INBOUND_PROTOCOL": "lmtp", "INBOUND_PORT": str(inbound),
           "INBOUND_HOST": "127.0.0.1", "EMAIL_ANSWERS": mode, "MAIL_FROM": f"ML for Systems <{BOT_ADDRESS}>",
           "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port), "SMTP_SECURITY": "none"}
    with _replica(env, tmp) as (process, _):
        yield process, inbound


def _kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise KeyError(field)


def _draft_posted(emulator: SlackEmulator, subject: str) -> float | None:
    for call in emulator.of("chat.postMessage"):
        if call.body.get("channel") == ORGANIZERS and subject in str(call.body):
            return call.at
    return None


def _handled(mail: EmailMessage, emulator: SlackEmulator, outside: Outside) -> tuple[str, float] | None:
    """("reply", when) once the asker has the reply; ("draft", when) once the organizers have a draft (every
    mail in draft mode; in auto mode, one the assistant declined)."""
    replied = outside.arrived.get(str(mail["Message-ID"]))
    if replied is not None:
        return "reply", replied
    drafted = _draft_posted(emulator, str(mail["Subject"]))
    return None if drafted is None else ("draft", drafted)


def _latencies(mode: str, questions: list[str], port: int, emulator: SlackEmulator,
               outside: Outside) -> dict[str, list[float]]:
    """One mail at a time; seconds from accepted to the draft posted or the reply received, by outcome."""
    seconds: dict[str, list[float]] = {"draft": [], "reply": []}
    for n in range(MAILS):
        mail = _mail(n, questions[n % len(questions)], mode)
        accepted = _deliver(port, mail)
        outcome, at = wait_until(lambda m=mail: _handled(m, emulator, outside), 60, every=0.002,
                                 what="the reply or the draft")
        seconds[outcome].append(at - accepted)
    return seconds


def run() -> dict[str, float | str]:
    questions = [item["q"] for item in load_items() if item.get("answered", True)]  # the pages answer them
    figures: dict[str, float | str] = {}
    outside = Outside()
    smtp_port = free_port()
    controller = Controller(outside, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    emulator = SlackEmulator().start()
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            subprocess.run([sys.executable, "-m", "bot", "ingest"], check=True, stdout=subprocess.DEVNULL,
                           env={**os.environ, "BOT_DATA_DIR": str(tmp),
                                "KNOWLEDGE_DIR": str(REPO / "knowledge")})
            for mode, outcome in (("draft", "draft"), ("auto", "reply")):  # one bot after the other
                with _bot(tmp, emulator, smtp_port, mode) as (process, port):
                    seconds = _latencies(mode, questions, port, emulator, outside)[outcome]
                    what = {"draft": "draft posted", "reply": "reply sent"}[outcome]
                    figures[f"{mode}: mail → {what}, p50 (ms)"] = statistics.median(seconds) * 1000
                    figures[f"{mode}: mail → {what}, p95 (ms)"] = _percentile(seconds, 95) * 1000
                    figures[f"{mode}: mails of {MAILS} with a {what}"] = len(seconds)
                    if mode == "auto":
                        figures.update(_burst(process, port, questions, emulator, outside))
    finally:
        emulator.stop()
        controller.stop()
    return figures


def _burst(process: subprocess.Popen, port: int, questions: list[str], emulator: SlackEmulator,
           outside: Outside) -> dict[str, float]:
    """1,000 mails over SENDERS connections at once (auto mode: each answered by mail, or drafted)."""
    mails = [_mail(n, questions[n % len(questions)], "burst") for n in range(BURST)]
    Path(f"/proc/{process.pid}/clear_refs").write_text("5")  # the peak RSS from here on (Linux)
    before_rss, before_cpu = _kib(process.pid, "VmRSS"), _cpu_seconds(process.pid)
    start = time.monotonic()
    with ThreadPoolExecutor(SENDERS) as pool:
        accepted = list(pool.map(lambda mail: _deliver(port, mail), mails))
    accepted_in = max(accepted) - start
    peak_while_receiving = _kib(process.pid, "VmHWM")

    def all_handled() -> list[tuple[str, float]]:
        outcomes = [_handled(mail, emulator, outside) for mail in mails]
        return [outcome for outcome in outcomes if outcome is not None] if all(outcomes) else []

    handled = wait_until(all_handled, 1800, every=0.5, what="every burst mail answered or drafted")
    return {
        "burst: 1,000 mails accepted in (s)": accepted_in,
        "burst: all answered or drafted in (s)": max(at for _, at in handled) - start,
        "burst: bot RSS before (MB)": before_rss / 1024,
        "burst: bot peak RSS while receiving (MB)": peak_while_receiving / 1024,
        "burst: bot peak RSS until all answered (MB)": _kib(process.pid, "VmHWM") / 1024,
        "burst: bot CPU per mail (ms)": (_cpu_seconds(process.pid) - before_cpu) / BURST * 1000,
    }
