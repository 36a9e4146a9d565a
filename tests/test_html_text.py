"""HTML to reader-visible text: what is published, what is superseded, how it is structured."""

import re
import time
from contextlib import suppress

import lxml.html
import pytest

from bot.knowledge.html_text import parse_html
from bot.knowledge.markup import NestingError

from .conftest import SITES

MIN_WORDS = 40  # a page showing fewer words (a redirect, a stub) says too little to compare
READ_SHARE = 0.6  # at least this share of the words a browser shows are read


def lines_of(html: str) -> dict[str, list[str]]:
    return {s.title: s.lines for s in parse_html(html).sections}


def test_comments_are_not_published():
    sections = lines_of("<h2>Organizers</h2><ul><li>Ann</li></ul><!-- <h2>Steering</h2><ul><li>Bob</li></ul> -->")
    assert sections == {"Organizers": ["- Ann"]}


def test_struck_date_reads_as_extension():
    parsed = parse_html(
        "<h2>Dates</h2><ul><li>Deadline: <b><s>August 22, 2025</s> August 29, 2025 by midnight</b></li></ul>"
    )
    assert parsed.sections[0].lines == ["- Deadline: August 29, 2025 (extended from August 22, 2025) by midnight"]
    assert (parsed.supersessions[0].old, parsed.supersessions[0].new) == ("August 22, 2025", "August 29, 2025")


def test_struck_date_followed_by_bold_date_and_year():
    parsed = parse_html("<p>no later than <s>September 29th</s> <b>October 6th</b>, 2023 midnight</p>")
    assert parsed.sections[0].lines == ["no later than October 6th, 2023 (extended from September 29th) midnight"]


def test_earlier_replacement_date_says_moved():
    parsed = parse_html("<p>Notifications: <del>October 20, 2025</del> October 13, 2025</p>")
    assert "October 13, 2025 (moved from October 20, 2025)" in parsed.sections[0].lines[0]


def test_struck_non_date_is_kept_only_as_previous_value():
    parsed = parse_html("<p>Room: <strike>5A</strike> 5AB, upper level</p>")
    assert parsed.sections[0].lines == ["Room: 5AB, upper level (previously: 5A)"]


def test_nested_lists_keep_their_depth():
    sections = lines_of(
        "<h2>Topics</h2><ul><li>Applications to:<ul><li>Databases</li><li>Storage</li></ul></li>"
        "<li>Datasets</li></ul>"
    )
    assert sections["Topics"] == ["- Applications to:", "  - Databases", "  - Storage", "- Datasets"]


def test_consecutive_headings_form_one_compound_title_under_their_parent():
    html = ("<h2>Speakers</h2><div><h3>Ada</h3><h5>Keynote</h5><h3>Talk A</h3><p>Ada bio.</p></div>"
            "<div><h3>Bob</h3><h5>Invited Talk</h5><h3>Talk B</h3><p>Bob bio.</p></div>")
    assert lines_of(html) == {
        "Speakers › Ada — Keynote — Talk A": ["Ada bio."],
        "Speakers › Bob — Invited Talk — Talk B": ["Bob bio."],
    }


def test_footnote_markers_and_scripts_are_invisible():
    sections = lines_of("<h2>About</h2><p>Learned indexes <sup>1</sup> work.</p><script>var x = 1;</script>")
    assert sections == {"About": ["Learned indexes work."]}


def test_citation_lists_get_their_own_section():
    html = "<h2>Competition</h2><p>Predict runtimes.</p><ul class='footnotes'><li>Paper one</li></ul>"
    assert lines_of(html) == {"Competition": ["Predict runtimes."], "References": ["- Paper one"]}


def test_heading_inside_an_unclosed_list_item_is_not_a_list_item():
    html = "<ul><li>Workshop: December<div><h2>Contact Us</h2><p>Write to us.</p></div>"
    assert lines_of(html)["Contact Us"] == ["Write to us."]


def test_a_folded_abstract_in_a_programme_cell_is_a_line_under_its_row():
    """A browser shows a `<details>` folded: the row is the time and the talk, the abstract opens apart."""
    abstract = "This talk surveys rematerialization. " * 40  # a long one: the table is still a programme
    html = (f"<table><tr><th>Time</th><th>Morning</th></tr>"
            f"<tr><td>09:30 - 10:00</td><td>Invited talk<br><b>Rematerialization</b><br><i>Lionel Eyraud-Dubois</i>"
            f"<details>{abstract}</details></td></tr>"
            f"<tr><td>10:00 - 10:30</td><td><details><summary>Coffee break</summary>Hall B</details></td></tr></table>")
    lines = parse_html(html).sections[0].lines
    assert lines[0] == "09:30 - 10:00: Invited talk, Rematerialization, Lionel Eyraud-Dubois"
    assert lines[1] == abstract.strip()
    assert lines[2:] == ["10:00 - 10:30: Coffee break", "Hall B"]


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]{4,}", text.lower()))


