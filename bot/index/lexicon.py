"""Which words are real English words: the embedding model's own word list.

A question word the pages never use is either a typo of one of theirs ("submision", "Mirhoseni") or a
real word they simply do not contain ("lunch", "hotel"). Mending the second kind into a page word
("lunch" → "launch") would answer a question nobody asked. The WordPiece vocabulary shipped with the
embedding model's tokenizer lists about 20,000 whole English words: a word in it is not a typo.
"""

from __future__ import annotations

import json
from functools import lru_cache

from bot.index.minilm import TOKENIZER


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Whole words of the default model's WordPiece vocabulary."""
    vocabulary = json.loads(TOKENIZER.read_text(encoding="utf-8"))["model"]["vocab"]
    return frozenset(w for w in vocabulary if w.isalpha() and w.islower() and len(w) > 2)


def is_word(word: str) -> bool:
    return word.lower() in english_words()
