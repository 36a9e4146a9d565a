"""Questions embedded at the same moment, from many threads, get the vectors they get alone."""

from concurrent.futures import ThreadPoolExecutor

from bot.index.embeddings import load_embeddings


def test_concurrent_queries_get_their_own_vectors(embeddings):
    questions = [f"When is deadline number {n}?" for n in range(40)]
    alone = [load_embeddings().embed_query(q) for q in questions]
    with ThreadPoolExecutor(20) as pool:
        together = list(pool.map(embeddings.embed_query, questions))
    assert len(together[0]) == 384
    assert together == alone  # exactly: an answer never depends on who else asked at the same moment


def test_stemming_is_safe_from_many_threads():
    from bot.index.text import stem, tokens

    words = [f"organizations{n}ing" for n in range(2000)]
    stem.cache_clear()
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(tokens, words))
    stem.cache_clear()
    assert together == [tokens(w) for w in words]
