"""Knowledge figures: ingest time, ingest throughput, warm and cold `ask` latency, peak memory.

With the embedding model of EMBEDDINGS (`python -m bench --embeddings NAME`)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.synthetic import write_pages
from bot.assistant.assistant import Assistant
from bot.config import Settings
from bot.index.embeddings import load_embeddings
from bot.index.ingest import ingest
from bot.index.store import KnowledgeStore
from tests.eval.harness import _now, load_items

REPO = Path(__file__).resolve().parent.parent


def _settings(data: Path, knowledge: Path) -> Settings:
    return Settings(_env_file=None, bot_data_dir=data, knowledge_dir=knowledge)


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def cold_ask(env: dict[str, str]) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of `workshop-bot ask` in a new process, over an existing index."""
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "bot", "ask", "--json", "When is the submission deadline?"],
                                   env=env, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            errors.seek(0)
            raise RuntimeError(f"ask failed: {errors.read().decode(errors='replace')}")
    return seconds, usage.ru_maxrss / 1024


def run(pages: int = 1000) -> dict[str, float | str]:
    figures: dict[str, float | str] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        started = time.perf_counter()
        embeddings = load_embeddings(Settings(_env_file=None).embeddings)
        embeddings.embed_query("warm-up")
        figures["model load (s)"] = time.perf_counter() - started

        settings = _settings(tmp / "data", REPO / "knowledge")
        store = KnowledgeStore(settings, embeddings)
        report = ingest(store, settings)
        figures["ingest knowledge/ (s)"] = report.seconds
        figures["knowledge/ passages"] = report.passages
        figures["re-ingest unchanged (s)"] = ingest(store, settings).seconds

        assistant = Assistant.from_settings(settings, store)
        items = load_items()
        for item in items:  # warm-up: caches, BM25 per edition
            assistant.ask(item["q"], now=_now(item))
        latencies = []
        for _ in range(3):
            for item in items:
                t = time.perf_counter()
                assistant.ask(item["q"], now=_now(item))
                latencies.append((time.perf_counter() - t) * 1000)
        figures["warm ask p50 (ms)"] = statistics.median(latencies)
        figures["warm ask p95 (ms)"] = _percentile(latencies, 95)

        env = {**os.environ, "BOT_DATA_DIR": str(settings.bot_data_dir), "KNOWLEDGE_DIR": str(settings.knowledge_dir)}
        seconds, peaks = zip(*(cold_ask(env) for _ in range(3)), strict=True)
        figures["cold ask, existing index, median of 3 (s)"] = statistics.median(seconds)
        figures["cold ask: peak RSS (MB)"] = max(peaks)

        synthetic = tmp / "synthetic"
        paths = write_pages(synthetic, pages)
        big = _settings(tmp / "data-synthetic", synthetic)
        big_store = KnowledgeStore(big, embeddings)
        cpu = time.process_time()
        report = ingest(big_store, big)
        assert not report.errors, report.errors[:3]
        figures[f"ingest {pages} pages (s)"] = report.seconds
        figures[f"ingest {pages} pages: CPU time, all threads (s)"] = time.process_time() - cpu
        figures[f"{pages} pages: passages"] = report.passages
        figures[f"{pages} pages: KB of HTML"] = sum(p.stat().st_size for p in paths) / 1024
        figures["ingest throughput (passages/s)"] = report.passages / report.seconds
        figures[f"re-ingest {pages} unchanged (s)"] = ingest(big_store, big).seconds
    return figures
