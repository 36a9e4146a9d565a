"""Which editions a knowledge folder holds and which of its files are pages, in the three shapes a
workshop's website comes in: a Jekyll checkout, a single-edition Jekyll site, a built HTML site."""

from __future__ import annotations

from pathlib import Path

from bot.knowledge.pages import read_page
from bot.knowledge.publication import publication_of
from bot.knowledge.site import EditionFolder, edition_folders

from .conftest import KNOWLEDGE, MLFORSYSTEMS, SYSML, VERIFAI, copy_tree, make_settings

def by_id(root: Path) -> dict[str, EditionFolder]:
    return {folder.id: folder for folder in edition_folders(root)}


def pages_of(folder: EditionFolder, relative_to: Path) -> list[str]:
    return [page.relative_to(relative_to).as_posix() for page in folder.pages]


def test_a_jekyll_checkout_is_the_current_edition_on_top_and_older_ones_in_year_folders():
    """`workshop_name` names the top-level pages' edition; year-named folders are the older ones."""
    editions = by_id(MLFORSYSTEMS)
    assert list(editions) == ["neurips2023", "isca2019", "neurips2018", "neurips2020", "neurips2021"]
    assert pages_of(editions["neurips2023"], MLFORSYSTEMS) == [
        "accepted_papers.md", "call_for_papers.md", "index.md", "schedule.md"]
    assert pages_of(editions["neurips2018"], MLFORSYSTEMS) == [
        "neurips2018/accepted_papers.md", "neurips2018/call_for_papers.md", "neurips2018/index.md",
        "neurips2018/schedule.md"]
    assert pages_of(editions["neurips2021"], MLFORSYSTEMS) == [
        "neurips2021/call_for_papers.md", "neurips2021/index.md"]
    # Every edition is read with the one site: its `_data`, layouts and configuration.
    assert {folder.site.root for folder in editions.values()} == {MLFORSYSTEMS}


def test_only_what_the_site_publishes_is_a_page():
    """README, 404 pages and everything under `_`-folders (layouts, includes, data) are never pages."""
    for root in (MLFORSYSTEMS, VERIFAI, SYSML):
        for folder in edition_folders(root):
            for page in folder.pages:
                relative = page.relative_to(root)
                assert page.name.lower() not in {"readme.md", "404.html"}, relative
                assert not any(part.startswith("_") for part in relative.parts), relative
    assert (MLFORSYSTEMS / "README.md").is_file() and (VERIFAI / "404.html").is_file()
    assert (VERIFAI / "_includes" / "dates.md").is_file()  # Markdown, but an include


def test_markdown_without_front_matter_is_a_page_only_outside_a_jekyll_checkout(tmp_path):
    """Jekyll copies a front-matter-less Markdown file as it is, without publishing it as a page;
    in a plain folder per edition every Markdown file is a page."""
    site = copy_tree(MLFORSYSTEMS, tmp_path / "site")
    (site / "notes.md").write_text("# Internal notes\n\nTODO: book the room.\n", encoding="utf-8")
    (site / "neurips2018" / "draft.md").write_text("Draft, not published.\n", encoding="utf-8")
    (site / "travel.html").write_text("<h2>Travel</h2><p>Take the streetcar.</p>", encoding="utf-8")
    (site / "_drafts2017").mkdir()
    (site / "_drafts2017" / "index.md").write_text("---\ntitle: Old\n---\nOld draft\n", encoding="utf-8")
    editions = by_id(site)
    assert "_drafts2017" not in editions
    assert "notes.md" not in pages_of(editions["neurips2023"], site)
    assert not [p for p in pages_of(editions["neurips2023"], site) if p.startswith("_")]
    assert "travel.html" in pages_of(editions["neurips2023"], site)  # HTML is published as it is
    assert "neurips2018/draft.md" not in pages_of(editions["neurips2018"], site)

    knowledge = by_id(KNOWLEDGE)  # folder per edition, no `_config.yml`
    assert not (KNOWLEDGE / "neurips2025" / "overview.md").read_text(encoding="utf-8").startswith("---")
    assert "neurips2025/overview.md" in pages_of(knowledge["neurips2025"], KNOWLEDGE)


