"""Shared fixtures: the real embedding model (loaded once), real Chroma stores in temp folders."""

from __future__ import annotations

import shutil
import stat
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

from bot.assistant.assistant import Assistant
from bot.config import Settings
from bot.index.embeddings import load_embeddings
from bot.index.ingest import ingest
from bot.index.store import KnowledgeStore

REPO = Path(__file__).resolve().parent.parent
KNOWLEDGE = REPO / "knowledge"
SITES = REPO / "tests" / "fixtures" / "sites"  # real workshop websites, and one built and minified
MLFORSYSTEMS = SITES / "mlforsystems"
VERIFAI = SITES / "verifai"
SYSML = SITES / "sysml-built"


def copy_tree(source: Path, target: Path, *, top_level_skip: set[str] = frozenset()) -> Path:
    """A writable copy of a (read-only) fixture, without the top-level entries in `top_level_skip`."""
    shutil.copytree(source, target, ignore=lambda folder, names: [
        n for n in names if Path(folder) == source and n in top_level_skip])
    for path in [target, *target.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    return target


@pytest.fixture(scope="session")
def embeddings():
    """The default embedding model, loaded once for the whole session."""
    return load_embeddings()


def make_settings(data_dir: Path, knowledge_dir: Path = KNOWLEDGE, **overrides) -> Settings:
    return Settings(_env_file=None, bot_data_dir=data_dir, knowledge_dir=knowledge_dir, **overrides)


def ingest_all(store: KnowledgeStore, settings: Settings):
    return ingest(store, settings)


@pytest.fixture(scope="session")
def shared_settings(tmp_path_factory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("shared-data"))


@pytest.fixture(scope="session")
def shared_store(shared_settings, embeddings) -> KnowledgeStore:
    """The real knowledge base, indexed once; tests that only read share it."""
    store = KnowledgeStore(shared_settings, embeddings)
    report = ingest_all(store, shared_settings)
    assert not report.errors
    return store


@pytest.fixture(scope="session")
def assistant(shared_settings, shared_store) -> Assistant:
    return Assistant.from_settings(shared_settings, shared_store)


@pytest.fixture(scope="session")
def corpus_assistants(tmp_path_factory, embeddings) -> Callable[[str], Assistant]:
    """The assistant over an evaluation corpus by name, indexed once for the session: questions only read it."""
    from tests.eval.harness import CORPORA
    from tests.eval.setup import corpus_assistant

    @cache
    def of(name: str) -> Assistant:
        assistant, report = corpus_assistant(CORPORA[name], tmp_path_factory.mktemp(f"corpus-{name}"))
        assert not report.errors
        return assistant

    return of


@pytest.fixture
def knowledge_copy(tmp_path) -> Path:
    """A private copy of knowledge/ that a test may edit or break."""
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, target)
    return target


@pytest.fixture
def settings(tmp_path, knowledge_copy) -> Settings:
    return make_settings(tmp_path / "data", knowledge_copy)


@pytest.fixture
def store(settings, embeddings) -> KnowledgeStore:
    return KnowledgeStore(settings, embeddings)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path) -> str:
    """The bot's database on each engine it runs on: a SQLite file, or a new database on the session's PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bot.db'}"
    return request.getfixturevalue("postgres_url")


pytest_plugins = ["tests.slack_harness", "tests.reminder_harness", "tests.smtp_harness", "tests.chroma_harness",
                  "tests.postgres_harness"]
