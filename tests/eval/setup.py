"""An assistant over one evaluation corpus, with its own index under a data folder."""

from __future__ import annotations

from pathlib import Path

from bot.assistant.assistant import Assistant
from bot.config import Settings
from bot.index.embeddings import load_embeddings
from bot.index.ingest import IngestReport, ingest
from bot.index.store import KnowledgeStore
from tests.eval.harness import Corpus


def corpus_assistant(corpus: Corpus, data: Path, embeddings: str | None = None) -> tuple[Assistant, IngestReport]:
    """`embeddings`: the model (EMBEDDINGS, else the default, when not given)."""
    settings = Settings(_env_file=None, bot_data_dir=data, knowledge_dir=corpus.root,
                        **({"embeddings": embeddings} if embeddings else {}))
    store = KnowledgeStore(settings, load_embeddings(settings.embeddings))
    report = ingest(store, settings)
    return Assistant.from_settings(settings, store), report
