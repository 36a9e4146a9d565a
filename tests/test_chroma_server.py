"""With CHROMA_HOST set, the bot uses a Chroma server (the one shipped in the package), not files."""

import os
import subprocess
import sys

import pytest

from bot.assistant.assistant import Assistant
from bot.index.store import KnowledgeStore

from .conftest import REPO, ingest_all, make_settings
from .waiting import wait_until

pytestmark = pytest.mark.slow  # a Chroma server process


def test_ingest_and_answer_through_a_chroma_server(tmp_path, chroma_server, embeddings):
    settings = make_settings(tmp_path / "data", chroma_host="127.0.0.1", chroma_port=chroma_server)
    store = KnowledgeStore(settings, embeddings)
    assert len(ingest_all(store, settings).added) == 7
    answer = Assistant.from_settings(settings, store).ask("Is the NeurIPS checklist required?")
    assert answer.answered and "checklist is NOT required" in answer.text
    assert not (tmp_path / "data" / "chroma").exists()



def test_an_ingest_by_another_process_is_answered_by_a_running_one(tmp_path, chroma_server, knowledge_copy,
                                                                    embeddings):
    """Replicas share the server: the index generation lives in the collection's metadata, which each
    process re-reads (at most once a second), so an ingest anywhere reaches every replica's answers."""
    settings = make_settings(tmp_path / "running", knowledge_copy, chroma_host="127.0.0.1", chroma_port=chroma_server)
    store = KnowledgeStore(settings, embeddings)
    ingest_all(store, settings)
    assistant = Assistant.from_settings(settings, store)
    question = "Is the NeurIPS checklist required?"
    assert "checklist is NOT required" in assistant.ask(question).text
    before = store.generation

    page = knowledge_copy / "neurips2025" / "call_for_papers.html"
    page.write_text(page.read_text().replace(
        "The NeurIPS checklist is <b>NOT</b> required for ML for Systems workshop papers.",
        "The NeurIPS checklist is required for ML for Systems workshop papers, as its last page."))
    env = {**os.environ, "BOT_DATA_DIR": str(tmp_path / "other"), "KNOWLEDGE_DIR": str(knowledge_copy),
           "CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(chroma_server)}
    done = subprocess.run([sys.executable, "-m", "bot", "ingest"], check=False, cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr

    wait_until(lambda: store.generation > before, 30, what="the other process's ingest seen")
    answer = wait_until(lambda: (a := assistant.ask(question)) and "as its last page" in a.text and a, 30,
                        what="the answer from the re-indexed page")
    assert "NOT required" not in answer.text