def test_a_single_edition_jekyll_site_is_named_from_its_title():
    """"The VerifAI Workshop @ ICLR'25" names the edition `iclr2025`; its pages are its Markdown pages."""
    editions = by_id(VERIFAI)
    assert list(editions) == ["iclr2025"]
    assert pages_of(editions["iclr2025"], VERIFAI) == [
        "cfp.md", "index.md", "papers.md", "schedule.md", "speakers.md", "tags.html"]


def test_a_built_site_is_one_edition_named_from_its_pages():
    """A built site has no configuration: its home page ("co-located with MLSys 2026") names it,
    and every HTML file is a page."""
    editions = by_id(SYSML)
    assert list(editions) == ["mlsys2026"]
    assert pages_of(editions["mlsys2026"], SYSML) == [
        "cfp/index.html", "index.html", "organizers/index.html", "papers/index.html", "program/index.html",
        "speakers/index.html"]


def test_pages_link_to_where_the_cname_host_serves_them(tmp_path):
    """The base URL is the CNAME host; Markdown is served as `.html`, an index as its folder."""
    settings = make_settings(tmp_path)
    editions = by_id(MLFORSYSTEMS)
    publication = publication_of(editions["neurips2023"], settings)
    assert publication.base == "https://mlforsystems.org"

    def url(edition: str, relative: str) -> str:
        folder = editions[edition]
        return read_page(MLFORSYSTEMS / relative, folder, settings, publication_of(folder, settings)).url

    assert url("neurips2023", "index.md") == "https://mlforsystems.org/"
    assert url("neurips2023", "schedule.md") == "https://mlforsystems.org/schedule.html"
    assert url("neurips2018", "neurips2018/schedule.md") == "https://mlforsystems.org/neurips2018/schedule.html"
    assert url("neurips2018", "neurips2018/index.md") == "https://mlforsystems.org/neurips2018/"


def test_a_site_that_names_no_address_links_only_when_configured(tmp_path):
    """No CNAME and no `url`: no links, unless SITE_BASE_URL says where the site is served."""
    folder = by_id(SYSML)["mlsys2026"]
    program = SYSML / "program" / "index.html"
    plain = make_settings(tmp_path)
    assert read_page(program, folder, plain, publication_of(folder, plain)).url == ""
    configured = make_settings(tmp_path, site_base_url="https://sysml-edge.example/")
    assert read_page(program, folder, configured, publication_of(folder, configured)).url == \
        "https://sysml-edge.example/program/"


def test_a_knowledge_folder_can_hold_a_whole_jekyll_site(tmp_path):
    """A Jekyll checkout dropped into KNOWLEDGE_DIR next to plain edition folders keeps its editions,
    its URLs and its data; a single-edition site there is named by its folder."""
    knowledge = tmp_path / "knowledge"
    copy_tree(KNOWLEDGE / "neurips2025", knowledge / "neurips2025")
    copy_tree(MLFORSYSTEMS, knowledge / "mlforsystems")
    copy_tree(VERIFAI, knowledge / "iclr2025")
    editions = by_id(knowledge)
    assert sorted(editions) == ["iclr2025", "isca2019", "neurips2018", "neurips2020", "neurips2021",
                                "neurips2023", "neurips2025"]
    current = editions["neurips2023"]
    assert [current.source(p) for p in current.pages] == [
        "mlforsystems/accepted_papers.md", "mlforsystems/call_for_papers.md", "mlforsystems/index.md",
        "mlforsystems/schedule.md"]
    assert editions["neurips2018"].source(knowledge / "mlforsystems/neurips2018/schedule.md") == \
        "mlforsystems/neurips2018/schedule.md"

    settings = make_settings(tmp_path / "data", knowledge)
    old = editions["neurips2018"]
    schedule = read_page(knowledge / "mlforsystems/neurips2018/schedule.md", old, settings,
                         publication_of(old, settings))
    assert schedule.url == "https://mlforsystems.org/neurips2018/schedule.html"

    verifai = editions["iclr2025"]
    assert pages_of(verifai, knowledge) == ["iclr2025/cfp.md", "iclr2025/index.md", "iclr2025/papers.md",
                                            "iclr2025/schedule.md", "iclr2025/speakers.md", "iclr2025/tags.html"]
    programme = read_page(knowledge / "iclr2025/schedule.md", verifai, settings, publication_of(verifai, settings))
    assert "09:00: Invited Talk — Keynote 1: Kevin Ellis" in [line for s in programme.sections for line in s.lines]
