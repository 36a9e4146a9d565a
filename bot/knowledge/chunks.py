"""Cut pages into heading-aware passages: what retrieval finds and what answers quote."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.knowledge.pages import Page

MAX_CHARS = 350  # about a paragraph: small passages keep dense similarity sharp
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")


@dataclass(frozen=True)
class Chunk:
    """One passage. `text` starts with a header line (page › section) that retrieval also matches."""

    id: str
    text: str
    metadata: dict

    @property
    def body(self) -> str:
        return self.text.split("\n", 1)[1] if "\n" in self.text else self.text


def _pieces(line: str) -> list[str]:
    """A line short enough for a passage, or its sentences grouped under the limit."""
    if len(line) <= MAX_CHARS:
        return [line]
    pieces: list[str] = []
    for sentence in SENTENCE_END.split(line):
        if pieces and len(pieces[-1]) + len(sentence) + 1 <= MAX_CHARS:
            pieces[-1] += " " + sentence
        else:
            pieces.append(sentence)
    return pieces


def _group(lines: list[str]) -> list[list[str]]:
    groups: list[list[str]] = [[]]
    size = 0
    for line in lines:
        for piece in _pieces(line):
            introduces = groups[-1] and groups[-1][-1].endswith(":")  # "…applications to:" + its list
            if groups[-1] and not introduces and size + len(piece) + 1 > MAX_CHARS:
                groups.append([])
                size = 0
            groups[-1].append(piece)
            size += len(piece) + 1
    return [g for g in groups if g]


def chunk_page(page: Page) -> list[Chunk]:
    """Passages of `page` with deterministic ids (`source#n`): same page, same ids."""
    chunks = []
    for section in page.sections:
        header = f"{page.title} › {section.title}" if section.title else page.title
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
                },
            ))
    return chunks
