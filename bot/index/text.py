"""Words as retrieval compares them: lower-cased, stemmed, without filler words."""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# Filler words only: domain words ("system", "call", "paper") carry meaning here.
STOPWORDS = frozenset("""
a about above after again all also am an and any are as at be been before being below between both
but by can could did do does doing down during each few for from further had has have having he her
here hers him his how i if in into is it its itself just me more most my no nor not now of off on
once only or other our ours out over own same she should so some such than that the their theirs
them then there these they this those through to too under until up very was we were what when
where which while who whom why will with would you your yours please tell know let i'm i'd can't
there's what's it's is there get got want need add held hold sent send give find go make take
use say much many anyone someone really still already does doe other another
""".split())

_stemmer = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return _stemmer.stemWord(word)


def tokens(text: str) -> list[str]:
    """Stemmed content words of `text`, in order, repeats kept (BM25 counts them)."""
    return [_stem(w) for w in WORD.findall(text.lower()) if w not in STOPWORDS]
