"""Whole real sites ingested into a real Chroma store and asked about: every edition indexed, nothing
rewritten when nothing changed, data changes picked up, broken and empty editions reported."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.assistant.assistant import Assistant
from bot.index.ingest import ingest
from bot.index.store import KnowledgeStore
from bot.knowledge.editions import knowledge_roots

from .conftest import MLFORSYSTEMS, VERIFAI, copy_tree, make_settings

EDITIONS = ["neurips2023", "neurips2021", "neurips2020", "isca2019", "neurips2018"]
NOW = datetime(2023, 12, 1, tzinfo=UTC)


def snapshot(store: KnowledgeStore) -> list:
    found = store.collection.get(include=["documents", "metadatas"])
    return sorted(zip(found["ids"], found["documents"], strict=True))


def texts_of_source(store: KnowledgeStore, source: str) -> str:
    _, texts, _ = store.passages({"source": source})
    return "\n".join(texts)


@pytest.fixture(scope="module")
def checkout(tmp_path_factory, embeddings):
    """A copy of the mlforsystems checkout as KNOWLEDGE_DIR, ingested once: (settings, store, first report)."""
    base = tmp_path_factory.mktemp("mlforsystems-kb")
    knowledge = copy_tree(MLFORSYSTEMS, base / "knowledge")
    settings = make_settings(base / "data", knowledge)
    store = KnowledgeStore(settings, embeddings)
    return settings, store, ingest(store, settings)


@pytest.fixture
def small_checkout(tmp_path, embeddings):
    """The mlforsystems checkout's current edition only, with three papers: cheap to ingest twice."""
    knowledge = copy_tree(MLFORSYSTEMS, tmp_path / "knowledge",
                          top_level_skip={"neurips2018", "neurips2020", "neurips2021", "isca2019"})
    papers = knowledge / "_data" / "neurips2023" / "papers.csv"
    with papers.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))[:3]
    with papers.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    settings = make_settings(tmp_path / "data", knowledge)
    return settings, KnowledgeStore(settings, embeddings), rows


def test_a_jekyll_checkout_ingests_as_five_editions(checkout):
    """Every page of every edition is indexed without an error, and each edition answers for itself."""
    settings, store, report = checkout
    assert report.errors == [] and report.warnings == []
    assert len(report.added) == 17 and "neurips2018/schedule.md" in report.added
    assert "ZeRO++: Extremely Efficient Collective Communication" in texts_of_source(store, "accepted_papers.md")
    assistant = Assistant.from_settings(settings, store)
    assert assistant.editions.ids() == EDITIONS

    venue = assistant.ask("Where is the workshop?", now=NOW)
    assert venue.edition == "neurips2023" and "New Orleans Convention Center" in venue.text
    assert "Room 211-213" in venue.text
    lunch = assistant.ask("When is lunch?", now=NOW)
    assert "12:30" in lunch.text and "Lunch" in lunch.text
    old = assistant.ask("When was the ISCA 2019 workshop?", now=NOW)
    assert old.edition == "isca2019" and "June 23, 2019" in old.text


def test_reingesting_an_unchanged_checkout_writes_nothing(checkout):
    """Nothing on disk changed: no page re-read into the index, no passage written, the generation kept."""
    settings, store, first = checkout
    before, generation = snapshot(store), store.generation
    again = ingest(store, settings)
    assert (again.added, again.updated, again.removed, again.passages, again.errors) == ([], [], [], 0, [])
    assert sorted(again.unchanged) == sorted(first.added)
    assert snapshot(store) == before and store.generation == generation


def test_changing_a_data_file_reindexes_the_page_that_renders_it(small_checkout):
    """The accepted papers page is a loop over a CSV: a corrected title in the CSV reaches the index."""
    settings, store, rows = small_checkout
    first = ingest(store, settings)
    assert "accepted_papers.md" in first.added and not first.errors
    old_title = rows[0]["title"]
    assert old_title in texts_of_source(store, "accepted_papers.md")

    papers = settings.knowledge_dir / "_data" / "neurips2023" / "papers.csv"
    papers.write_text(papers.read_text(encoding="utf-8").replace(old_title, "VMR3L: Rescheduling Revisited"),
                      encoding="utf-8")
    report = ingest(store, settings)
    assert "accepted_papers.md" in report.updated and not report.errors
    text = texts_of_source(store, "accepted_papers.md")
    assert "VMR3L: Rescheduling Revisited" in text and old_title not in text


def test_a_page_whose_liquid_is_broken_is_reported_and_never_indexed_raw(small_checkout):
    """A template error names the file and line; the page's raw Liquid never becomes a passage."""
    settings, store, _ = small_checkout
    broken = settings.knowledge_dir / "talks.md"
    broken.write_text("---\ntitle: Talks\n---\n<h2>Talks</h2>\n{% for talk in site.data.talks %}\n<p>{{ talk }}</p>\n",
                      encoding="utf-8")
    report = ingest(store, settings)
    assert [str(e) for e in report.errors] == [
        f"{broken}: line 5: Liquid template cannot be rendered: expected tag endfor, found end of expression"]
    assert store.ids_of_source("talks.md") == []
    assert not [t for t in store.collection.get(include=["documents"])["documents"] if "{%" in t or "{{" in t]
    assert "accepted_papers.md" in report.added  # the rest of the site is indexed


def textless_knowledge(tmp_path: Path) -> Path:
    knowledge = tmp_path / "knowledge"
    (knowledge / "neurips2030").mkdir(parents=True)
    (knowledge / "neurips2030" / "index.html").write_text("<!-- the site is coming soon -->", encoding="utf-8")
    (knowledge / "neurips2030" / "cfp.html").write_text("<script>var deadline = 'soon';</script>", encoding="utf-8")
    (knowledge / "neurips2029").mkdir()
    (knowledge / "neurips2029" / "index.html").write_text(
        "<h2>Important Dates</h2><ul><li>Submission deadline: May 1, 2029</li></ul>", encoding="utf-8")
    return knowledge


