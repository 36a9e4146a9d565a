"""With CHROMA_HOST set, the bot uses a Chroma server (the one shipped in the package), not files."""

import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.assistant.assistant import Assistant
from bot.index.store import KnowledgeStore

from .conftest import ingest_all, make_settings
from .waiting import wait_until

pytestmark = pytest.mark.slow  # a Chroma server process


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path):
    port = free_port()
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or "chroma"
    process = subprocess.Popen([chroma, "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1",
                                "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(lambda: _listening(port), 120, every=0.1, what="the Chroma server listening")
    yield port
    process.terminate()
    process.wait(timeout=10)


def test_ingest_and_answer_through_a_chroma_server(tmp_path, chroma_server, embeddings):
    settings = make_settings(tmp_path / "data", chroma_host="127.0.0.1", chroma_port=chroma_server)
    store = KnowledgeStore(settings, embeddings)
    assert len(ingest_all(store, settings).added) == 7
    answer = Assistant.from_settings(settings, store).ask("Is the NeurIPS checklist required?")
    assert answer.answered and "checklist is NOT required" in answer.text
    assert not (tmp_path / "data" / "chroma").exists()


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False
