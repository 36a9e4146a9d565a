"""Editions named any way: their year and name come from the folder, the home page's title and the site,
and questions find them by year, by "ABC'25", by "ABC25" or by "last year's"."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.assistant.question import name_words, target_edition, without_names
from bot.index.text import tokens
from bot.knowledge.editions import Edition, discover
from bot.knowledge.naming import abbreviates, acronym, long_name, short_name, year_in_id, year_in_title


def page(path: Path, html: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")


def titled(title: str, body: str = "<p>Call for papers.</p>") -> str:
    return f"<html><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>"


@pytest.mark.parametrize(("edition_id", "year"), [
    ("2024", 2024), ("iclr2025", 2025), ("neurips-2023", 2023), ("abc25", 2025), ("kisv-24", 2024),
    ("dsml", None), ("eval4nlp", None), ("ml4rs", None)])
def test_the_year_an_id_names(edition_id, year):
    assert year_in_id(edition_id) == year


@pytest.mark.parametrize(("title", "name", "year"), [
    ("DSML 2026: Dependable and Secure Machine Learning", "DSML", 2026),
    ("Eighth Workshop on Computer Architecture Research with RISC-V (CARRV 2024)", "CARRV", 2024),
    ("FM4Science (ICLR'26)", "FM4Science", 2026),
    ("Eval4NLP - 2025", "Eval4NLP", 2025),
    ("AsHES Workshop 2026", "AsHES", 2026),
    ("The VerifAI Workshop @ ICLR'25", "VerifAI", 2025),
    ("ReNeuIR'24", "ReNeuIR", 2024),
    ("Announcement", None, None),
    ("ICLR 2025 Workshop on Trustworthy LLMs", None, 2025)])
def test_the_name_and_year_a_title_gives(title, name, year):
    assert short_name(title) == name and year_in_title(title) == year


def test_folders_named_with_two_digit_years_are_editions_of_their_year(tmp_path):
    for year in (23, 24, 25):
        page(tmp_path / f"abc{year}" / "index.html", titled(f"ABC 20{year}: A Workshop on Things"))
    editions = discover(tmp_path)
    assert editions.ids() == ["abc25", "abc24", "abc23"]
    assert [e.label for e in editions.items] == ["ABC 2025", "ABC 2024", "ABC 2023"]
    for question, wanted in [("When did ABC 2024 take place?", "abc24"), ("Where was ABC'23?", "abc23"),
                             ("Who spoke at ABC24?", "abc24"), ("what was last year's deadline?", "abc24"),
                             ("When is the workshop?", "abc25"), ("When was the 2023 workshop?", "abc23")]:
        assert target_edition(question, editions)[0].id == wanted, question
    assert target_edition("What happened at ABC 2019?", editions) == (None, [2019])


def test_a_landing_page_is_not_the_edition_it_announces_and_a_root_edition_takes_its_titles_year(tmp_path):
    """A root that lists every edition names the newest one: it does not take that edition's id. A root
    that is the current edition ("DSML 2026") is the newest, above its 2025 folder."""
    landing = tmp_path / "landing"
    page(landing / "index.html", titled("Machine Learning for Remote Sensing",
                                        "<p>ICLR 2023 in Kigali.</p><p>ICLR 2024 in Vienna.</p>"
                                        "<p>ICLR 2025 in Singapore, see ICLR 2025.</p>"))
    for year in (2023, 2024, 2025):
        page(landing / f"iclr{year}" / "index.html", titled(f"ML4RS at ICLR {year}"))
    editions = discover(landing)
    assert editions.ids() == ["iclr2025", "iclr2024", "iclr2023", "landing"]
    assert editions.get("landing").year is None

    current = tmp_path / "dsml"
    page(current / "index.html", titled("DSML 2026: Dependable and Secure Machine Learning"))
    page(current / "2025" / "index.html", titled("DSML 2025: Dependable and Secure Machine Learning"))
    editions = discover(current)
    assert editions.default.id == "dsml" and editions.default.year == 2026 and editions.default.label == "DSML 2026"


def test_a_redirect_without_url_is_no_page_and_a_readme_beside_sites_is_no_site(tmp_path):
    page(tmp_path / "carrv" / "index.html",
         '<!DOCTYPE html><meta http-equiv="refresh" content="0; https://carrv.github.io/2024/">')
    page(tmp_path / "carrv" / "2024" / "index.md", "# Workshop (CARRV 2024)\n\nWorkshop date: November 3, 2024\n")
    (tmp_path / "README.md").write_text("Our sites, one folder each.\n")
    editions = discover(tmp_path)
    assert editions.ids() == ["2024"] and editions.default.label == "CARRV 2024"


def test_a_hugo_source_has_its_section_pages_and_archived_editions(tmp_path):
    (tmp_path / "config.yml").write_text("title: 'KISV Workshop'\n")
    page(tmp_path / "content" / "_index.md", "---\ntitle: 3rd Workshop (KISV 2025)\n---\nHeld with SOSP'25.\n")
    page(tmp_path / "content" / "program.md", "---\ntitle: Program\n---\nTBD at SOSP'25.\n")
    for year in (2023, 2024):
        page(tmp_path / "content" / "archive" / str(year) / "_index.md",
             f"---\ntitle: Workshop (KISV {year})\n---\nHeld with SOSP'{year % 100}.\n")
    editions = discover(tmp_path)
    assert editions.ids() == ["sosp2025", "2024", "2023"]
    assert [e.label for e in editions.items] == ["KISV 2025", "KISV 2024", "KISV 2023"]
    assert sorted(p.name for p in editions.default.folder.pages) == ["_index.md", "program.md"]


def test_a_single_edition_site_is_named_by_the_conference_its_pages_name_most(tmp_path):
    page(tmp_path / "index.md", "---\ntitle: The 5th Deep Learning for Code Workshop\n---\n"
                                "Past editions: ICLR'22, NeurIPS'25.\n\nDL4C is held at ICML 2026 (ICML'26). "
                                "See you at ICML 2026.\n")
    editions = discover(tmp_path)
    assert editions.ids() == ["icml2026"] and editions.default.year == 2026


@pytest.mark.parametrize(("short", "long", "fits"), [
    ("ES-FoMo", "Efficient Systems for Foundation Models", True),
    ("ES-FoMO", "Efficient Systems for Foundation Models", True),  # the O of Models
    ("WANT", "Workshop on Advancing Neural Network Training", True),
    ("DL4C", "Deep Learning For Code", True),  # 4 reads "for"
    ("ICML", "Efficient Systems for Foundation Models", False),
    ("AM", "Announcement", False),  # one word is not abbreviated
])
def test_an_acronym_abbreviates_the_initials_of_a_long_name(short, long, fits):
    assert abbreviates(short, long) is fits


def test_the_workshops_acronym_is_the_one_its_pages_use_for_its_name():
    pages = ["ES-FoMo is back at ICML 2025! ICML ICML ICML", "Join ES-FoMO in Vancouver. 9:00 AM, 10:00 AM"]
    assert acronym(["Efficient Systems for Foundation Models"], pages) == "ES-FoMo"
    defined = ["The Workshop on Advancing Neural Network Training (WANT @ NeurIPS 2023) meets. WANT welcomes you.",
               "Hosted at the National University of Singapore (NUS). NUS NUS NUS"]
    assert acronym([], defined) == "WANT"
    # No title gives the long name: the capitalized name the pages define, never a lower-case term's.
    assert acronym(["Home"], ["Causal Representation Learning (CRL) … CRL", "artificial intelligence (AI) AI AI"]) \
        == "CRL"
    assert acronym(["Machine Learning for Remote Sensing"], defined[1:]) is None  # NUS is not the workshop


def test_a_site_titled_by_its_long_name_is_labelled_by_its_acronym(tmp_path):
    (tmp_path / "_config.yml").write_text("title: Efficient Systems for Foundation Models\n")
    (tmp_path / "index.md").write_text("---\ntitle: Home\n---\nES-FoMo at ICML 2025. See you at ES-FoMo!\n")
    edition = discover(tmp_path).items[0]
    assert edition.label == "ES-FoMo 2025"


def test_a_question_without_the_words_naming_its_workshop():
    """How any workshop's author asks it: the rule it asks about is not pulled away by "KISV'25"."""
    edition = Edition("kisv25", Path("kisv25"), year=2025, name="KISV")
    assert name_words(edition) == {"kisv", "2025"}
    assert without_names("How long can my KISV'25 paper be?", edition) == "How long can my paper be?"
    assert without_names("Which template for KISV 2025?", edition) == "Which template for"
    assert without_names("KISV 2025", edition) == "KISV 2025"  # nothing else to ask: left as it is


