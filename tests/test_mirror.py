"""The index's read copy: what a store writes after each change, and what answering reads without Chroma."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.config import FLOAT_EMBEDDINGS
from bot.index.embeddings import IndexMismatchError
from bot.index.mirror import RECHECK_SECONDS, mirror_file, open_mirror

from .conftest import ingest_all, make_settings
from .waiting import wait_until

REPO = Path(__file__).resolve().parent.parent


def test_the_copy_holds_what_the_store_holds(store, settings, embeddings):
    ingest_all(store, settings)
    mirror = open_mirror(settings, embeddings)
    assert mirror is not None and mirror.generation == store.generation and mirror.count() == store.count()
    for edition in ("neurips2025", "neurips2023"):
        ids, texts, metas, vectors = store.edition_passages(edition)
        copied = mirror.edition_passages(edition)
        assert ids and (copied[0], copied[1], copied[2]) == (ids, texts, metas)
        assert np.array_equal(copied[3], vectors)


def test_the_copy_follows_a_changed_page_and_is_gone_while_an_ingest_writes(store, settings, embeddings):
    ingest_all(store, settings)
    mirror = open_mirror(settings, embeddings)
    assert mirror is not None
    before = mirror.generation

    store.begin_writing()  # an ingest begins: no copy to read meanwhile, the one loaded stays
    assert open_mirror(settings, embeddings) is None and mirror.generation == before
    store.finish_writing()
    assert open_mirror(settings, embeddings) is not None

    page = settings.knowledge_dir / "neurips2025" / "call_for_papers.html"
    page.write_text(page.read_text().replace("Databases", "Quantum toasters"))
    ingest_all(store, settings)
    wait_until(lambda: mirror.generation == store.generation, RECHECK_SECONDS + 30, what="the copy loaded again")
    assert any("Quantum toasters" in text for text in mirror.edition_passages("neurips2025")[1])


def test_an_index_built_before_copies_gets_one_at_the_next_ingest(store, settings, embeddings):
    ingest_all(store, settings)
    path = mirror_file(settings)
    assert path is not None
    path.unlink()
    report = ingest_all(store, settings)
    assert not report.changed and open_mirror(settings, embeddings) is not None


def test_a_damaged_copy_is_passed_over_with_a_warning(store, settings, embeddings, caplog):
    ingest_all(store, settings)
    path = mirror_file(settings)
    assert path is not None
    path.write_bytes(path.read_bytes()[:5000])
    with caplog.at_level(logging.WARNING):
        assert open_mirror(settings, embeddings) is None
    assert f"{path}: not a readable copy of the index" in caplog.text


def test_a_copy_made_by_another_model_is_refused(store, settings, embeddings):
    ingest_all(store, settings)
    other = settings.model_copy(update={"embeddings": FLOAT_EMBEDDINGS})
    with pytest.raises(IndexMismatchError, match="ingest --rebuild"):
        open_mirror(other, embeddings)


def test_a_chroma_server_has_no_copy(tmp_path):
    assert mirror_file(make_settings(tmp_path, chroma_host="chroma.internal")) is None


def test_a_cold_ask_answers_from_the_copy_without_loading_chroma(store, settings):
    ingest_all(store, settings)
    script = ("import sys\nfrom typer.testing import CliRunner\nfrom bot.cli import app\n"
              "result = CliRunner().invoke(app, ['ask', 'When is the paper submission deadline?'])\n"
              "print(result.output)\nprint('chromadb loaded:', 'chromadb' in sys.modules)\n")
    env = {**os.environ, "BOT_DATA_DIR": str(settings.bot_data_dir), "KNOWLEDGE_DIR": str(settings.knowledge_dir)}
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=300, check=False)
    assert "chromadb loaded: False" in done.stdout, done.stdout + done.stderr
    assert "Paper submission" in done.stdout and "Sources:" in done.stdout
