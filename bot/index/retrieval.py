"""Hybrid retrieval: dense vectors and BM25 keywords, fused by reciprocal rank, within one edition.

Dense retrieval finds paraphrases; BM25 finds exact names and numbers ("5AB", "Stoica") that a small
embedding model blurs. Reciprocal rank fusion needs no score calibration between the two.

Chroma stores the passages and their vectors. Each edition's are held here as a snapshot, reloaded
when the index generation moves: an exact cosine search over them takes 0.2 ms for 5,000 passages,
where a Chroma query costs 5-11 ms, and a burst of questions is CPU-bound.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from rank_bm25 import BM25Okapi

from bot.index.mirror import Passages
from bot.index.lexicon import is_word
from bot.index.text import STOPWORDS, WORD, stem, token_set, tokens
from bot.knowledge.derive import PageText
from bot.knowledge.site import EVENT_FILE

RRF_K = 60
LABEL = re.compile(r"^(?:[\d:.apm\s–-]*\s)?([^:]{2,40}):\s", re.IGNORECASE)
TOPIC_LINE = 40  # a line this short names a thing ("Poster Session 1", "Lunch")
YEAR = re.compile(r"^(19|20)\d\d$")
# A word with a capital inside it ("LaTeX", "OpenReview", "PyTorch") is a name as written, never a typo of a
# page's word ("late").
CASED_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
INNER_CAPITAL = re.compile(r"[a-z][A-Z]")
CANDIDATES = 20
HEADS = 2
UNKNOWN_WORDS = 20_000  # out-of-corpus words remembered per snapshot, with what they stand for


@dataclass
class Hit:
    id: str
    text: str
    metadata: dict
    score: float  # fused RRF score
    similarity: float | None  # cosine similarity to the question (None: cited, not retrieved)
    keyword: float = 0.0  # BM25 score over the best BM25 score of this search (0-1)
    rank: int = 0  # position in the fused ranking

    @property
    def body(self) -> str:
        return self.text.split("\n", 1)[1] if "\n" in self.text else self.text


@dataclass
class QueryTerms:
    """The question's words as the corpus knows them (typos mended), weighted by rarity (IDF)."""

    tokens: list[str]
    weights: dict[str, float] = field(default_factory=dict)
    unknown: set[str] = field(default_factory=set)  # words no passage of the edition contains
    ceiling: float = 0.0  # the weight of a word no passage contains: the rarest possible

    def coverage(self, text: str, *, known_only: bool = False) -> float:
        """Share of the question's weight that `text` contains: 0 for nothing, 1 for all."""
        counted = [t for t in self.tokens if not (known_only and t in self.unknown)]
        total = sum(self.weights[t] for t in counted)
        if not total:
            return 0.0
        present = token_set(text)
        return sum(self.weights[t] for t in counted if t in present) / total

    def covered_rarity(self, text: str) -> float:
        """How much rare vocabulary of the question `text` holds, in units of the rarest possible word:
        "references … page limit" is specific; "provided … workshop" is not."""
        present = token_set(text)
        return sum(w for t, w in self.weights.items() if t in present and t not in self.unknown) / (self.ceiling or 1.0)

    @property
    def unknown_share(self) -> float:
        """How much of the question is about words the edition never uses ("fee", "hotel")."""
        total = sum(self.weights.values())
        return sum(self.weights[t] for t in self.unknown) / total if total else 0.0


@dataclass
class Retrieval:
    hits: list[Hit]
    terms: QueryTerms
    vector: np.ndarray | None = None  # the question's, unit length: what lines are measured against
    query: str = ""  # the text `vector` embeds


