"""Cut pages into heading-aware passages of bounded size: what retrieval finds and what answers quote.

A line is never cut inside a passage boundary unless it alone exceeds the hard limit; a schedule row
that long is split at its list items, each piece keeping the row's time ("10:40: Contributed talks:
…"), so every passage still reads as rows of time and event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # read pages are cut at ingest; answering (which quotes sentences) needs no HTML parser
    from bot.knowledge.html_text import Section
    from bot.knowledge.pages import Page

MAX_CHARS = 400  # about a paragraph: small passages keep dense similarity sharp
HARD_MAX = 800  # no passage body is longer than this, with spaces in it or not
HEADER_MAX = 400  # nor its header line (page › section: real ones reach 250)
HEADER_SECTION = "Header"
CARD_RUN = 3  # this many sibling sections under one heading are cards: they also get one list passage
PEOPLE_RUN = 2  # under a heading of people ("Keynote Speakers"), two cards are already a list
PEOPLE = re.compile(r"\b(speakers?|keynotes?|invited|organi[sz]ers?|committee|chairs?|panel\w*|people|team|"
                    r"advisors?|board|presenters?|instructors?)\b", re.IGNORECASE)
CARD_NOTE = 60  # a card's first lines this short (an affiliation, a role) go into the list
CARD_NOTES = 2
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")
ROW_LABEL = re.compile(r"^(\s*(?:- )?[^:]{1,40}:\s)")
ITEM_LABEL = re.compile(r"^\s*(?:- )?(?:[^.:]{2,50}:\s){1,2}")


@dataclass(frozen=True)
class Chunk:
    """One passage. `text` starts with a header line (page › section) that retrieval also matches."""

    id: str
    text: str
    metadata: dict

    @property
    def body(self) -> str:
        return self.text.split("\n", 1)[1] if "\n" in self.text else self.text


def _split_words(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` characters, cut between words; a word longer than that (a
    run of characters without spaces: a long URL, an entity flood) where the limit falls."""
    pieces, current = [], ""
    for whole in text.split(" "):
        word = whole
        if len(word) > limit:
            if current:
                pieces.append(current)
            cut = len(word) - len(word) % limit or len(word) - limit
            pieces.extend(word[i:i + limit] for i in range(0, cut, limit))
            current, word = "", word[cut:]
        if current and len(current) + len(word) + 1 > limit:
            pieces.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    return [*pieces, current] if current else pieces


def _pieces(line: str) -> list[str]:
    """A line short enough for a passage, or its sentences (a row: its items) grouped under the limit."""
    if len(line) <= MAX_CHARS:
        return [line]
    label = ROW_LABEL.match(line)
    if label and ";" in line:  # a row of several items: each piece keeps the row's label
        prefix = label.group(1)
        parts = [p.strip() for p in line[len(prefix):].split(";")]
        limit = HARD_MAX - len(prefix)
    elif label := ITEM_LABEL.match(line):  # "- Special Theme: LLMs for Code Generation: …" in every piece
        prefix, parts = label.group(0), SENTENCE_END.split(line[label.end():])
        limit = HARD_MAX - len(prefix)
    else:
        prefix, parts, limit = "", SENTENCE_END.split(line), HARD_MAX
    pieces: list[str] = []
    bounded = (p for whole in parts for p in ([whole] if len(whole) <= limit else _split_words(whole, limit)))
    joiner = "; " if prefix and ";" in line else " "
    for part in bounded:
        if pieces and len(pieces[-1]) + len(part) + len(joiner) <= MAX_CHARS - len(prefix):
            pieces[-1] += joiner + part
        else:
            pieces.append(part)
    return [prefix + p for p in pieces]


def _bounded(header: str) -> str:
    """A passage's header line (page › section) within HEADER_MAX characters: a heading can be any length."""
    return header if len(header) <= HEADER_MAX else header[:HEADER_MAX - 1] + "…"


def _group(lines: list[str]) -> list[list[str]]:
    groups: list[list[str]] = [[]]
    size = 0
    for line in lines:
        for piece in _pieces(line):
            introduces = groups[-1] and groups[-1][-1].endswith(":")  # "…applications to:" + its list
            limit = HARD_MAX if introduces else MAX_CHARS
            if groups[-1] and size + len(piece) + 1 > limit:
                groups.append([])
                size = 0
            groups[-1].append(piece)
            size += len(piece) + 1
    return [g for g in groups if g]


def card_lists(sections: list[Section]) -> list[Section]:
    """Sections with, before each run of sibling cards (one heading per speaker), a list of the cards.

    "Who are the speakers?" is then answered by one passage that names them all. A card may have
    sections of its own (a speaker's Abstract and Bio) between it and the next card.
    """
    from bot.knowledge.html_text import Section

    result: list[Section] = []
    i = 0
    while i < len(sections):
        parent = sections[i].path[:-1]
        j = i
        while j < len(sections) and _under(sections[j], parent):
            j += 1
        cards = [s for s in sections[i:j] if len(s.path) == len(parent) + 1]
        first = i == 0 or not _under(sections[i - 1], parent)
        # Top-level siblings are a page's parts, not cards; two speakers under "Keynote Speakers" are.
        if parent and first and len(cards) >= (PEOPLE_RUN if PEOPLE.search(parent[-1]) else CARD_RUN):
            items = []
            for card in cards:
                notes = [n.lstrip("- ") for n in card.lines[:CARD_NOTES]
                         if len(n) <= CARD_NOTE and not n.rstrip().endswith(".")]
                items.append(f"- {card.path[-1]}" + (f" ({'; '.join(notes)})" if notes else ""))
            result.append(Section(path=parent, lines=items, cards=True))
        result.append(sections[i])
        i += 1
    return result


def _under(section: Section, parent: list[str]) -> bool:
    return section.path[:len(parent)] == parent and len(section.path) > len(parent)


def chunk_page(page: Page, root: str = "") -> list[Chunk]:
    """Passages of `page` (read from the knowledge root `root`), with deterministic ids (`source#n`)."""
    from bot.knowledge.html_text import Section

    sections = card_lists(page.sections)
    if page.header:
        sections = [Section(path=[HEADER_SECTION], lines=list(page.header)), *sections]
    chunks: list[Chunk] = []
    for section in sections:
        header = _bounded(f"{page.title} › {section.title}" if section.title else page.title)
        for lines in _group(section.lines):
            n = len(chunks)
            chunks.append(Chunk(
                id=f"{page.source}#{n}",
                text=header + "\n" + "\n".join(lines),
                metadata={
                    "kind": "page",
                    "edition": page.edition,
                    "source": page.source,
                    "title": page.title,
                    "section": section.title,
                    "url": page.url,
                    "page_hash": page.content_hash,
                    "position": n,
                    "cards": section.cards,
                    "root": root,
                },
            ))
    return chunks


def empty_marker(page: Page, root: str = "") -> Chunk:
    """What the index keeps of a page without text (a tag index, a redirect): its hash, so an unchanged
    one is not read again, and nothing retrieval would find."""
    return Chunk(id=f"{page.source}#empty", text=page.title, metadata={
        "kind": "empty", "edition": page.edition, "source": page.source, "title": page.title, "section": "",
        "url": page.url, "page_hash": page.content_hash, "position": 0, "cards": False, "root": root})
