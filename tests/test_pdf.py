"""A call for papers, a programme or poster instructions published as a PDF: read as pages of text, its
tables as tables, from a knowledge folder or from a site given by its URL."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.knowledge.pdf import PdfError, pdf_html

from .pdf_fixture import text_pdf
from .site_server import SiteServer

POSTERS = [["Poster instructions"], ["Posters must be at most 36 x 48 inches, in portrait orientation."],
           ["Poster session", "December 6, 2025, 15:00-16:00"], ["Poster boards", "Hall C, boards 1-40"]]


def test_a_pdfs_lines_are_paragraphs_and_its_columns_a_table():
    html = pdf_html(text_pdf(POSTERS, title="Poster instructions 2025"))
    assert "<title>Poster instructions 2025</title>" in html
    assert "<p>Posters must be at most 36 x 48 inches, in portrait orientation.</p>" in html
    assert ("<table><tr><td>Poster session</td><td>December 6, 2025, 15:00-16:00</td></tr>"
            "<tr><td>Poster boards</td><td>Hall C, boards 1-40</td></tr></table>") in html


@pytest.mark.parametrize(("raw", "problem"), [
    (b"%PDF-1.4\nnot really", "is not a readable PDF"),
    (text_pdf([]), "has no text to read"),
])
def test_a_pdf_that_cannot_be_read_says_why(raw, problem):
    with pytest.raises(PdfError, match=problem):
        pdf_html(raw)


def test_a_pdf_in_an_editions_folder_is_answered_from_and_a_broken_one_is_named(tmp_path, knowledge_copy):
    (knowledge_copy / "neurips2025" / "posters.pdf").write_bytes(text_pdf(POSTERS, title="Poster instructions"))
    (knowledge_copy / "neurips2025" / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj <<")
    env = {"BOT_DATA_DIR": str(tmp_path / "data"), "KNOWLEDGE_DIR": str(knowledge_copy)}
    runner = CliRunner()
    ingested = runner.invoke(app, ["ingest"], env=env)
    assert ingested.exit_code == 2  # the broken one is an error, named; everything else is indexed
    assert "neurips2025/broken.pdf: is not a readable PDF" in ingested.output
    assert "8 added" in ingested.output
    answer = json.loads(runner.invoke(app, ["ask", "--json", "Where are the poster boards?"], env=env).output)
    assert "Hall C, boards 1-40" in answer["answer"]
    assert [s["url"] for s in answer["sources"]] == ["https://mlforsystems.org/neurips2025/posters.pdf"]


def test_a_pdf_linked_from_a_site_and_a_pdf_given_by_its_url_are_read(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text('<h1>Edge Systems Workshop 2030</h1><p><a href="/files/cfp.pdf">Call for '
                                     "papers (PDF)</a></p>")
    (site / "files").mkdir()
    (site / "files" / "cfp.pdf").write_bytes(text_pdf([
        ["Edge Systems Workshop 2030: call for papers"], ["Papers are at most 4 pages long, excluding references."],
        ["Paper submission", "March 6, 2030 (AoE)"]]))
    (site / "program.pdf").write_bytes(text_pdf([["Programme"], ["09:00", "Opening remarks"]]))
    runner = CliRunner()
    with SiteServer(site) as server:
        env = {"BOT_DATA_DIR": str(tmp_path / "data"), "KNOWLEDGE_DIR": str(tmp_path / "none")}
        assert runner.invoke(app, ["ingest", server.url + "/"], env=env).exit_code == 0
        assert "/files/cfp.pdf" in server.fetched(200)
        answer = json.loads(runner.invoke(app, ["ask", "--json", "How long can papers be?"], env=env).output)
        assert "at most 4 pages" in answer["answer"]
        assert [s["url"] for s in answer["sources"]] == [server.url + "/files/cfp.pdf"]

        alone = {**env, "BOT_DATA_DIR": str(tmp_path / "alone")}
        server.log.clear()
        assert runner.invoke(app, ["ingest", server.url + "/program.pdf"], env=alone).exit_code == 0
        assert "/program.pdf" in server.fetched(200) and "/" not in server.fetched()  # the PDF alone
