"""Hybrid retrieval: dense vectors and BM25 keywords, fused by reciprocal rank, within one edition.

Dense retrieval finds paraphrases; BM25 finds exact names and numbers ("5AB", "Stoica") that a small
embedding model blurs. Reciprocal rank fusion needs no score calibration between the two.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from rank_bm25 import BM25Okapi

from bot.index.store import KnowledgeStore
from bot.index.text import STOPWORDS, tokens

RRF_K = 60
YEAR = re.compile(r"^(19|20)\d\d$")
CANDIDATES = 20
HEADS = 2


@dataclass
class Hit:
    id: str
    text: str
    metadata: dict
    score: float  # fused RRF score
    similarity: float | None  # cosine similarity to the question, when dense search saw it

    @property
    def body(self) -> str:
        return self.text.split("\n", 1)[1] if "\n" in self.text else self.text


@dataclass
class QueryTerms:
    """The question's words as the corpus knows them (typos mended), weighted by rarity (IDF)."""

    tokens: list[str]
    weights: dict[str, float] = field(default_factory=dict)

    def coverage(self, text: str) -> float:
        """Share of the question's weight that `text` contains: 0 for nothing, 1 for all."""
        if not self.tokens:
            return 0.0
        present = set(tokens(text))
        total = sum(self.weights[t] for t in self.tokens)
        return sum(self.weights[t] for t in self.tokens if t in present) / total


@dataclass
class Retrieval:
    hits: list[Hit]
    terms: QueryTerms


@dataclass
class _Keywords:
    generation: int
    ids: list[str]
    texts: list[str]
    metadatas: list[dict]
    bm25: BM25Okapi | None
    document_frequency: Counter
    vocabulary: list[str]

    def idf(self, token: str) -> float:
        n, df = len(self.ids), self.document_frequency.get(token, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def _mend(self, token: str) -> str:
        """The corpus word a typo stands for: very close, and with the same first letter."""
        if len(token) < 4:
            return token
        close = [w for w in difflib.get_close_matches(token, self.vocabulary, n=3, cutoff=0.85) if w[0] == token[0]]
        return close[0] if close else token

    def terms(self, question: str) -> QueryTerms:
        mended = []
        for word in dict.fromkeys(tokens(question)):
            if YEAR.match(word):
                continue  # a year picks the edition; inside it, every passage has it or none does
            token = word
            if word not in self.document_frequency and not word.isdigit():
                if difflib.get_close_matches(word, STOPWORDS, n=1, cutoff=0.85):
                    continue  # a misspelt filler word ("wen"): no weight, no penalty
                token = self._mend(word)
            if token not in mended:
                mended.append(token)
        return QueryTerms(mended, {t: self.idf(t) for t in mended})


class HybridRetriever:
    def __init__(self, store: KnowledgeStore) -> None:
        self.store = store
        self._keywords: dict[str, _Keywords] = {}

    def keywords(self, edition: str) -> _Keywords:
        """BM25 over the edition's passages, rebuilt only when the index generation moves."""
        generation = self.store.generation
        cached = self._keywords.get(edition)
        if cached is None or cached.generation != generation:
            ids, texts, metas = self.store.passages({"edition": edition})
            tokenized = [tokens(t) for t in texts]
            frequency = Counter(t for doc in tokenized for t in set(doc))
            cached = _Keywords(generation, ids, texts, metas, BM25Okapi(tokenized) if texts else None,
                               frequency, sorted(frequency))
            self._keywords[edition] = cached
        return cached

    def _fill_similarity(self, hits: list[Hit], vector: list[float]) -> None:
        """Cosine similarity of keyword-only hits, from their stored (normalized) vectors."""
        if not hits:
            return
        stored = self.store.vectors([h.id for h in hits])
        query = np.asarray(vector)
        query = query / (np.linalg.norm(query) or 1.0)
        for hit in hits:
            if hit.id in stored:
                v = stored[hit.id]
                hit.similarity = float(v @ query / (np.linalg.norm(v) or 1.0))

    def search(self, question: str, edition: str, k: int = 8, vector: list[float] | None = None) -> Retrieval:
        keywords = self.keywords(edition)
        terms = keywords.terms(question)
        vector = vector if vector is not None else self.store.embeddings.embed_query(question)
        dense = self.store.dense_search(vector, CANDIDATES, {"edition": edition})
        sparse: list[int] = []
        if keywords.bm25 and terms.tokens:
            scores = keywords.bm25.get_scores(terms.tokens)
            ranked = sorted(range(len(scores)), key=lambda i: -scores[i])
            sparse = [i for i in ranked if scores[i] > 0][:CANDIDATES]

        hits: dict[str, Hit] = {}
        for rank, (id_, text, meta, similarity) in enumerate(dense):
            hits[id_] = Hit(id_, text, meta, 1.0 / (RRF_K + rank + 1), similarity)
        for rank, i in enumerate(sparse):
            id_ = keywords.ids[i]
            hit = hits.setdefault(id_, Hit(id_, keywords.texts[i], keywords.metadatas[i], 0.0, None))
            hit.score += 1.0 / (RRF_K + rank + 1)
        self._fill_similarity([h for h in hits.values() if h.similarity is None], vector)
        fused = sorted(hits.values(), key=lambda h: -h.score)
        # RRF favours passages both rankers like; the heads of each ranking are kept regardless,
        # so an exact-name match that the embedding misses (a list of names) is still considered.
        heads = [d[0] for d in dense[:HEADS]] + [keywords.ids[i] for i in sparse[:HEADS]]
        top = fused[:k]
        for id_ in heads:
            if all(h.id != id_ for h in top):
                top.append(hits[id_])
        return Retrieval(top, terms)