def test_an_edition_whose_pages_have_no_text_is_an_ingest_error_naming_them(tmp_path, embeddings):
    """An edition that yields no passages at all is an error naming its pages; the others are indexed."""
    knowledge = textless_knowledge(tmp_path)
    settings = make_settings(tmp_path / "data", knowledge)
    report = ingest(KnowledgeStore(settings, embeddings), settings)
    assert [str(e) for e in report.errors] == [
        f"{knowledge / 'neurips2030'}: edition 'neurips2030' yields no passages: its pages "
        "(neurips2030/cfp.html, neurips2030/index.html) have no text"]
    assert "neurips2029/index.html" in report.added


def test_asking_about_an_edition_without_text_does_not_crash(tmp_path, embeddings):
    """An edition with nothing indexed (the newest, here the default) is answered with "not found"."""
    knowledge = textless_knowledge(tmp_path)
    settings = make_settings(tmp_path / "data", knowledge)
    store = KnowledgeStore(settings, embeddings)
    ingest(store, settings)
    assistant = Assistant.from_settings(settings, store)
    assert assistant.editions.default.id == "neurips2030"
    other = assistant.ask("When is the submission deadline?", edition="neurips2029", now=NOW)
    assert "May 1, 2029" in other.text
    answer = assistant.ask("When is the submission deadline?", now=NOW)
    assert answer.edition == "neurips2030" and not answer.answered


@pytest.fixture(scope="module")
def outside(tmp_path_factory, embeddings):
    """An empty KNOWLEDGE_DIR, and the VerifAI site ingested from a folder outside it."""
    base = tmp_path_factory.mktemp("outside")
    (base / "knowledge").mkdir()
    site = copy_tree(VERIFAI, base / "elsewhere" / "verifai")
    settings = make_settings(base / "data", base / "knowledge")
    store = KnowledgeStore(settings, embeddings)
    return settings, store, site, ingest(store, settings, roots=[site])


def test_a_folder_ingested_from_outside_is_remembered_and_answered(outside, embeddings):
    """Another process (a new Assistant on its own store handle) answers from the remembered folder."""
    settings, _, site, report = outside
    assert report.errors == [] and "verifai/cfp.md" in report.added
    assert site.resolve() in knowledge_roots(settings)

    assistant = Assistant.from_settings(settings, KnowledgeStore(settings, embeddings))
    assert assistant.editions.ids() == ["iclr2025"]
    deadline = assistant.ask("When is the paper submission deadline?", now=datetime(2025, 1, 20, tzinfo=UTC))
    assert deadline.edition == "iclr2025"
    assert "February 7, 2025 (extended from February 3, 2025)" in deadline.text
    assert deadline.sources[0].path == "verifai/cfp.md"
    venue = assistant.ask("Where is the workshop?", now=datetime(2025, 1, 20, tzinfo=UTC))
    assert "Singapore EXPO" in venue.text and "Garnet 218-219" in venue.text


def test_a_remembered_folder_stays_indexed_by_a_plain_ingest(outside):
    """A later ingest without `roots` still covers the remembered folder: nothing of it is removed."""
    settings, store, _, _ = outside
    count = store.count()
    report = ingest(store, settings)
    assert report.removed == [] and report.errors == [] and store.count() == count
    assert "verifai/schedule.md" in report.unchanged


def test_reingesting_a_site_with_a_textless_page_writes_nothing(outside):
    """A page with no text is not re-reported as added, and does not move the index generation, every run."""
    settings, store, _, _ = outside
    generation = store.generation
    report = ingest(store, settings)
    assert (report.added, report.updated, report.removed) == ([], [], [])
    assert not report.changed and store.generation == generation


def test_changing_a_collection_document_reindexes_the_pages_that_list_it(tmp_path, embeddings):
    """The speakers page loops over `site.speakers`: a speaker's corrected talk title reaches the index,
    and the README that serves as the home page is indexed with it."""
    knowledge = tmp_path / "knowledge"
    files = {
        "_config.yml": "title: WS\ncollections: [speakers]\n",
        "README.md": "---\ntitle: Home\n---\nThe workshop on low-dimensional models, January 3, 2023.\n",
        "speakers.md": "---\ntitle: Speakers\n---\n{% for s in site.speakers %}\n### {{ s.name }}\n\n"
                       "Talk: {{ s.talk }}\n{% endfor %}\n",
        "_speakers/belkin.md": "---\nname: Misha Belkin\ntalk: Why so many parameters?\n---\n",
    }
    for name, text in files.items():
        (knowledge / name).parent.mkdir(parents=True, exist_ok=True)
        (knowledge / name).write_text(text, encoding="utf-8")
    settings = make_settings(tmp_path / "data", knowledge)
    store = KnowledgeStore(settings, embeddings)
    first = ingest(store, settings)
    assert sorted(first.added) == ["README.md", "speakers.md"] and not first.errors
    assert "Talk: Why so many parameters?" in texts_of_source(store, "speakers.md")
    assert "January 3, 2023" in texts_of_source(store, "README.md")

    (knowledge / "_speakers/belkin.md").write_text("---\nname: Misha Belkin\ntalk: Why are models so large?\n---\n",
                                                    encoding="utf-8")
    report = ingest(store, settings)
    assert "speakers.md" in report.updated and not report.errors
    text = texts_of_source(store, "speakers.md")
    assert "Talk: Why are models so large?" in text and "Why so many parameters?" not in text
