"""Ingestion against a real Chroma store: idempotent, no stale passages, never destructive."""

import pytest

from bot.index.embeddings import IndexMismatchError, load_embeddings
from bot.index.ingest import ingest
from bot.index.retrieval import HybridRetriever
from bot.index.store import KnowledgeStore

from .conftest import ingest_all


def snapshot(store):
    found = store.collection.get(include=["documents", "metadatas"])
    return sorted(zip(found["ids"], found["documents"], strict=True))


def test_reingesting_unchanged_pages_changes_nothing(store, settings):
    first = ingest_all(store, settings)
    assert len(first.added) == 7 and not first.errors and store.count() > 50
    before, generation = snapshot(store), store.generation
    second = ingest_all(store, settings)
    assert (second.added, second.updated, second.removed, second.passages) == ([], [], [], 0)
    assert len(second.unchanged) == 7
    assert snapshot(store) == before and store.generation == generation


def test_a_changed_page_leaves_no_stale_passages(store, settings):
    ingest_all(store, settings)
    page = settings.knowledge_dir / "neurips2025" / "call_for_papers.html"
    page.write_text(page.read_text().replace("Databases", "Quantum toasters"))
    report = ingest_all(store, settings)
    assert report.updated == ["neurips2025/call_for_papers.html"] and len(report.unchanged) == 6
    _, texts, _ = store.passages({"source": "neurips2025/call_for_papers.html"})
    joined = "\n".join(texts)
    assert "Quantum toasters" in joined and "Databases" not in joined
    hashes = store.page_hashes()["neurips2025/call_for_papers.html"].hashes
    assert len(hashes) == 1


def test_a_shorter_page_drops_its_surplus_passages(store, settings):
    ingest_all(store, settings)
    page = settings.knowledge_dir / "neurips2025" / "index.html"
    before = len(store.ids_of_source("neurips2025/index.html"))
    page.write_text("---\ntitle: Announcement\n---\n<h2>Speakers</h2><p>To be announced.</p>")
    ingest_all(store, settings)
    assert store.ids_of_source("neurips2025/index.html") == ["neurips2025/index.html#0"] and before > 1


def test_a_removed_page_is_removed_from_the_index(store, settings):
    ingest_all(store, settings)
    (settings.knowledge_dir / "neurips2023" / "index.html").unlink()
    report = ingest_all(store, settings)
    assert report.removed == ["neurips2023/index.html"]
    assert store.ids_of_source("neurips2023/index.html") == []
    assert store.ids_of_source("neurips2023/call_for_papers.html")


def test_ingesting_one_edition_leaves_the_others_alone(store, settings):
    ingest_all(store, settings)
    count = store.count()
    (settings.knowledge_dir / "neurips2025" / "overview.md").unlink()
    report = ingest(store, settings, scopes=[(settings.knowledge_dir / "neurips2023").resolve()])
    assert report.removed == [] and store.count() == count


def test_a_broken_page_keeps_its_old_passages_and_the_index_stays_queryable(store, settings):
    ingest_all(store, settings)
    before = snapshot(store)
    (settings.knowledge_dir / "neurips2025" / "call_for_papers.html").write_bytes(b"---\ntitle: [oops\n---\n<p>x</p>")
    (settings.knowledge_dir / "neurips2025" / "event.yaml").write_text("name: X\ntimezone: Mars/Olympus\n")
    report = ingest_all(store, settings)
    assert sorted(e.path.split("knowledge/")[-1] for e in report.errors) == [
        "neurips2025/call_for_papers.html", "neurips2025/event.yaml"]
    assert "line 2" in str(report.errors[0]) and "Mars/Olympus" in str(report.errors[1])
    assert snapshot(store) == before
    hits = HybridRetriever(store).search("page limit strict", "neurips2025").hits
    assert any("strict limit" in h.text for h in hits)


def test_the_index_refuses_another_embedding_model(settings, embeddings):
    store = KnowledgeStore(settings, embeddings)
    ingest_all(store, settings)
    other = settings.model_copy(update={"embeddings": "fake:other-model"})

    with pytest.raises(IndexMismatchError, match=r"built with all-MiniLM-L6-v2-int8@9e8025153763 \(384 dimensions\)"
                                                 r".*--rebuild"):
        KnowledgeStore(other, embeddings)
    float32 = settings.model_copy(update={"embeddings": "all-MiniLM-L6-v2-fp32"})
    with pytest.raises(IndexMismatchError, match=r"but EMBEDDINGS is all-MiniLM-L6-v2-fp32@8199be6f699a"):
        KnowledgeStore(float32, load_embeddings("all-MiniLM-L6-v2-fp32"))
    # built by an earlier release, whose default file had the same name: the name alone does not pass
    store.collection.modify(metadata={**store.collection.metadata, "embedding_model": "all-MiniLM-L6-v2-int8"})
    with pytest.raises(IndexMismatchError, match=r"built with all-MiniLM-L6-v2-int8 \(384"):
        KnowledgeStore(settings, embeddings)
    rebuilt = KnowledgeStore(other, load_embeddings(), rebuild=True)
    assert rebuilt.count() == 0
