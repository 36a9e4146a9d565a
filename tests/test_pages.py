"""The real pages read as the organizers meant them, and broken pages fail with a clear message."""

from pathlib import Path

import pytest

from bot.knowledge.chunks import chunk_page
from bot.index.reader import read as read_file
from bot.knowledge.pages import PageError
from bot.knowledge.publication import publication_of
from bot.knowledge.site import edition_folders

from .conftest import KNOWLEDGE, make_settings


def read(path: Path, root: Path, settings):
    """Read `path` the way ingest does: as a page of its edition, published where the edition says."""
    folder = next(f for f in edition_folders(root) if f.folder in path.parents)
    return read_file(path, folder, settings, publication_of(folder, settings))


@pytest.fixture(scope="module")
def page_settings(tmp_path_factory):
    return make_settings(tmp_path_factory.mktemp("pages"))


def page(name: str, page_settings):
    return read(KNOWLEDGE / name, KNOWLEDGE, page_settings)


def text_of(p) -> str:
    return "\n".join(line for s in p.sections for line in s.lines)


def test_front_matter_is_metadata_and_commented_lines_are_ignored(page_settings):
    cfp = page("neurips2025/call_for_papers.html", page_settings)
    assert cfp.title == "Call for Papers"
    assert cfp.front_matter["site_title"] == "ML For Systems"
    assert "workshop_name" not in cfp.front_matter  # `# workshop_name: neurips2025` is a comment
    assert "site_description" not in text_of(cfp)


def test_stale_date_below_a_struck_one_is_read_as_the_new_date_and_reported(page_settings):
    cfp = page("neurips2025/call_for_papers.html", page_settings)
    text = text_of(cfp)
    assert "no later than August 29, 2025 (extended from August 22, 2025)" in text
    assert "than August 22" not in text
    assert any("August 22, 2025" in w and "Submission Instructions" in w for w in cfp.warnings)


def test_mojibake_is_repaired(page_settings):
    assert "â€" not in text_of(page("neurips2025/call_for_papers.html", page_settings))
    assert "multimodal models — such as" in text_of(page("neurips2025/call_for_papers.html", page_settings))
    overview = text_of(page("neurips2025/overview.md", page_settings))
    assert "field's progress" in overview and "â€" not in overview


def test_commented_out_steering_committee_is_not_published(page_settings):
    index = page("neurips2025/index.html", page_settings)
    assert "Steering Committee" not in [s.title for s in index.sections]
    assert "Martin Maas" not in text_of(index)


def test_markdown_page_without_front_matter(page_settings):
    overview = page("neurips2025/overview.md", page_settings)
    assert overview.title == "Overview"
    assert overview.url == "https://mlforsystems.org/neurips2025/overview.html"
    assert "Topics" in [s.title for s in overview.sections]


def test_urls_follow_the_site_layout_and_the_configured_base(tmp_path):
    settings = make_settings(tmp_path, site_base_url="https://example.org/ws/")
    write(tmp_path / "knowledge", "neurips2030/index.html", b"<h2>About</h2><p>A workshop.</p>")
    assert read(tmp_path / "knowledge/neurips2030/index.html", tmp_path / "knowledge", settings).url == \
        "https://example.org/ws/neurips2030/"
    # An edition's event.yaml says where it is published, and wins over the setting.
    assert read(KNOWLEDGE / "neurips2023/index.html", KNOWLEDGE, settings).url == "https://mlforsystems.org/neurips2023/"


def test_event_yaml_becomes_a_key_facts_passage(page_settings):
    facts = page("neurips2025/event.yaml", page_settings)
    text = text_of(facts)
    assert "Venue: San Diego Convention Center, Upper Level Room 5AB" in text
    assert "Paper submission: August 29, 2025 (extended from August 22, 2025), 23:59 AoE (UTC−12)" in text


def test_chunks_carry_edition_title_section_source_and_url(page_settings):
    chunks = chunk_page(page("neurips2023/call_for_papers.html", page_settings))
    meta = chunks[0].metadata
    assert (meta["edition"], meta["title"], meta["source"]) == (
        "neurips2023", "Call for Papers", "neurips2023/call_for_papers.html")
    assert meta["url"].endswith("/neurips2023/call_for_papers.html") and meta["section"]
    assert [c.id for c in chunks] == [f"neurips2023/call_for_papers.html#{i}" for i in range(len(chunks))]
    assert all(len(c.body) <= 700 for c in chunks)


def write(root: Path, name: str, content: bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


@pytest.mark.parametrize("content, problem", [
    (b"---\ntitle: [unclosed\n---\n<p>x</p>", "front matter is not valid YAML (line 2)"),
    (b"---\ntitle: ok\nsite: a: b\n---\n<p>x</p>", "front matter is not valid YAML (line 3)"),
    (b"<p>caf\xe9</p>", "not UTF-8 text (byte 6"),
    (b"\x00\x01binary", "binary file"),
])
def test_unreadable_pages_name_the_file_and_the_problem(tmp_path, content, problem):
    path = write(tmp_path, "neurips2030/broken.html", content)
    with pytest.raises(PageError) as caught:
        read(path, tmp_path, make_settings(tmp_path))
    assert str(path) in str(caught.value) and problem in str(caught.value)


def test_a_page_with_no_text_is_reported_but_readable(tmp_path):
    path = write(tmp_path, "neurips2030/empty.html", b"<!-- only a comment -->")
    page = read(path, tmp_path, make_settings(tmp_path))
    assert page.sections == [] and any("has no text" in w for w in page.warnings)