def _shown(html: str) -> set[str]:
    """The words a browser shows: the body's text, scripts, styles and comments aside."""
    document = lxml.html.document_fromstring(html)
    for node in document.xpath("//script|//style|//noscript|//template|//comment()"):
        node.drop_tree()
    body = document.find("body")
    return _words(" ".join((body if body is not None else document).itertext()))


def _read(html: str) -> set[str]:
    parsed = parse_html(html)
    return _words(" ".join([*parsed.header, *(f"{s.title} {' '.join(s.lines)}" for s in parsed.sections)]))


CONTENT = ("<h2>Call for papers</h2><p>We invite submissions of up to four pages on learning for computer systems."
           "</p><h2>Program</h2><p><b>09:00</b><br>Opening remarks by the organizers</p>")


@pytest.mark.parametrize("html", [
    f"<html><body><nav><a href='/'>Home</a> <a href='/cfp'>Papers</a>{CONTENT}<footer>Hosted here</footer>",
    f"<html><body><div id='footer-wrap'><div class='container'>{CONTENT}</div></div><footer>Hosted</footer>",
    f"<html><body><div class='sidebar menu'><a href='/'>Home</a><div>{CONTENT}</div></div></body></html>",
], ids=["unclosed nav", "layout box named footer", "menu wrapping the page"])
def test_a_box_named_like_chrome_that_holds_the_page_is_read(html):
    """Whatever marks navigation never empties a page a browser shows full of text; the chrome inside
    such a box (a footer) still goes."""
    sections = lines_of(html)
    assert "We invite submissions of up to four pages on learning for computer systems." in sections["Call for papers"]
    assert "Opening remarks by the organizers" in " ".join(sections["Program"])
    assert not any("Hosted" in line for lines in sections.values() for line in lines)


def test_every_page_of_the_sample_sites_is_read_as_a_browser_shows_it():
    """Most words a browser shows on each built page are read: navigation and footers are a minority."""
    thin = {}
    for page in sorted(SITES.rglob("*.html")):
        html = page.read_text(encoding="utf-8", errors="replace")
        if "{%" in html or "{{" in html or html.lstrip().startswith("---"):
            continue  # a Jekyll source, not what a browser is sent
        shown = _shown(html)
        if len(shown) >= MIN_WORDS and len(_read(html) & shown) < READ_SHARE * len(shown):
            thin[page.relative_to(SITES).as_posix()] = f"{len(_read(html) & shown)} of {len(shown)} words"
    assert not thin, thin


GROWING = {
    "unclosed tables": "<table><tr><td>x", "unclosed lists": "<ul><li>x", "inline elements": "<b>x",
    "struck text": "<s>x", "definition lists": "<dl><dt>x<dd>y", "boxes": "<div>x", "navigation": "<nav>x",
    "folded details": "<details><summary>s</summary>x", "cells with headings": "<table><tr><td><h3>x</h3>y",
    # The same pages' shapes closed, side by side rather than nested.
    "tables": "<table><tr><td>9:00</td><td>Talk</td></tr></table>", "one long table": "<tr><td>9:00</td><td>Talk",
    "paragraphs": "<p><s>Aug 1</s> Aug 2<br>Keynote", "sections": "<h2>Day</h2><ul><li>x</li></ul>",
}
SMALL = 1000
GROWTH = 4  # the larger input is this many times the smaller one
LINEAR_BOUND = 2 * GROWTH  # linear work grows GROWTH times; quadratic, GROWTH² (16) times


def _cpu_seconds(html: str) -> float:
    """The least CPU time of three readings: what the reading costs, not what else the machine does."""
    spent = []
    for _ in range(3):
        started = time.process_time()
        with suppress(NestingError):  # refused as nested too deeply: quickly, too
            parse_html(html)
        spent.append(time.process_time() - started)
    return min(spent)


@pytest.mark.parametrize("unit", GROWING.values(), ids=GROWING.keys())
def test_reading_grows_linearly_with_the_page_however_its_markup_nests(unit):
    """Unclosed and nested markup costs time in proportion to the page: four times the input, at most
    eight times the CPU time (a quadratic reader takes sixteen)."""
    small, large = _cpu_seconds(unit * SMALL), _cpu_seconds(unit * SMALL * GROWTH)
    assert large < LINEAR_BOUND * max(small, 0.01), f"{SMALL} → {small:.3f} s, {SMALL * GROWTH} → {large:.3f} s"
