"""A call for papers' rules read by meaning: which sentence of an edition states which rule of the schema
(`bot/events/rules.yaml`), and which rule a question asks about.

A sentence states a rule when it carries that rule's kind of value (a number of pages, a style file,
a submission system…) and is close in meaning, under its heading, to how calls for papers state it. A
question asks about a rule when it is close to how people ask about it, clearly closer than to any
other rule. The thresholds are fit on the development sites (`python -m tests.eval.fit_rules`). A
programme's timed row states no rule, whatever its talk is about.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib.resources import files
from pathlib import Path

import numpy as np

from bot.index.vectors import TextVectors, save, saved
from bot.knowledge.chunks import SENTENCE_END
from bot.knowledge.derive import HEADER, ROW_TIME, PageText
from bot.knowledge.statement import Statement
from bot.events.rules import RuleKind, rule_kinds
from bot.knowledge.rules import Rule

MAX_SENTENCE = 400
PER_RULE = 3  # sentences kept for each rule, the closest first


@dataclass(frozen=True)
class Thresholds:
    states: float  # how close to the examples a sentence must be to state a rule
    asks: float  # how close to the examples a question must be to ask about one
    margin: float  # and how much closer to it than to the next rule

    @classmethod
    def fitted(cls) -> Thresholds:
        return _fitted()


@lru_cache(maxsize=1)
def _fitted() -> Thresholds:
    data = json.loads((files("bot.index") / "rules.json").read_text(encoding="utf-8"))
    return Thresholds(data["states"], data["asks"], data["margin"])


def sentences(texts: list[PageText]) -> list[tuple[PageText, str]]:
    """Every sentence of the pages' sections, with the section it stands in."""
    found: list[tuple[PageText, str]] = []
    for text in texts:
        if text.cards or text.section == HEADER:
            continue
        for raw in text.lines:
            line = raw.strip().removeprefix("- ").strip()
            if ROW_TIME.match(line):
                continue  # "09:50 - 10:05: Contributed talk: … Language Models" is a talk, not an LLM policy
            # Each sentence ("…formatted using the NeurIPS style. Papers should be at most 6 pages" states a
            # template and a page limit, one a sentence), and a short line whole ("up to 4 pages. This is
            # a strict limit": the second sentence says of what).
            pieces = [piece[:MAX_SENTENCE] for piece in SENTENCE_END.split(line)]
            if len(pieces) > 1 and len(line) <= MAX_SENTENCE:
                pieces.append(line)
            found.extend((text, piece.strip()) for piece in pieces if len(piece.strip()) > 10)
    return found


def _heading(text: PageText) -> str:
    return text.section.split(" › ")[-1]


class RuleReader:
    def __init__(self, vectors: TextVectors, thresholds: Thresholds | None = None, per_rule: int = PER_RULE,
                 kept: Callable[[str], Path] | None = None) -> None:
        """`kept`: where vectors by a name are kept for the next process (the examples', an edition's
        sentences'), for the model that embeds them."""
        self.vectors = vectors
        self.thresholds = thresholds or Thresholds.fitted()
        self.per_rule = per_rule
        self.kept = kept

    @cached_property
    def _examples(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Each rule's example questions and statements, embedded once, and kept: embedding the 150 of
        them took 0.4-1.0 s of every process's first question."""
        texts = sorted({text for kind in rule_kinds() for text in (*kind.asks, *kind.states)})
        self._recall("rule-examples", texts)
        return {kind.id: (self.vectors.of(list(kind.asks)), self.vectors.of(list(kind.states)))
                for kind in rule_kinds()}

    def _recall(self, name: str, texts: list[str]) -> np.ndarray:
        """The vectors of `texts`, from the file kept under `name` when it holds these texts; else embedded
        and kept there."""
        path = self.kept(name) if self.kept else None
        known = saved(path, texts) if path else None
        if known is not None:
            self.vectors.remember(texts, known)
        vectors = self.vectors.of(texts)
        if path and known is None:
            save(path, texts, vectors)
        return vectors

    def read(self, texts: list[PageText], edition: str) -> dict[str, list[Rule]]:
        """The rules the pages of `edition` state, each with its sentences (the closest to how rules are
        stated first). The sentences' vectors are kept by edition: embedding a call for papers' took a
        third of a second of each process's first question."""
        candidates: list[tuple[RuleKind, PageText, str]] = [
            (kind, text, sentence) for text, sentence in sentences(texts) for kind in rule_kinds()
            if kind.carries.search(sentence)]
        if not candidates:
            return {}
        read_as = [f"{_heading(text)}: {sentence}" for _, text, sentence in candidates]
        vectors = self._recall(f"rule-sentences-{hashlib.sha256(edition.encode()).hexdigest()[:16]}", read_as)
        found: dict[str, list[Rule]] = {}
        for (kind, text, sentence), vector in zip(candidates, vectors, strict=True):
            score = float((self._examples[kind.id][1] @ vector).max())
            if score >= self.thresholds.states:
                statement = Statement(text.source, text.title, text.url, text.section, sentence)
                found.setdefault(kind.id, []).append(Rule(kind.id, sentence, statement, round(score, 3)))
        return {kind: sorted(rules, key=lambda r: -r.score)[:self.per_rule] for kind, rules in found.items()}

    def closeness(self, question: np.ndarray) -> list[tuple[float, str]]:
        """How close the question is to the way people ask about each rule, the closest first."""
        return sorted(((float((asks @ question).max()), kind) for kind, (asks, _) in self._examples.items()),
                      reverse=True)

    def asked(self, question: np.ndarray) -> str | None:
        """The rule a question asks about, or None: close to how people ask it, and clearly closer than
        to any other rule."""
        (best, kind), (second, _) = self.closeness(question)[:2]
        if best < self.thresholds.asks or best - second < self.thresholds.margin:
            return None
        return kind
