"""Answers computed in worker processes (ANSWER_PROCESSES): the same answers, posted by the serving
process; a worker that dies loses no question; a worker sees the pages and event.yaml change."""

import contextlib
import os
import signal
from pathlib import Path

import httpx
import pytest

from bot.assistant.processes import AnswerProcesses

from .conftest import ingest_all
from .slack_harness import BotProcess, HttpBot
from .test_live_knowledge import extend_deadline
from .waiting import wait_until

pytestmark = pytest.mark.slow  # worker processes load the model and the index

QUESTION = "Is the page limit strict?"


def test_a_killed_worker_loses_no_question(settings, store):
    ingest_all(store, settings)
    processes = AnswerProcesses(settings, 1)
    try:
        [first] = processes.start()
        expected = processes.submit(QUESTION).result(timeout=120)
        assert expected.answered and expected.sources
        waiting = [processes.submit(QUESTION) for _ in range(3)]
        os.kill(first, signal.SIGKILL)  # with questions in its queue, or being answered
        later = processes.submit(QUESTION)
        for answer in [*waiting, later]:
            assert answer.result(timeout=120).text == expected.text
        assert processes.pids() and first not in processes.pids()
    finally:
        processes.stop()


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):  # a thread that ended meanwhile
            found.update(int(child) for child in (task / "children").read_text().split())
    return found


def test_serve_answers_from_a_worker_that_sees_pages_and_event_yaml_change(tmp_path, knowledge_copy, slack_emulator):
    bot = BotProcess.start(tmp_path / "data", knowledge_copy, slack_emulator, ANSWER_PROCESSES="1")
    try:
        assert children(bot.process.pid), "no worker process"
        with httpx.Client(timeout=30) as http:
            asker = HttpBot(slack_emulator, None, f"http://127.0.0.1:{bot.port}/slack/events", http)  # type: ignore[arg-type]

            def reply(question: str) -> str:
                response, ts = asker.mention(question)
                assert response.status_code == 200
                [posted] = slack_emulator.wait_for("chat.postMessage", timeout=120,
                                                   where=lambda c: c.body.get("thread_ts") == ts)
                return str(posted.body.get("text", "")) + str(posted.body.get("blocks", ""))

            assert "strict limit" in reply(QUESTION)
            assert "August 29, 2025" in reply("When is the submission deadline?")
            extend_deadline(knowledge_copy)
            wait_until(lambda: "September 5, 2025" in reply("When is the submission deadline?"), 120, every=0.5,
                       what="the worker answering with the new deadline")
    finally:
        bot.kill()


def gone(pid: int) -> bool:
    """Exited: no such process, or a zombie waiting for whoever reaps orphans."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def spawned(pid: int) -> set[int]:
    """The processes `pid` started with multiprocessing's spawn (its answer workers)."""
    found = set()
    for child in children(pid):
        try:
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.add(child)
        except FileNotFoundError:  # ended meanwhile
            pass
    return found


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_no_worker_outlives_serve(tmp_path, knowledge_copy, slack_emulator, how):
    """Stopped while its workers still load (SIGTERM), or killed outright (SIGKILL, as the kernel's OOM killer
    does): every worker ends with it, none is left holding its memory."""
    bot = BotProcess.launch(tmp_path / "data", knowledge_copy, slack_emulator, ANSWER_PROCESSES="1")
    try:
        workers = wait_until(lambda: spawned(bot.process.pid), 120, every=0.05, what="a worker process")
        bot.process.send_signal(how)
        bot.process.wait(timeout=120)
        wait_until(lambda: all(gone(pid) for pid in workers), 120, every=0.1, what="every worker gone")
    finally:
        if bot.process.poll() is None:
            bot.kill()
