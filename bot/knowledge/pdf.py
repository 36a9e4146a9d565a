"""A PDF as a page: its text, page by page, as HTML the page reader reads like any other.

Calls for papers, programmes and poster instructions are often published as PDFs. pypdf lays each page's
text out as it is printed (`extraction_mode="layout"`); a line whose words stand in columns (a
table's row: "Paper submission      August 29, 2025") becomes a table row, so its cells are read as a
table's are, and every other line a paragraph. Its title is the document's own, when it has one.
Reading runs in the page reader's worker, under its CPU and memory limits, like any page.
"""

from __future__ import annotations

import html
import io
import logging
import re

from pypdf import PdfReader
from pypdf.errors import PyPdfError

logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings ("EOF marker not found") repeat our PdfError
GAP = re.compile(r" {2,}")  # two spaces or more part a row's cells; words are one space apart


class PdfError(ValueError):
    """The file is not a PDF whose text can be read (damaged, encrypted, or only images)."""


def pdf_html(raw: bytes) -> str:
    """The PDF's text as an HTML document."""
    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            raise PdfError("is encrypted: its text cannot be read")
        title = (reader.metadata.title or "").strip() if reader.metadata else ""
        pages = [page.extract_text(extraction_mode="layout") or "" for page in reader.pages]
    except PyPdfError as error:
        raise PdfError(f"is not a readable PDF ({error})") from error
    body = []
    for text in pages:
        rows: list[list[str]] = []
        for line in text.splitlines():
            cells = [cell for cell in GAP.split(line.strip()) if cell]
            if len(cells) > 1:
                rows.append(cells)
                continue
            body.extend(_table(rows))
            rows = []
            if cells:
                body.append(f"<p>{html.escape(cells[0])}</p>")
        body.extend(_table(rows))
    if not any(part.strip() for part in pages):
        raise PdfError("has no text to read (a scan? its pages are images)")
    head = f"<title>{html.escape(title)}</title>" if title else ""  # else the first line names it
    return f"<html><head>{head}</head><body>{''.join(body)}</body></html>"


def _table(rows: list[list[str]]) -> list[str]:
    if not rows:
        return []
    cells = ("".join(f"<td>{html.escape(cell)}</td>" for cell in row) for row in rows)
    return ["<table>" + "".join(f"<tr>{row}</tr>" for row in cells) + "</table>"]
