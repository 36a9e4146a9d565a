"""With CHROMA_HOST set, the bot uses a Chroma server (the one shipped in the package), not files."""

import pytest

from bot.assistant.assistant import Assistant
from bot.index.store import KnowledgeStore

from .conftest import ingest_all, make_settings

pytestmark = pytest.mark.slow  # a Chroma server process


def test_ingest_and_answer_through_a_chroma_server(tmp_path, chroma_server, embeddings):
    settings = make_settings(tmp_path / "data", chroma_host="127.0.0.1", chroma_port=chroma_server)
    store = KnowledgeStore(settings, embeddings)
    assert len(ingest_all(store, settings).added) == 7
    answer = Assistant.from_settings(settings, store).ask("Is the NeurIPS checklist required?")
    assert answer.answered and "checklist is NOT required" in answer.text
    assert not (tmp_path / "data" / "chroma").exists()

