"""The 50-asker Slack figures against one and two `serve` replicas sharing Postgres and a Chroma server.

Each replica is `workshop-bot serve` in HTTP mode, as deployed; askers are spread over the replicas
as a load balancer would. On a 2-core machine two replicas share the cores, so the CPU per answer
(all replicas together) is the figure that carries over to a larger machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

import httpx

from bench.knowledge_bench import REPO
from bench.slack_bench import ASKERS, QUESTIONS_EACH, _cpu_seconds, _load
from tests.eval.harness import load_items
from tests.postgres_harness import start as start_postgres
from tests.slack_emulator import BOT_TOKEN, SlackEmulator
from tests.slack_harness import SECRET, HttpBot, free_port
from tests.waiting import wait_until

REPLICAS = (1, 2)


def _processes() -> Iterator[tuple[int, int, str]]:
    """(pid, parent pid, command line) of every process."""
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                parent = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
                yield int(proc.name), parent, (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:  # gone meanwhile
                pass


def _servers_cpu(chroma: int, postgres_data: Path) -> dict[int, float]:
    """CPU seconds so far of this run's Chroma server and PostgreSQL processes: their share of each answer."""
    processes = list(_processes())
    roots = {chroma} | {pid for pid, _, command in processes if str(postgres_data) in command}
    seconds = {}
    for pid, parent, _ in processes:
        if pid in roots or parent in roots:
            with suppress(OSError):
                seconds[pid] = _cpu_seconds(pid)
    return seconds


@contextmanager
def _chroma_server(path: Path) -> Iterator[tuple[int, int]]:
    port = free_port()
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or "chroma"
    process = subprocess.Popen([chroma, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: _answers(f"http://127.0.0.1:{port}/api/v2/heartbeat"), 120, every=0.2,
                   what="the Chroma server")
        yield port, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def _postgres() -> Iterator[tuple[str, Path]]:
    """The URL of a new database on a throwaway server, in a folder of its own (as root, the server runs
    as another user, which must reach it)."""
    folder = Path(tempfile.mkdtemp(prefix="bench-postgres-"))
    server = start_postgres(folder)
    try:
        yield server.create_database(), folder
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _replica(env: dict[str, str], data: Path) -> Iterator[tuple[subprocess.Popen, str]]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "bot", "serve"],
                               env={**env, "BOT_DATA_DIR": str(data), "PORT": str(port)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: process.poll() is not None or _answers(f"{base}/readyz"), 180, every=0.2,
                   what="a replica ready")
        if process.poll() is not None:
            raise RuntimeError(f"a replica exited with status {process.returncode}")
        yield process, base
    finally:
        process.terminate()
        process.wait(timeout=30)


def run() -> dict[str, float | str]:
    questions = [item["q"] for item in load_items()]
    figures: dict[str, float | str] = {}
    emulator = SlackEmulator().start()
    with tempfile.TemporaryDirectory() as tmp_name, ExitStack() as stack:
        tmp = Path(tmp_name)
        chroma_port, chroma_pid = stack.enter_context(_chroma_server(tmp / "chroma"))
        database, postgres_data = stack.enter_context(_postgres())
        env = {**os.environ, "KNOWLEDGE_DIR": str(REPO / "knowledge"), "SLACK_BOT_TOKEN": BOT_TOKEN,
               "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": emulator.url, "HOST": "127.0.0.1",
               "CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(chroma_port),
               "DATABASE_URL": database}
        subprocess.run([sys.executable, "-m", "bot", "ingest"], env={**env, "BOT_DATA_DIR": str(tmp / "ingest")},
                       check=True, stdout=subprocess.DEVNULL)
        try:
            for count in REPLICAS:
                with ExitStack() as replicas:
                    started = [replicas.enter_context(_replica(env, tmp / f"replica-{count}-{n}"))
                               for n in range(count)]
                    with httpx.Client(timeout=30, limits=httpx.Limits(max_connections=ASKERS)) as http:
                        bots = [HttpBot(emulator, None, f"{base}/slack/events", http)  # type: ignore[arg-type]
                                for _, base in started]
                        for bot in bots:
                            bot.mention("warm-up question about the deadline")
                        emulator.wait_for("chat.postMessage", count=len(bots))
                        before = _servers_cpu(chroma_pid, postgres_data)
                        load = _load(bots, emulator, [p.pid for p, _ in started], ASKERS, questions, run=count)
                        after = _servers_cpu(chroma_pid, postgres_data)
                    answers = ASKERS * QUESTIONS_EACH
                    load[f"{ASKERS} askers: PostgreSQL + Chroma server CPU per answer (ms)"] = sum(
                        cpu - before.get(pid, 0.0) for pid, cpu in after.items()) / answers * 1000
                    figures.update({key.replace(f"{ASKERS} askers", f"{count} replica{'s' * (count > 1)}"): value
                                    for key, value in load.items()})
        finally:
            emulator.stop()
    figures["database"] = "Postgres"
    return figures