def test_british_and_american_spellings_are_one_word():
    assert set(tokens("organisers organising organisation")) == set(tokens("organizers organizing organization"))


def test_a_renamed_site_is_named_anew_at_the_next_discovery(tmp_path):
    """Naming is remembered between discoveries, and read again once a page it came from changes."""
    (tmp_path / "_config.yml").write_text("title: Efficient Systems for Foundation Models\n")
    (tmp_path / "index.md").write_text("---\ntitle: Home\n---\nES-FoMo at ICML 2025. See you at ES-FoMo!\n")
    assert discover(tmp_path).items[0].label == "ES-FoMo 2025"
    (tmp_path / "_config.yml").write_text("title: CARRV 2025 - Computer Architecture Research with RISC-V\n")
    assert discover(tmp_path).items[0].label == "CARRV 2025"


@pytest.mark.parametrize(("short", "titles", "texts", "long"), [
    ("KISV", ["Kernel Security, Isolation, and Verification (KISV) Workshop"], [],
     "Kernel Security Isolation and Verification"),
    ("CARRV", ["Eighth Workshop on Computer Architecture Research with RISC-V (CARRV 2024)"], [],
     "Computer Architecture Research with RISC-V"),
    ("CRL", ["Home"], ["This workshop on Causal Representation Learning (CRL) brings together"],
     "Causal Representation Learning"),
    ("CRL", ["Home"], ["Papers on Causal Discovery (CD) are welcome."], None),
    (None, ["Kernel Security Workshop"], [], None)])
def test_the_long_name_a_short_name_abbreviates(short, titles, texts, long):
    assert long_name(short, titles, texts) == long
