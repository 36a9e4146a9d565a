"""Answer quality when questions come as people write them in mail: every evaluation question framed by a
greeting and a closing (four framings, taken in turn), beside the same questions asked bare.

A framing asks nothing, so a framed question should be scored exactly as the bare one: the gap between
the two columns is what the framing costs. Per split (tuning editions; held-out editions; fresh
questions on held-out editions, never inspected).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.eval.harness import CORPORA, Outcome, Score, corpus_items, evaluate
from tests.eval.setup import corpus_assistant

FRAMINGS = (
    "Dear organizers,\n\n{q}\n\nBest regards,\nAda",
    "Hi all! {q} Thanks!",
    "Hello,\n{q}\nThank you in advance.",
    "Good morning, {q} Cheers, Alan",
)
SPLITS = ("tuning", "held-out", "fresh")


def run() -> dict[str, float | str]:
    figures: dict[str, float | str] = {}
    bare: list[Outcome] = []
    framed: list[Outcome] = []
    with tempfile.TemporaryDirectory() as data:
        for name, corpus in CORPORA.items():
            if name == "seed":
                continue  # its questions are the project's own: not a measure of generalizing
            assistant, _ = corpus_assistant(corpus, Path(data) / name)
            items = corpus_items(corpus)
            bare += evaluate(assistant, items, name)
            framed += evaluate(assistant, [{**item, "q": FRAMINGS[n % len(FRAMINGS)].format(q=item["q"])}
                                           for n, item in enumerate(items)], name)
    for split in SPLITS:
        for label, outcomes in (("bare", bare), ("framed as mail", framed)):
            score = Score.of([o for o in outcomes if o.split == split])
            head = f"{split}, {label}"
            figures[f"{head}: correct (%)"] = 100 * score.accuracy
            figures[f"{head}: wrong facts"] = score.wrong
            figures[f"{head}: falsely declined"] = score.declined
    return figures
