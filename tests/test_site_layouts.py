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


def test_markdown_without_front_matter_is_a_page_as_github_pages_publishes_it(tmp_path):
    """GitHub Pages publishes a front-matter-less Markdown file as a page (jekyll-optional-front-matter,
    on by default), unless the site requires front matter; in a plain folder per edition every Markdown
    file is a page. `_`-folders never hold pages."""
    site = copy_tree(MLFORSYSTEMS, tmp_path / "site")
    (site / "travel.md").write_text("# Travel\n\nTake the streetcar.\n", encoding="utf-8")
    (site / "neurips2018" / "venue.md").write_text("The workshop is in Room 517.\n", encoding="utf-8")
    (site / "travel.html").write_text("<h2>Travel</h2><p>Take the streetcar.</p>", encoding="utf-8")
    (site / "_drafts2017").mkdir()
    (site / "_drafts2017" / "index.md").write_text("---\ntitle: Old\n---\nOld draft\n", encoding="utf-8")
    editions = by_id(site)
    assert "_drafts2017" not in editions
    assert "travel.md" in pages_of(editions["neurips2023"], site)
    assert not [p for p in pages_of(editions["neurips2023"], site) if p.startswith("_")]
    assert "travel.html" in pages_of(editions["neurips2023"], site)  # HTML is published as it is
    assert "neurips2018/venue.md" in pages_of(editions["neurips2018"], site)

    config = site / "_config.yml"
    config.write_text(config.read_text(encoding="utf-8") + "\nrequire_front_matter: true\n", encoding="utf-8")
    editions = by_id(site)
    assert "travel.md" not in pages_of(editions["neurips2023"], site)
    assert "neurips2018/venue.md" not in pages_of(editions["neurips2018"], site)

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


