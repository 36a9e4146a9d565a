"""Words as retrieval compares them: lower-cased, stemmed, without filler words."""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from importlib.resources import files

import snowballstemmer

WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# Filler words only: domain words ("system", "call", "paper") carry meaning here.
STOPWORDS = frozenset(
    line.strip() for line in (files("bot.index") / "stopwords.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
)

BRITISH_IZE = re.compile(r"is(?:e|ed|es|er|ers|ing|ation|ations)$")
_local = threading.local()  # a Snowball stemmer keeps state while stemming: one per thread


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = snowballstemmer.stemmer("english")
    stemmed = stemmer.stemWord(word)
    if BRITISH_IZE.search(word) and stemmed.endswith("is") and len(stemmed) >= 5:
        return stemmed[:-2] + "iz"  # "organisers" and "organizers" are one word
    return stemmed


def tokens(text: str) -> list[str]:
    """Stemmed content words of `text`, in order, repeats kept (BM25 counts them)."""
    return [stem(w) for w in WORD.findall(text.lower()) if w not in STOPWORDS]


@lru_cache(maxsize=32768)
def token_set(text: str) -> frozenset[str]:
    """The distinct tokens of `text`, remembered: each question measures the same passages' lines again."""
    return frozenset(tokens(text))
