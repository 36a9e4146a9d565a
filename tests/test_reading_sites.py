"""Real workshop sites read the way a visitor sees them: schedules as rows, data loops rendered, the
masthead as the page header, and none of the site's markup, scripts or chrome."""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import pytest

from bot.knowledge.chunks import chunk_page
from bot.knowledge.dates import dates_in
from bot.knowledge.html_text import parse_html
from bot.knowledge.markup import markdown_to_html
from bot.index.reader import read as read_file
from bot.knowledge.pages import Page, PageError
from bot.knowledge.publication import publication_of
from bot.knowledge.site import edition_folders

from .conftest import MLFORSYSTEMS, SYSML, VERIFAI, copy_tree, make_settings

MASTHEAD_2023 = ("Workshop on ML for Systems at NeurIPS 2023, December 16, New Orleans Convention Center, "
                 "9:00AM-5:00PM, Room 211-213")


def read(path: Path, root: Path, settings) -> Page:
    """Read `path` the way ingest does: as a page of its edition, published where the edition says."""
    folder = next(f for f in edition_folders(root) if path in f.pages)
    return read_file(path, folder, settings, publication_of(folder, settings))


def lines_of(page: Page) -> list[str]:
    return [line for section in page.sections for line in section.lines]


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return make_settings(tmp_path_factory.mktemp("reading"))


@pytest.fixture(scope="module")
def every_page(settings) -> dict[str, Page]:
    """Every page of every fixture site, read once: `site/source` → page."""
    pages = {}
    for root in (MLFORSYSTEMS, VERIFAI, SYSML):
        for folder in edition_folders(root):
            publication = publication_of(folder, settings)
            for path in folder.pages:
                pages[f"{root.name}/{folder.source(path)}"] = read_file(path, folder, settings, publication)
    return pages


def test_the_2023_schedule_is_rows_of_time_and_event(every_page):
    """Each table row reads "time: event", the speaker's name and affiliation on the same line."""
    schedule = every_page["mlforsystems/schedule.md"]
    rows = next(s.lines for s in schedule.sections if s.title == "Schedule")
    assert rows[:4] == ["9:00 AM: Opening Remarks", "9:05 AM: Special Speaker: William Dally, NVIDIA",
                        "9:55 AM: Break", "10:00 AM: Keynote Speaker: Chris Lattner, Modular.ai"]
    assert "1:30 PM: Invited Speaker: Atlas Wang, UT Austin" in rows
    assert rows[-1] == "4:50 PM: Competition Q&A" and len(rows) == 18
    assert all(re.match(r"\d{1,2}:\d\d ?[AP]M: \S", row) for row in rows)
    assert "Time: Section" not in lines_of(schedule)  # the column headings are not a row


def test_accepted_papers_list_the_titles_from_the_data_file(every_page):
    """`accepted_papers.md` is a Liquid loop over `_data/neurips2023/papers.csv`: every paper is listed."""
    with (MLFORSYSTEMS / "_data/neurips2023/papers.csv").open(encoding="utf-8", newline="") as stream:
        papers = list(csv.DictReader(stream))
    text = "\n".join(lines_of(every_page["mlforsystems/accepted_papers.md"]))
    assert len(papers) > 30
    for paper in papers:
        title, authors = (" ".join(paper[key].split()) for key in ("title", "authors"))
        assert (f"{title}. {authors}." if authors else title) in text  # a retracted paper has no authors
    assert "ZeRO++: Extremely Efficient Collective Communication for Large Model Training" in text
    assert "paper.title" not in text and "{{" not in text


@pytest.mark.parametrize("needle", ["<", "{%", "{{", "function(", "var ", "gtag", "dataLayer"])
def test_no_markup_template_or_script_reaches_a_passage(every_page, needle):
    """Whatever the site's shape, no passage of any page holds HTML, Liquid, CSS or JavaScript."""
    leaks = [chunk.id for key, page in every_page.items() for chunk in chunk_page(page) if needle in chunk.text]
    assert leaks == []


def test_no_passage_is_longer_than_the_hard_limit(every_page):
    """Long rows and paragraphs (paper abstracts, speaker bios) are split: no body exceeds 800 characters."""
    chunks = [chunk for page in every_page.values() for chunk in chunk_page(page)]
    assert len(chunks) > 300
    assert max(len(chunk.body) for chunk in chunks) <= 800


def test_every_fixture_page_reads_without_surprises(every_page):
    """Only the tag index (a page of Liquid over posts the site has none of) is textless."""
    assert len(every_page) == 29
    warnings = [w for page in every_page.values() for w in page.warnings]
    assert warnings == ["tags.html: has no text once comments and markup are removed"]


