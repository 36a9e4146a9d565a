"""Whether a passage answers a question: a logistic model over a few measurements of the match.

The measurements generalize across pages and wordings: how close in meaning the passage is, how much
of the question's weight (by rarity) it covers, how much of the question is about words the edition
never uses ("fee", "hotel"), how well its heading and best line match, and how the two retrievers rank
it. The weights are fit on a labelled development set (`python -m tests.eval.fit`), on some editions
only, and reported on the others: no constant is set by hand, and no question has a rule of its own.
Its output is a probability, which is what the answer's `confidence` reports.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

from bot.index.retrieval import Hit, QueryTerms

FEATURES = ("similarity", "coverage", "known_coverage", "unknown", "heading", "focus", "keyword", "rank", "specific")


def measure(hit: Hit, terms: QueryTerms) -> dict[str, float]:
    """The features of `hit` as an answer to the question whose words are `terms`."""
    heading = f"{hit.metadata.get('title', '')} {hit.metadata.get('section', '')}"
    lines = [line for line in hit.body.split("\n") if line.strip()] or [hit.body]
    return {
        "similarity": hit.similarity or 0.0,
        "coverage": terms.coverage(hit.text),
        "known_coverage": terms.coverage(hit.text, known_only=True),
        "unknown": terms.unknown_share,
        "heading": terms.coverage(heading),
        "focus": max(terms.coverage(f"{heading} {line}") for line in lines),
        "keyword": hit.keyword,
        "rank": 1.0 / (1 + hit.rank),
        "specific": terms.covered_rarity(hit.text),
    }


@dataclass(frozen=True)
class AnswerModel:
    weights: tuple[float, ...]
    bias: float
    threshold: float  # the probability above which a passage answers

    def probability(self, features: dict[str, float]) -> float:
        z = self.bias + sum(w * features[name] for w, name in zip(self.weights, FEATURES, strict=True))
        return 1.0 / (1.0 + math.exp(-z))

    def to_json(self, **provenance: object) -> str:
        return json.dumps({"features": FEATURES, "weights": self.weights, "bias": self.bias,
                           "threshold": self.threshold, **provenance}, indent=2)


@lru_cache(maxsize=1)
def default_model() -> AnswerModel:
    """The model fit on the development set, shipped with the package."""
    data = json.loads((files("bot.assistant") / "decision.json").read_text(encoding="utf-8"))
    if tuple(data["features"]) != FEATURES:
        raise RuntimeError("bot/assistant/decision.json was fit on other features: run python -m tests.eval.fit")
    return AnswerModel(tuple(data["weights"]), data["bias"], data["threshold"])