def write_site(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_documents_of_output_collections_are_pages_where_jekyll_writes_them(tmp_path):
    """A collection with `output: true` publishes each document at its permalink, its collection's or
    `/:collection/:path/`; posts are one such collection; other collections only feed the pages."""
    site = write_site(tmp_path / "site", {
        "_config.yml": (
            "url: https://ws.org\npermalink: pretty\n"
            "collections:\n  talks: {output: true, permalink: '/program/:title/'}\n  news: {output: true}\n"
            "  speakers:\n"
            "defaults: [{scope: {type: talks}, values: {layout: talk, room: Hall B}}]\n"
        ),
        "_layouts/talk.html": "<p class=\"room\">Room: {{ page.room }}</p>{{ content }}",
        "_talks/keynote.md": "---\ntitle: Keynote\n---\nThe opening keynote by Ann Lee.\n",
        "_talks/_draft.md": "---\ntitle: Draft\n---\n",
        "_news/2025/launch.md": "---\ntitle: Launch\n---\nThe site is live.\n",
        "_posts/2025-01-31-call.md": "---\ntitle: Call\n---\nSubmit your papers.\n",
        "_posts/2025-02-01-hidden.md": "---\ntitle: Hidden\npublished: false\n---\nNot yet.\n",
        "_speakers/ann.md": "---\nname: Ann Lee\n---\n",
        "index.md": "---\ntitle: Home\n---\n{% for t in site.talks %}{{ t.title }}{% endfor %}\n",
    })
    folder = by_id(site)["site"]
    assert pages_of(folder, site) == [
        "_news/2025/launch.md", "_posts/2025-01-31-call.md", "_talks/keynote.md", "index.md"]
    settings = make_settings(tmp_path / "data", site)
    publication = publication_of(folder, settings)
    pages = {page: read_page(site / page, folder, settings, publication) for page in pages_of(folder, site)}
    assert {page: read.url for page, read in pages.items()} == {
        "_news/2025/launch.md": "https://ws.org/news/2025/launch/",
        "_posts/2025-01-31-call.md": "https://ws.org/2025/01/31/call/",
        "_talks/keynote.md": "https://ws.org/program/keynote/",
        "index.md": "https://ws.org/",
    }
    keynote = pages["_talks/keynote.md"]
    assert keynote.header == ["Room: Hall B"]  # its layout comes from the defaults of its type
    assert [line for s in keynote.sections for line in s.lines] == ["The opening keynote by Ann Lee."]


def test_a_readme_is_a_page_only_as_the_index_of_a_folder_without_one(tmp_path):
    """GitHub Pages (jekyll-readme-index) serves a README as its folder's index when nothing else is:
    beside index.md it stays the repository's notes; alone it is the page, front matter or not."""
    site = write_site(tmp_path / "site", {
        "_config.yml": "url: https://ws.org\nexclude: [old]\n",
        "index.md": "---\ntitle: Home\n---\nWelcome.\n",
        "README.md": "---\ntitle: Notes\n---\nHow to build the site.\n",
        "guide/README.md": "# Travel guide\n\nTake the tram.\n",
        "docs/Readme.markdown": "---\ntitle: Docs\n---\nAll about the docs.\n",
        "notes/README.md": "---\ntitle: Notes\n---\nInternal.\n",
        "notes/index.html": "<p>Notes</p>",
        "faq/README.md": "---\ntitle: FAQ notes\n---\nInternal.\n",
        "faq.md": "---\npermalink: /faq/\n---\nThe FAQ.\n",
        "old/README.md": "---\n---\nOld.\n",
    })
    folder = by_id(site)["site"]
    assert pages_of(folder, site) == ["docs/Readme.markdown", "faq.md", "guide/README.md", "index.md",
                                      "notes/index.html"]
    settings = make_settings(tmp_path / "data", site)
    guide = read_page(site / "guide/README.md", folder, settings, publication_of(folder, settings))
    assert guide.url == "https://ws.org/guide/"
    assert [(s.title, s.lines) for s in guide.sections] == [("Travel guide", ["Take the tram."])]


def test_a_readme_is_the_home_page_of_a_site_without_an_index(tmp_path):
    site = write_site(tmp_path / "site", {
        "_config.yml": "url: https://ws.org\npermalink: pretty\n",
        "README.md": "---\nlayout: home\npermalink: /\n---\n# Key dates\n\n- Workshop: January 3, 2023\n",
        "schedule.md": "---\ntitle: Schedule\n---\nSoon.\n",
    })
    folder = by_id(site)["site"]
    assert pages_of(folder, site) == ["README.md", "schedule.md"]
    settings = make_settings(tmp_path / "data", site)
    urls = [read_page(site / p, folder, settings, publication_of(folder, settings)).url for p in folder.pages]
    assert urls == ["https://ws.org/", "https://ws.org/schedule/"]


def test_a_readme_outside_a_jekyll_checkout_is_never_a_page(tmp_path):
    knowledge = write_site(tmp_path / "knowledge", {
        "neurips2030/README.md": "# How we build this folder\n",
        "neurips2030/cfp.html": "<h2>Call for papers</h2><p>Submit by May 1.</p>",
        "neurips2030/guide/README.md": "Notes.\n",
    })
    assert pages_of(by_id(knowledge)["neurips2030"], knowledge) == ["neurips2030/cfp.html"]


def test_a_programme_listed_from_a_collection_reads_as_rows(tmp_path):
    """`{% for module in site.modules %}{{ module }}{% endfor %}` prints each module in its layout; kramdown's
    definitions under a day (`: 9:00 AM` over `   : Talk`) read as one row per slot."""
    site = write_site(tmp_path / "site", {
        "_config.yml": "collections: [modules]\ndefaults: [{scope: {type: modules}, values: {layout: module}}]\n",
        "_layouts/module.html": '<h2 id="{{ page.title | slugify }}">{{ page.title }}</h2>\n'
                                '<div class="module">\n  {{ content }}\n</div>\n',
        "_modules/schedule.md": (
            "---\ntitle: Sessions\n---\n\n"
            "Tuesday, Jan 3 (Morning)\n: [Tutorials]({{ site.baseurl }}/tutorials) (Chair: Yi Ma)\n   : \n"
            ": 9:00 AM - 10:00 AM\n   : [John Wright]({{ site.baseurl }}/tutorials/#intro) (Columbia; *remote*)\n"
            ": 10:00 AM - 11:00 AM\n   : Yuqian Zhang (Rutgers)\n"
        ),
        "README.md": "---\nlayout: home\n---\n# Workshop Schedule\n\n{% for module in site.modules %}\n"
                     "{{ module }}\n{% endfor %}\n\n# Organizers\n\nYi Ma\n",
    })
    folder = by_id(site)["site"]
    settings = make_settings(tmp_path / "data", site)
    home = read_page(site / "README.md", folder, settings, publication_of(folder, settings))
    assert [(s.path, s.lines) for s in home.sections] == [
        (["Workshop Schedule", "Sessions"], [
            "Tuesday, Jan 3 (Morning)", "Tutorials (Chair: Yi Ma)",
            "9:00 AM - 10:00 AM: John Wright (Columbia; remote)", "10:00 AM - 11:00 AM: Yuqian Zhang (Rutgers)"]),
        (["Organizers"], ["Yi Ma"]),
    ]


def test_a_redirecting_root_and_notes_for_coding_assistants_are_not_pages(tmp_path):
    """A built site whose root only forwards to the current edition is that edition alone."""
    (tmp_path / "index.html").write_text(
        '<html><head><meta http-equiv="refresh" content="0; url=2026/"></head>'
        '<body><p>Redirecting to <a href="2026/">2026</a>...</p></body></html>', encoding="utf-8")
    (tmp_path / "CLAUDE.md").write_text("# Notes\nBuild with `make`.\n", encoding="utf-8")
    (tmp_path / "2026").mkdir()
    (tmp_path / "2026" / "index.html").write_text("<html><body><h1>Workshop 2026</h1></body></html>",
                                                  encoding="utf-8")
    editions = by_id(tmp_path)
    assert [pages_of(folder, tmp_path) for folder in editions.values()] == [["2026/index.html"]]