def test_the_layout_masthead_is_the_page_header(every_page):
    """The layout prints the date, venue and room above every page: that is the page's header, and
    each old edition's pages show their own."""
    for name in ("index.md", "schedule.md", "call_for_papers.md", "accepted_papers.md"):
        assert every_page[f"mlforsystems/{name}"].header == [MASTHEAD_2023]
    old = every_page["mlforsystems/neurips2018/schedule.md"]
    assert old.header[0] == "Workshop on ML for Systems at NeurIPS 2018, December 8th, 8:30AM-6:00PM, Room 510 AC"
    assert all("NeurIPS 2023" not in line for line in old.header)
    # The navigation around it (page titles, past editions) is not the header.
    assert not any(line in {"Schedule", "Past:", "neurips2018"} for line in old.header)
    chunks = chunk_page(every_page["mlforsystems/schedule.md"])
    assert chunks[0].metadata["section"] == "Header" and MASTHEAD_2023 in chunks[0].text


def test_a_header_naming_another_year_is_dropped_with_a_warning(tmp_path, settings):
    """A front matter copied from last year's page would put last year's date in the header: it is not
    used, and the organizers are told which page says what."""
    site = copy_tree(MLFORSYSTEMS, tmp_path / "site")
    page = site / "neurips2021" / "call_for_papers.md"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "site_description: Workshop on ML for Systems at NeurIPS 2021, December 13th",
        "site_description: Workshop on ML for Systems at NeurIPS 2020, December 12th"), encoding="utf-8")
    read_back = read(page, site, settings)
    assert not any("2020" in line or "December 12" in line for line in read_back.header)
    assert read_back.header == ["Workshop on ML for Systems at NeurIPS '21, Dec 13th"]
    assert read_back.warnings == [
        "neurips2021/call_for_papers.md: the page header says 'Workshop on ML for Systems at NeurIPS 2020, "
        "December 12th, Zoomville', which names 2020 but the page belongs to the 2021 edition; not used"]


def test_verifai_schedule_shows_the_speakers_looked_up_in_data(every_page):
    """The schedule loops over `_data/schedule.yml` and looks speakers up in `_data/speakers.yml`."""
    rows = lines_of(every_page["verifai/schedule.md"])
    assert "08:55: Opening Remarks" in rows
    assert "09:00: Invited Talk — Keynote 1: Kevin Ellis" in rows
    assert "13:00: Invited Talk — Keynote 4: Emily First" in rows
    panel = next(row for row in rows if row.startswith("16:00: Panel Discussion"))
    assert "Koushik Sen (Berkeley)" in panel and "Xin Zhang (PKU)" in panel
    assert "(Singapore, April 27, 2025)" in rows


def test_the_built_program_reads_its_definition_list_as_rows(every_page):
    """`<dt>09:15<dd>Keynote 1 …` with omitted end tags: one "time: event" line per row, 14 rows."""
    program = every_page["sysml-built/program/index.html"]
    rows = [line for line in lines_of(program) if re.match(r"\d\d:\d\d: ", line)]
    assert len(rows) == 14
    assert rows[0] == "09:00: Opening remarks & welcome — Priya Raman (University of Washington), General Chair"
    assert rows[1].startswith("09:15: Keynote 1 Every Microjoule Counts")
    assert rows[-1] == "17:00: End of workshop"
    # A row's nested list of contributed talks stays on its row.
    assert next(r for r in rows if r.startswith("10:00:")).count(" — ") >= 2


def test_the_built_site_title_names_each_page(every_page):
    """Without front matter, the `<title>` names the page (what answers cite)."""
    assert every_page["sysml-built/program/index.html"].title == "Program – SysML-Edge 2026"
    assert every_page["sysml-built/speakers/index.html"].title == "Speakers – SysML-Edge 2026"


@pytest.mark.parametrize("chrome", [
    "Built with Hugo", "Quick links", "Past editions", "Room 612", "Europe/Berlin", "2026-02-27", "anonymize_ip",
    "countdown", "Submissions open on OpenReview until February 27", "Contact the organizers", "SysML-Edge on X",
])
def test_the_built_site_chrome_is_not_knowledge(every_page, chrome):
    """Navigation, sidebar, footer and scripts (the stale analytics/config JSON) appear nowhere."""
    found = [chunk.id for key, page in every_page.items() if key.startswith("sysml-built/")
             for chunk in chunk_page(page) if chrome in chunk.text]
    assert found == []


def test_speaker_cards_get_one_passage_naming_them_all(every_page):
    """"Who are the speakers?" is answered by one passage that lists every card, with its affiliation and role."""
    chunks = chunk_page(every_page["sysml-built/speakers/index.html"])
    cards = [chunk for chunk in chunks if chunk.metadata["cards"]]
    assert len(cards) == 1
    assert cards[0].body.splitlines() == [
        '- Tomasz Wieczorek (Imperial College London; Keynote)',
        '- Rebecca Lindqvist (Arm; Keynote · Panelist)',
        '- Adaeze Okonkwo (Qualcomm AI Research; Invited talk · Panelist)',
        '- Kenji Morimoto (Sony Semiconductor Solutions; Panelist)',
        '- Shreya Balakrishnan (Carnegie Mellon University; Panelist)']
    assert cards[0].metadata["section"] == "Invited Speakers"