@dataclass
class Snapshot:
    """One edition's passages as of one index generation: texts, BM25, vocabulary, vectors."""

    generation: int
    ids: list[str]
    texts: list[str]
    metadatas: list[dict]
    vectors: np.ndarray  # one normalized row per passage
    bm25: BM25Okapi | None
    document_frequency: Counter
    vocabulary: dict[str, list[str]]  # by first letter: a typo keeps its first letter
    _sections: list[PageText] | None = None
    _topics: set[str] | None = None
    _own_name: set[str] | None = None
    # Out-of-corpus words already looked at: a typo's match costs a scan of the vocabulary (a quarter of a
    # millisecond per question), and the same few words come back question after question.
    _unknown: dict[str, str | None] = field(default_factory=dict)

    def sections(self) -> list[PageText]:
        """The edition's pages as sections of lines, in page order (what facts are derived from)."""
        if self._sections is None:
            order = sorted(range(len(self.ids)), key=lambda i: (self.metadatas[i]["source"],
                                                                 self.metadatas[i].get("position", 0)))
            grouped: dict[tuple[str, str, bool], list[str]] = {}
            first: dict[tuple[str, str, bool], dict] = {}
            for i in order:
                meta = self.metadatas[i]
                if meta.get("kind") != "page" or meta["source"].endswith(EVENT_FILE):
                    continue
                key = (meta["source"], meta.get("section", ""), bool(meta.get("cards")))
                grouped.setdefault(key, []).extend(self.texts[i].split("\n")[1:])
                first.setdefault(key, meta)
            self._sections = [PageText(source, first[key]["title"], first[key]["url"], section, tuple(lines), cards)
                              for key, lines in grouped.items() for source, section, cards in [key]]
        return self._sections

    def topics(self) -> set[str]:
        """Words the edition uses to name things: headings, short labels ("Camera-ready:"), short rows.

        A question word among them that a fact does not explain means the question is about
        something else the pages name; any other unexplained word is just how people talk.
        """
        if self._topics is None:
            words: set[str] = set()
            for text in self.sections():
                if text.cards:
                    continue
                words.update(tokens(text.section))
                for line in text.lines:
                    label = LABEL.match(line.lstrip("- "))
                    if label:
                        words.update(tokens(label.group(1)))
                    elif len(line) <= TOPIC_LINE:
                        words.update(tokens(line))
            self._topics = words
        return self._topics

    def own_name(self) -> set[str]:
        """Words the site prints on every one of its pages (its title, its masthead): the workshop's own
        name and place. "Which city is the *VerifAI* workshop in?" is about the workshop itself."""
        if self._own_name is None:
            pages: dict[str, set[str]] = {}
            for text in self.sections():
                words = pages.setdefault(text.source, set(tokens(text.title)))
                if text.section == "Header":
                    words.update(t for line in text.lines for t in tokens(line))
            self._own_name = set.intersection(*pages.values()) if len(pages) > 1 else set()
        return self._own_name

    def idf(self, token: str) -> float:
        n, df = len(self.ids), self.document_frequency.get(token, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def _mend(self, token: str) -> str | None:
        """The corpus word an out-of-corpus token is a typo of (very close, with the same first letter),
        else the token itself; None for a misspelt filler word ("wen")."""
        if token in self._unknown:
            return self._unknown[token]
        mended: str | None = token
        if difflib.get_close_matches(token, STOPWORDS, n=1, cutoff=0.85):
            mended = None
        elif len(token) >= 4:
            close = difflib.get_close_matches(token, self.vocabulary.get(token[0], []), n=1, cutoff=0.85)
            mended = close[0] if close else token
        if len(self._unknown) < UNKNOWN_WORDS:
            self._unknown[token] = mended
        return mended

    def terms(self, question: str) -> QueryTerms:
        mended = []
        real = {stem(w) for w in WORD.findall(question.lower()) if is_word(w)}  # "lunch" is no typo of "launch"
        real |= {stem(w.lower()) for w in CASED_WORD.findall(question) if INNER_CAPITAL.search(w)}  # "LaTeX": a name
        for word in dict.fromkeys(tokens(question)):
            if YEAR.match(word):
                continue  # a year picks the edition; inside it, every passage has it or none does
            token = word
            if word not in self.document_frequency and not word.isdigit():
                typo_of = self._mend(word)
                if typo_of is None:
                    continue  # a misspelt filler word: no weight, no penalty
                token = word if word in real else typo_of
            if token not in mended:
                mended.append(token)
        unknown = {t for t in mended if t not in self.document_frequency}
        own = self.own_name()  # "the ML for *Systems* workshop" names the edition, not a passage in it
        return QueryTerms(mended, {t: 0.0 if t in own else self.idf(t) for t in mended}, unknown, self.idf("\0"))


class HybridRetriever:
    def __init__(self, store: Passages) -> None:
        self.store = store
        self._snapshots: dict[str, Snapshot] = {}

    def snapshot(self, edition: str) -> Snapshot:
        """The edition's snapshot, rebuilt only when the index generation moves."""
        generation = self.store.generation
        cached = self._snapshots.get(edition)
        if cached is None or cached.generation != generation:
            ids, texts, metas, vectors = self.store.edition_passages(edition)
            tokenized = [tokens(t) for t in texts]
            frequency = Counter(t for doc in tokenized for t in set(doc))
            vocabulary: dict[str, list[str]] = {}
            for word in sorted(frequency):
                vocabulary.setdefault(word[0], []).append(word)
            matrix = np.asarray(vectors, dtype=np.float32).reshape(len(ids), self.store.dimension)
            norms = np.linalg.norm(matrix, axis=1, keepdims=True)
            cached = Snapshot(generation, ids, texts, metas, matrix / np.where(norms == 0, 1, norms),
                               BM25Okapi(tokenized) if texts else None, frequency, vocabulary)
            self._snapshots[edition] = cached
        return cached

    def search(self, question: str, edition: str, k: int = 8, vector: list[float] | None = None) -> Retrieval:
        snapshot = self.snapshot(edition)
        terms = snapshot.terms(question)
        if not snapshot.ids:
            return Retrieval([], terms)
        query = np.asarray(vector if vector is not None else self.store.embeddings.embed_query(question),
                           dtype=np.float32)
        query = query / (np.linalg.norm(query) or 1.0)
        similarities = snapshot.vectors @ query
        dense = [int(i) for i in np.argsort(-similarities)[:CANDIDATES]]
        sparse: list[int] = []
        keyword = np.zeros(len(snapshot.ids))
        if snapshot.bm25 and terms.tokens:
            scores = snapshot.bm25.get_scores(terms.tokens)
            ranked = sorted(range(len(scores)), key=lambda i: -scores[i])
            sparse = [i for i in ranked if scores[i] > 0][:CANDIDATES]
            keyword = scores / (max(scores) or 1.0)

        scores_by_index: dict[int, float] = {}
        for ranking in (dense, sparse):
            for rank, i in enumerate(ranking):
                scores_by_index[i] = scores_by_index.get(i, 0.0) + 1.0 / (RRF_K + rank + 1)
        fused = sorted(scores_by_index, key=lambda i: -scores_by_index[i])
        # RRF favours passages both rankers like; the heads of each ranking are kept regardless,
        # so an exact-name match that the embedding misses (a list of names) is still considered.
        top = fused[:k] + [i for i in dense[:HEADS] + sparse[:HEADS] if i not in fused[:k]]
        hits = [Hit(snapshot.ids[i], snapshot.texts[i], snapshot.metadatas[i], scores_by_index[i],
                    float(similarities[i]), float(keyword[i]), rank) for rank, i in enumerate(dict.fromkeys(top))]
        return Retrieval(hits, terms, query, question)
