"""Answer quality of our assistant beside the naive LangChain RAG baseline, on every evaluation corpus.

Per system and split (seed set; tuning editions; held-out editions), over all questions of the split:
- accuracy: correct answers;
- wrong-fact rate: answers judged wrong (a wrong fact, or an answer where the pages hold none);
- false-decline rate: answerable questions declined. These three add up to 100%.
- unanswerable declined: of the questions the pages can't answer, the share declined (correct).
- accuracy, edition unchecked: as accuracy, with the judge's edition check dropped (what the text alone earns).
Confidence bands: our answered development-set (non-seed) questions by confidence, with their accuracy.
Per evaluation set (question file), and per corpus and edition: our correct / wrong fact / declined counts,
the figures compared between embedding models (`python -m bench --only accuracy --embeddings A --embeddings B`).
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from pathlib import Path

from bench.naive_rag import NaiveRag
from bot.config import Settings
from bot.index.embeddings import load_embeddings
from tests.eval.harness import CORPORA, Outcome, Score, corpus_items, evaluate, judge
from tests.eval.setup import corpus_assistant

BANDS = ((0.0, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.0))
Figures = dict[str, float | int | str]


def _pct(part: int, whole: int) -> float | str:
    return 100 * part / whole if whole else "n/a"


def split_figures(system: str, split: str, outcomes: list[Outcome]) -> Figures:
    score = Score.of(outcomes)
    text_only = sum(not judge({k: v for k, v in o.item.items() if k != "edition"}, o.answer) for o in outcomes)
    head = f"{system}, {split}"
    return {
        f"{head}: questions": score.total,
        f"{head}: accuracy (%)": _pct(score.correct, score.total),
        f"{head}: wrong-fact rate (%)": _pct(score.wrong, score.total),
        f"{head}: false-decline rate (%)": _pct(score.declined, score.total),
        f"{head}: unanswerable declined": f"{score.unanswerable_declined}/{score.unanswerable}",
        f"{head}: unanswerable declined (%)": _pct(score.unanswerable_declined, score.unanswerable),
        f"{head}: accuracy, edition unchecked (%)": _pct(text_only, score.total),
    }


def band_figures(outcomes: list[Outcome]) -> Figures:
    figures: Figures = {}
    answered = [o for o in outcomes if o.answer.answered]
    for low, high in BANDS:
        last = high == BANDS[-1][1]
        band = [o for o in answered if low <= o.answer.confidence < high or (last and o.answer.confidence == high)]
        name = f"ours, dev answered, confidence [{low}-{high}{']' if last else ')'}"
        figures[f"{name}: count"] = len(band)
        figures[f"{name}: accuracy (%)"] = _pct(sum(o.passed for o in band), len(band))
    return figures


def counts(outcomes: list[Outcome]) -> str:
    score = Score.of(outcomes)
    return f"{score.correct} / {score.wrong} / {score.declined} of {score.total}"


def set_figures(outcomes: list[Outcome]) -> Figures:
    """correct / wrong fact / declined of our assistant, per question file and per corpus and edition."""
    by_set: dict[str, list[Outcome]] = defaultdict(list)
    by_edition: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by_set[o.item["set"]].append(o)
        by_edition[f"{o.corpus} {o.item.get('edition') or '(no edition)'} ({o.split})"].append(o)
    head = "ours, correct / wrong / declined"
    return ({f"{head}, set {name}": counts(group) for name, group in sorted(by_set.items())}
            | {f"{head}, {name}": counts(group) for name, group in sorted(by_edition.items())})


def splits(outcomes: list[Outcome]) -> dict[str, list[Outcome]]:
    """seed, tuning, held-out (inspected for bugs) and fresh held-out (never inspected) questions."""
    return {split: [o for o in outcomes if o.split == split] for split in ("seed", "tuning", "held-out", "fresh")}


def run() -> Figures:
    embeddings = load_embeddings(Settings(_env_file=None).embeddings)
    ours: list[Outcome] = []
    naive: list[Outcome] = []
    baselines: dict[Path, NaiveRag] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for name, corpus in CORPORA.items():
            items = corpus_items(corpus)
            assistant, _ = corpus_assistant(corpus, tmp / "ours" / name)
            ours.extend(evaluate(assistant, items, name))
            if corpus.root not in baselines:  # the seed and knowledge corpora share a root
                baselines[corpus.root] = NaiveRag(corpus.root, embeddings, tmp / "naive" / name)
            naive.extend(evaluate(baselines[corpus.root], items, name))
    figures: Figures = {"naive chunks": sum(b.chunks for b in baselines.values())}
    for system, outcomes in (("ours", ours), ("naive", naive)):
        for split, group in splits(outcomes).items():
            figures |= split_figures(system, split, group)
            if system == "ours":
                figures[f"ours, correct / wrong / declined, split {split}"] = counts(group)
    figures |= set_figures(ours)
    figures |= band_figures([o for o in ours if o.corpus != "seed"])
    return figures
