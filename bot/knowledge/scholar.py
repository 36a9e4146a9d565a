"""Accepted-papers pages built by jekyll-scholar: the entries of the site's BibTeX file, as a reader sees them.

jekyll-scholar renders `{% bibliography %}` through a citation style and the theme's entry template;
what a reader needs from it is each paper's title, its authors, and where and when it appeared, so
each entry becomes one list item saying exactly that. BibTeX is parsed with bibtexparser (1.x API);
the LaTeX in its values (accents, escaped symbols, protective braces) is turned into plain text.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path


# Sites often give their .bib files (empty) front matter, so that Jekyll copies them.
FRONT_MATTER = re.compile(r"\A---\s*\n.*?^---\s*$\n?", re.S | re.M)
VENUE_FIELDS = ("booktitle", "journal", "howpublished", "school", "institution", "publisher")
# `\'{n}`, `{\"u}`, `\c c`: an accent command over one letter, as a combining mark.
LETTER = r"(\\[ij](?![A-Za-z])|[A-Za-z])"
ACCENT = re.compile(rf"\\(?:([`'^\"~=.])|([uvHckrdb])(?=[\s{{]))\s*(?:\{{\s*{LETTER}\s*\}}|{LETTER})")
ACCENTS = {
    "`": "\u0300", "'": "\u0301", "^": "\u0302", "~": "\u0303", "=": "\u0304", "u": "\u0306", ".": "\u0307",
    '"': "\u0308", "r": "\u030a", "H": "\u030b", "v": "\u030c", "d": "\u0323", "c": "\u0327", "k": "\u0328",
    "b": "\u0331",
}
SYMBOLS = {
    "l": "ł", "L": "Ł", "o": "ø", "O": "Ø", "ss": "ß", "aa": "å", "AA": "Å", "ae": "æ", "AE": "Æ", "oe": "œ",
    "OE": "Œ", "i": "i", "j": "j", "textquoteright": "’", "textquoteleft": "‘", "textendash": "–", "textemdash": "—",
    "textquotedblleft": "“", "textquotedblright": "”", "ldots": "…", "dots": "…",
}
COMMAND = re.compile(r"\\([A-Za-z]+)(?:\{\})?\s*|\\([&%$#_{}\\ ])")


def read_bibliography(path: Path) -> list[dict[str, str]]:
    """The entries of a BibTeX file in file order, each a mapping of lower-case field names (plus `ID`);
    a ValueError for a file bibtexparser cannot read (an undefined `@string`)."""
    from bibtexparser.bibdatabase import UndefinedString  # a site with a bibliography is rare: not every start
    from bibtexparser.bparser import BibTexParser

    text = path.read_text(encoding="utf-8-sig")
    parser = BibTexParser(common_strings=True, ignore_nonstandard_types=False)  # a parser keeps what it has read
    try:
        return parser.parse(FRONT_MATTER.sub("", text, count=1)).entries
    except UndefinedString as err:
        raise ValueError(f"undefined string {err}") from err


def latex_text(value: object) -> str:
    """A BibTeX value as plain text: accents composed, symbol commands replaced, braces and `~` dropped."""
    text = ACCENT.sub(_accented, str(value or ""))
    text = COMMAND.sub(_symbol, text)
    return " ".join(text.replace("{", "").replace("}", "").replace("~", " ").split())


def _accented(match: re.Match[str]) -> str:
    letter = (match.group(3) or match.group(4)).lstrip("\\")
    return unicodedata.normalize("NFC", letter + ACCENTS[match.group(1) or match.group(2)])


def _symbol(match: re.Match[str]) -> str:
    """A command's text (`\\l` is ł; `\\emph` leaves its argument); an escaped character is itself."""
    if match.group(1):
        return SYMBOLS.get(match.group(1), "")
    return " " if match.group(2) in " \\" else match.group(2)


def authors(value: object) -> list[str]:
    """`Last, First and Other, Name` as the names a page would print: `First Last`, `Name Other`."""
    names = re.split(r"\s+and\s+", latex_text(value)) if value else []
    return [" ".join(reversed([part.strip() for part in name.split(",", 1)])) if "," in name else name
            for name in names if name.strip() and name.strip().lower() != "others"]


def reference(entry: Mapping[str, str]) -> str:
    """One entry as HTML: its label (`Oral`), title, authors, and venue and year when given."""
    parts = []
    if label := latex_text(entry.get("abbr")):
        parts.append(f'<span class="abbr">[{html.escape(label)}]</span> ')
    parts.append(f'<span class="title">{html.escape(latex_text(entry.get("title")).rstrip("."))}</span>.')
    if names := authors(entry.get("author") or entry.get("editor")):
        parts.append(f' <span class="author">{html.escape(", ".join(names))}</span>.')
    venue = next((latex_text(entry[key]) for key in VENUE_FIELDS if entry.get(key)), "")
    published = ", ".join(filter(None, [f"<em>{html.escape(venue)}</em>" if venue else "",
                                        html.escape(latex_text(entry.get("year")))]))
    if published:
        parts.append(f" {published}.")
    return "".join(parts)


def bibliography(entries: list[dict[str, str]]) -> str:
    """The list `{% bibliography %}` prints: one item per entry, in the file's order."""
    items = "".join(f'<li id="{html.escape(entry.get("ID", ""))}">{reference(entry)}</li>' for entry in entries)
    return f'<ol class="bibliography">{items}</ol>'
