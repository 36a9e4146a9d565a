"""Which of an edition's facts a question is about: the ones that explain most of its words.

Words are weighted by rarity. A question word no fact explains is usually just how people talk ("have
the decisions *come out*?", "who *sat* on the panel?"), unless the edition uses it to name something
else (a heading, a label, a short programme row) and it weighs more than what the facts explain: then
the question is about that other thing ("when does the competition *start*?" is not its submission
deadline), while "when was the FirePlace *paper* presented?" is still about FirePlace's row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from typing import TypeVar

from rapidfuzz import fuzz

from bot.index.retrieval import QueryTerms

T = TypeVar("T")
FUZZY = 85  # a word this similar (0-100) to a fact's word is that word misspelt ("Mirhoseni")


def matches(term: str, words: AbstractSet[str]) -> bool:
    return term in words or (len(term) >= 5 and any(len(w) >= 4 and fuzz.ratio(term, w) >= FUZZY for w in words))


def best_explained(terms: QueryTerms, ignored: set[str], items: Sequence[T], words_of: Callable[[T], set[str]],
                   topics: set[str]) -> list[T] | None:
    """The items that explain the most of the question's weight ([] when none explains any of it),
    or None when a question word names another topic of the edition."""
    specific = [t for t in terms.tokens if t not in ignored and not t.isdigit()]
    vocabularies = [words_of(item) for item in items]
    explained = {t for t in specific if any(matches(t, words) for words in vocabularies)}
    weight = terms.weights.get
    elsewhere = max((weight(t, 0.0) for t in specific if t not in explained and t in topics), default=0.0)
    if elsewhere and elsewhere >= max((weight(t, 0.0) for t in explained), default=0.0):
        return None  # the word that matters most names something else: "when does the competition *start*?"
    scores = [sum(weight(t, 0.0) for t in explained if matches(t, words)) for words in vocabularies]
    best = max(scores, default=0.0)
    if best <= 0:
        return []
    return [item for item, score in zip(items, scores, strict=True) if score >= best - 1e-9]
