"""A real workshop site: cold and unchanged ingest of the ML for Systems checkout, and warm `ask` latency of
our assistant over every development question, each asked of its own corpus's index."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from bot.config import Settings
from bot.index.embeddings import load_embeddings
from bot.index.ingest import ingest
from bot.index.store import KnowledgeStore
from tests.eval.harness import CORPORA, SITES, _now, corpus_items
from tests.eval.setup import corpus_assistant


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(rounds: int = 3) -> dict[str, float | int]:
    figures: dict[str, float | int] = {}
    embeddings = load_embeddings(Settings(_env_file=None).embeddings)
    embeddings.embed_query("warm-up")  # the model load is not ingest time
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        settings = Settings(_env_file=None, bot_data_dir=tmp / "site", knowledge_dir=SITES / "mlforsystems")
        store = KnowledgeStore(settings, embeddings)
        report = ingest(store, settings)
        assert not report.errors, report.errors[:3]
        figures["mlforsystems: cold ingest (s)"] = report.seconds
        figures["mlforsystems: passages"] = report.passages
        figures["mlforsystems: re-ingest unchanged (ms)"] = ingest(store, settings).seconds * 1000

        asks = []
        for name, corpus in CORPORA.items():
            if name != "seed":
                assistant, _ = corpus_assistant(corpus, tmp / name)
                asks.extend((assistant, item) for item in corpus_items(corpus))
        for assistant, item in asks:  # warm-up: caches, BM25 per edition
            assistant.ask(item["q"], now=_now(item))
        latencies = []
        for _ in range(rounds):
            for assistant, item in asks:
                started = time.perf_counter()
                assistant.ask(item["q"], now=_now(item))
                latencies.append((time.perf_counter() - started) * 1000)
    figures["dev questions"] = len(asks)
    figures[f"warm ask p50, dev questions x{rounds} (ms)"] = statistics.median(latencies)
    figures[f"warm ask p95, dev questions x{rounds} (ms)"] = _percentile(latencies, 95)
    return figures
