"""CPU per answer, in-process, and the default model's int8 build against its float32 build, on every
evaluation set in tests/eval.

CPU time (`process_time`) does not depend on how busy the machine is, as wall time does: it is the
figure to compare. Per build: our assistant's CPU per answer (every question answered again, warm),
and the naive LangChain RAG baseline's on the same embedder. The int8 build is the default because it
answers the same: per question, the verdict (correct, wrong fact, declined), whether it was answered,
and the answer's text are compared between the two builds.
"""

from __future__ import annotations

import os
from datetime import datetime
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

from bench.naive_rag import NaiveRag

from bot.config import DEFAULT_EMBEDDINGS, FLOAT_EMBEDDINGS
from bot.index.embeddings import load_embeddings
from tests.eval.harness import CORPORA, Outcome, _now, corpus_items, evaluate
from tests.eval.setup import corpus_assistant

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

Figures = dict[str, float | int | str]


class Answerer(Protocol):
    def ask(self, question: str, *, now: datetime | None = None) -> object: ...
BUILDS = {"int8": DEFAULT_EMBEDDINGS, "fp32": FLOAT_EMBEDDINGS}


def cpu_per_answer(system: Answerer, items: list[dict]) -> float:
    """Total CPU seconds of answering `items` (warm: each was asked once before)."""
    start = time.process_time()
    for item in items:
        system.ask(item["q"], now=_now(item))
    return time.process_time() - start


def outcomes(model: str, data: Path) -> tuple[list[Outcome], float, float]:
    """Every set's outcomes, and the CPU per answer (ms), warm, of our assistant and of the naive baseline."""
    found, ours, naive, asked = [], 0.0, 0.0, 0
    baselines: dict[Path, NaiveRag] = {}
    for name, corpus in CORPORA.items():
        assistant, _ = corpus_assistant(corpus, data / name, model)
        items = corpus_items(corpus)
        found.extend(evaluate(assistant, items, name))
        ours += cpu_per_answer(assistant, items)
        if corpus.root not in baselines:  # the seed and knowledge corpora share a root
            baselines[corpus.root] = NaiveRag(corpus.root, cast("Embeddings", load_embeddings(model)),
                                              data / "naive" / name)
        evaluate(baselines[corpus.root], items, name)
        naive += cpu_per_answer(baselines[corpus.root], items)
        asked += len(items)
    return found, ours * 1000 / asked, naive * 1000 / asked


def query_cpu_ms(model: str, questions: list[str]) -> float:
    embedder = load_embeddings(model)
    embedder.embed_query("warm up")
    start = time.process_time()
    for question in questions:
        embedder.embed_query(question)
    return (time.process_time() - start) * 1000 / len(questions)


def run() -> Figures:
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        measured = {build: outcomes(model, Path(tmp) / build) for build, model in BUILDS.items()}
    runs = {build: found for build, (found, _, _) in measured.items()}
    pairs = list(zip(runs["int8"], runs["fp32"], strict=True))
    questions = [a.item["q"] for a, _ in pairs]
    figures: Figures = {}
    for build, (_, ours, naive) in measured.items():
        figures[f"{build}: CPU per answer, ours, in-process (ms)"] = ours
        figures[f"{build}: CPU per answer, naive LangChain RAG, in-process (ms)"] = naive
    figures["load average (1 min) at the start"] = load
    figures["questions (every set in tests/eval)"] = len(pairs)
    for build in BUILDS:
        figures[f"{build}: correct / wrong / declined"] = "{} / {} / {}".format(
            *(sum(o.verdict == v for o in runs[build]) for v in ("correct", "wrong", "declined")))
    figures |= {
        "verdicts that differ": sum(a.verdict != b.verdict for a, b in pairs),
        "answered/declined that differ": sum(a.answer.answered != b.answer.answered for a, b in pairs),
        "answer texts that differ": sum(a.answer.text != b.answer.text for a, b in pairs),
    }
    for build, model in BUILDS.items():
        figures[f"{build}: CPU per question embedding (ms)"] = query_cpu_ms(model, questions)
    for a, b in pairs:
        if a.verdict != b.verdict:
            figures[f"differs: {a.item['q'][:70]}"] = f"int8 {a.verdict}, fp32 {b.verdict}"
    return figures