def test_deeply_nested_markup_does_not_exhaust_the_stack(tmp_path, settings):
    """A built page with 5,000 nested elements is read like any other page (the walk is iterative)."""
    page = tmp_path / "knowledge" / "neurips2030" / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text("<h2>About</h2><p>" + "<span>" * 5000 + "still readable" + "</span>" * 5000 + "</p>",
                    encoding="utf-8")
    read_back = read(page, tmp_path / "knowledge", settings)
    assert [(s.title, s.lines) for s in read_back.sections] == [("About", ["still readable"])]
    assert [c.body for c in chunk_page(read_back)] == ["still readable"]


def test_a_page_nested_thousands_deep_reads_like_a_flat_one():
    """Depth is no limit: the walk is iterative, not recursive."""
    count = 2500
    deep = parse_html("<h2>Deep</h2><p>" + "<span>" * count + "x" + "</span>" * count + "</p>")
    assert [(s.title, s.lines) for s in deep.sections] == [("Deep", ["x"])]


@pytest.mark.parametrize("body, line, problem", [
    ("<h2>Papers</h2>\n\n{% for paper in site.data.neurips2023.papers %}\n<p>{{ paper.title }}</p>\n", 6,
     "expected tag endfor"),
    ("ok\n{% if page.title %}\nunclosed\n", 5, "expected tag endif"),
    ("ok\n\n\n{% endfor %}\n", 7, "unexpected tag 'endfor'"),
    ("ok\n{% include nothere.html %}\n", 5, "include 'nothere.html' not found"),
])
def test_a_liquid_error_names_the_file_and_line(tmp_path, settings, body, line, problem):
    """A template that cannot be rendered is a PageError pointing at the line in the file, never raw text."""
    site = copy_tree(MLFORSYSTEMS, tmp_path / "site")
    path = site / "broken.md"
    path.write_text(f"---\ntitle: Broken\n---\n{body}", encoding="utf-8")
    with pytest.raises(PageError) as caught:
        read(path, site, settings)
    message = str(caught.value)
    assert message.startswith(f"{path}: line {line}: Liquid template cannot be rendered")
    assert problem in message


def test_an_indented_html_block_after_a_blank_line_stays_html():
    """kramdown keeps an HTML block whole up to its end tag: the indented rest is not a code block."""
    html = markdown_to_html(
        '<div class="schedule">\n  <p>First</p>\n\n    <table>\n      <tr><td>9:00</td><td>Talk</td></tr>\n'
        "    </table>\n</div>\n\nAfter *this*.\n")
    assert "<code>" not in html and "&lt;" not in html
    assert "<tr><td>9:00</td><td>Talk</td></tr>" in html and "<p>After <em>this</em>.</p>" in html
    assert [s.lines for s in parse_html(html).sections] == [["First", "9:00: Talk", "After this."]]


def test_a_definition_indented_under_a_definition_is_a_list_inside_it():
    """kramdown reads `: 9:00 AM` over `   : Talk` as a definition list inside the definition (its text
    starts the inner term); a plain definition list and an indented code block are left as they are."""
    html = markdown_to_html(
        "    code stays code\n\nMonday\n: 9:00 AM\n   : Opening\n: 9:30 AM\n   : Keynote: *Ann Lee*\n\n"
        "Venue\n: Hall A\n: Hall B\n")
    assert "<dd>\n<dl>\n<dt>9:00 AM</dt>\n<dd>Opening</dd>\n</dl>\n</dd>" in html
    assert "<dt>Venue</dt>\n<dd>Hall A</dd>\n<dd>Hall B</dd>" in html
    assert "<pre><code>code stays code" in html
    assert [s.lines for s in parse_html(html).sections] == [
        ["code stays code", "Monday", "9:00 AM: Opening", "9:30 AM: Keynote: Ann Lee", "Venue: Hall A; Hall B"]]


def test_a_table_whose_separator_has_fewer_cells_than_its_header_is_a_table():
    """kramdown renders `| Time | Morning |` over `|:---:|` as a two-column table (a real programme is
    written so); every row keeps its cells."""
    html = markdown_to_html("| Time | **Morning** |\n|:------------------:|\n| 08:15 - 08:50 | Poster placement |\n"
                            "| 08:50 - 09:00 | Welcome <br> *Julia Gusak* |\n\nAfter.\n")
    assert "<table>" in html and "<td>08:15 - 08:50</td>" in html and "<p>After.</p>" in html
    lines = [line for s in parse_html(html).sections for line in s.lines]
    assert "08:15 - 08:50: Poster placement" in lines


@pytest.mark.parametrize("written", ["2025/05/27", "2025-05-27", "2025.05.27", "2025/5/27"])
def test_a_date_written_year_first_is_read_whatever_its_separator(written):
    assert [d.value for d in dates_in(f"Submission deadline: {written}, 11:59PM UTC")] == [date(2025, 5, 27)]
    assert dates_in("version 2025.05.27.1") == []
