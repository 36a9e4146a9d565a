"""Batched query embedding returns exactly what one-at-a-time embedding does, errors included."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from bot.index.embeddings import BatchedQueries


def test_concurrent_queries_get_their_own_vectors(embeddings):
    questions = [f"When is deadline number {n}?" for n in range(40)]
    alone = [embeddings.inner.embed_documents([q])[0] for q in questions[:5]]
    with ThreadPoolExecutor(20) as pool:
        together = list(pool.map(embeddings.embed_query, questions))
    assert len(together) == 40 and len(together[0]) == 384
    for a, b in zip(alone, together[:5], strict=True):
        assert np.allclose(a, b, atol=1e-5)


class Broken(Embeddings):
    def embed_documents(self, texts):
        raise RuntimeError("model unavailable")

    def embed_query(self, text):
        raise RuntimeError("model unavailable")


def test_an_error_reaches_every_waiting_question():
    batched = BatchedQueries(Broken())
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(batched.embed_query, "q") for _ in range(4)]
        for future in futures:
            with pytest.raises(RuntimeError, match="model unavailable"):
                future.result(timeout=10)


def test_stemming_is_safe_from_many_threads():
    from bot.index.text import stem, tokens

    words = [f"organizations{n}ing" for n in range(2000)]
    stem.cache_clear()
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(tokens, words))
    stem.cache_clear()
    assert together == [tokens(w) for w in words]
